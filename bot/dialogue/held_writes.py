"""The dialogue's own writes of `jxjy serve`, held in memory until the service's next group commit writes them.

Every answer saves its conversation's state and logs the exchange. Committing those for each message, in
transactions of their own, cost `serve` more than answering did; instead they wait here and the service
writes them in the transaction that queues the reply and marks the message handled (``bot.channels``), so
the provider's 200 still means all of it is stored. Until then this instance reads a held state back from
memory: the next message of a conversation sees the previous one's state even before it is committed.

Writes are held only inside ``Journal.holding()`` (the service answering for a request that commits after);
anywhere else, a brain built on these stores writes at once, as it would without them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Protocol

from sqlalchemy import Connection

from bot.dialogue.conversation import ConversationState
from bot.dialogue.conversation_sql import SqlConversationStore
from bot.kernel.messages import Inbound, Reply
from ledger.message_log import Exchange, SqlMessageLog


class Settle:
    """What a write of held writes is told when its transaction ends.

    Called once it has committed: the writes it carried are forgotten. ``failed`` once it has not: they
    go with the next transaction. Until either, a transaction running beside it takes only what was held
    after (group commits may overlap), so nothing is written twice.
    """

    def __init__(self, committed: Callable[[], None], failed: Callable[[], None]) -> None:
        self._committed = committed
        self._failed = failed

    def __call__(self) -> None:
        self._committed()

    def failed(self) -> None:
        """The transaction rolled back: hold the writes again, for the next one."""
        self._failed()

    @classmethod
    def of(cls, settles: Sequence[Settle]) -> Settle:
        """One Settle for several."""

        def committed() -> None:
            for one in settles:
                one()

        def failed() -> None:
            for one in settles:
                one.failed()

        return cls(committed, failed)


_this_thread = threading.local()


def _holding() -> bool:
    return bool(getattr(_this_thread, "holding", False))


class HeldWrites(Protocol):
    """Writes waiting for the next group commit."""

    def write(self, conn: Connection) -> Settle:
        """Write everything held now in ``conn``'s transaction; call the result once it has committed."""
        ...


class HeldConversations:
    """A ConversationStore whose saves wait for the next group commit; this instance reads them meanwhile.

    A held state stays readable until the transaction that wrote it has committed, so a load never falls
    back to the database before the database has it. States can also be read ahead, many in one query
    (``preload_on``, while the service claims the messages), for the brain to find in memory. A state read
    ahead is dropped when its conversation is saved here meanwhile, and unused after ``preload_life``
    seconds: it is never older than this instance's own last save, nor than a few seconds.
    """

    def __init__(
        self, store: SqlConversationStore, preload_life: float = 10.0, max_preloaded: int = 4096
    ) -> None:
        self.store = store
        self._held: dict[tuple[str, str], ConversationState] = {}
        self._writing: dict[tuple[str, str], ConversationState] = {}  # held states a transaction writes
        self._preloaded: dict[tuple[str, str], tuple[float, ConversationState]] = {}
        self._reading: dict[tuple[str, str], object] = {}
        self._preload_life = preload_life
        self._max_preloaded = max_preloaded
        self._lock = threading.Lock()

    def load(self, channel: str, address: str, now: dt.datetime) -> ConversationState:
        key = (channel, address)
        with self._lock:
            held = self._held.get(key)
            preloaded = self._preloaded.pop(key, None) if held is None else None
        if preloaded is not None and time.monotonic() - preloaded[0] <= self._preload_life:
            held = preloaded[1]
        if held is None:
            return self.store.load(channel, address, now)
        if held.updated_at is None or now - held.updated_at > self.store.ttl:
            return ConversationState()
        return held.copy()

    def save(self, channel: str, address: str, state: ConversationState, now: dt.datetime) -> None:
        state.updated_at = now
        key = (channel, address)
        held = _holding()
        with self._lock:
            if held:
                self._held[key] = state.copy()
            self._preloaded.pop(key, None)
            self._reading.pop(key, None)
        if not held:
            self.store.save(channel, address, state, now)

    def preload_on(self, conn: Connection, chats: Sequence[tuple[str, str]], now: dt.datetime) -> None:
        """Read ahead the states of ``chats`` (those not held here) in the caller's transaction."""
        self.send_preload_on(conn, chats, now)(None)

    def send_preload_on(
        self, conn: Connection, chats: Sequence[tuple[str, str]], now: dt.datetime
    ) -> Callable[[Collection[tuple[str, str]] | None], None]:
        """``preload_on`` whose rows are read when the result is called (in a pipeline: after it).

        Call the result with the chats to keep (None: all of them): the others' states are dropped, read
        for messages that turned out not to be answered here.
        """
        token = object()
        with self._lock:
            wanted = [key for key in dict.fromkeys(chats) if key not in self._held]
            self._reading.update(dict.fromkeys(wanted, token))
        if not wanted:
            return lambda keep: None
        try:
            sent = self.store.send_load_many_on(conn, wanted, now)
        except BaseException:
            self._preloaded_now(wanted, token, None, ())
            raise

        def preloaded(keep: Collection[tuple[str, str]] | None) -> None:
            if keep is not None and not keep:  # none answered here (or the transaction failed): no rows
                self._preloaded_now(wanted, token, None, ())
                return
            found: dict[tuple[str, str], ConversationState] | None = None
            try:
                found = sent()
            finally:
                self._preloaded_now(wanted, token, found, set(wanted if keep is None else keep))

        return preloaded

    def _preloaded_now(
        self,
        wanted: Sequence[tuple[str, str]],
        token: object,
        found: dict[tuple[str, str], ConversationState] | None,
        keep: Collection[tuple[str, str]],
    ) -> None:
        at = time.monotonic()
        with self._lock:
            for key in wanted:
                if self._reading.get(key) is token:  # not saved meanwhile, nor read again since
                    del self._reading[key]
                    if found is not None and key in keep:
                        self._preloaded[key] = (at, found.get(key) or ConversationState())
            while len(self._preloaded) > self._max_preloaded:  # left by messages never answered
                del self._preloaded[next(iter(self._preloaded))]

    def write(self, conn: Connection) -> Settle:
        with self._lock:  # not what a transaction beside this one writes already
            taken = {key: state for key, state in self._held.items() if self._writing.get(key) is not state}
            self._writing.update(taken)

        def committed() -> None:
            with self._lock:
                for key, state in taken.items():
                    if self._held.get(key) is state:  # not saved again since
                        del self._held[key]
                    if self._writing.get(key) is state:
                        del self._writing[key]

        def failed() -> None:
            with self._lock:
                for key, state in taken.items():
                    if self._writing.get(key) is state:
                        del self._writing[key]

        def write() -> None:
            self.store.save_many_on(
                conn, [(channel, address, state) for (channel, address), state in taken.items()]
            )

        return _written(write, committed, failed)

    def forget(self) -> None:
        """Drop every state held or read ahead, unwritten."""
        with self._lock:
            self._held.clear()
            self._writing.clear()
            self._preloaded.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


class HeldExchanges:
    """The message log's ``on_exchange`` hook: exchanges wait for the next group commit, in order."""

    def __init__(self, log: SqlMessageLog, now: Callable[[], dt.datetime]) -> None:
        self.log = log
        self._now = now
        self._held: list[Exchange] = []
        self._writing = 0  # exchanges taken by transactions under way
        self._lock = threading.Lock()

    def __call__(self, inbound: Inbound, reply: Reply) -> None:
        exchange = Exchange(
            inbound.channel, inbound.address, inbound.text, reply.text, reply.intent, self._now()
        )
        if not _holding():
            self.log.log_exchange(*exchange)
            return
        with self._lock:
            self._held.append(exchange)

    def write(self, conn: Connection) -> Settle:
        with self._lock:  # taken out: a transaction beside this one writes only what came after
            taken, self._held = self._held, []
            self._writing += len(taken)

        def committed() -> None:
            with self._lock:
                self._writing = max(0, self._writing - len(taken))  # 0 after a forget

        def failed() -> None:
            with self._lock:
                self._writing = max(0, self._writing - len(taken))  # 0 after a forget
                self._held[:0] = taken  # before what came meanwhile, as they came

        return _written(lambda: self.log.log_many_on(conn, taken), committed, failed)

    def forget(self) -> None:
        """Drop every exchange held, unwritten (those a transaction under way writes are not counted again)."""
        with self._lock:
            self._held.clear()
            self._writing = 0

    def __len__(self) -> int:
        """How many exchanges are held, a transaction's under way included."""
        with self._lock:
            return len(self._held) + self._writing


class Journal:
    """The dialogue's held writes (conversation states, the exchange log), written together."""

    def __init__(
        self, conversations: HeldConversations | None = None, exchanges: HeldExchanges | None = None
    ) -> None:
        self.conversations = conversations
        self.exchanges = exchanges

    def write(self, conn: Connection) -> Settle:
        settles: list[Settle] = []
        try:
            for part in (self.conversations, self.exchanges):
                if part is not None:
                    settles.append(part.write(conn))
        except BaseException:
            for one in settles:
                one.failed()
            raise
        return Settle.of(settles)

    def forget(self) -> None:
        """Drop everything held, unwritten: a rehearsal's writes, before the service takes requests."""
        for part in (self.conversations, self.exchanges):
            if part is not None:
                part.forget()

    def preload_on(self, conn: Connection, chats: Sequence[tuple[str, str]], now: dt.datetime) -> None:
        """Read ahead the conversation states of messages about to be answered (see HeldConversations)."""
        if self.conversations is not None:
            self.conversations.preload_on(conn, chats, now)

    def send_preload_on(
        self, conn: Connection, chats: Sequence[tuple[str, str]], now: dt.datetime
    ) -> Callable[[Collection[tuple[str, str]] | None], None]:
        """``preload_on`` with its rows read when the result is called, keeping the chats given it."""
        if self.conversations is None:
            return lambda keep: None
        return self.conversations.send_preload_on(conn, chats, now)

    @staticmethod
    @contextlib.contextmanager
    def holding() -> Iterator[None]:
        """Hold the writes of what this thread answers meanwhile, for the caller to commit after."""
        before = _holding()
        _this_thread.holding = True
        try:
            yield
        finally:
            _this_thread.holding = before


def _written(write: Callable[[], None], committed: Callable[[], None], failed: Callable[[], None]) -> Settle:
    """Write what a transaction took; a write that fails gives it back at once (``failed``) and raises, else
    the transaction's outcome settles it later."""
    try:
        write()
    except BaseException:
        failed()
        raise
    return Settle(committed, failed)
