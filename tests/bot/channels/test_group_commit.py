"""Group commit: messages finished together share one transaction; a request's writes commit together or not at all.

Real SQLite and PostgreSQL under ServerServices' batchers; transactions are counted with an engine event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.exc import OperationalError

from bot.channels.common import BackgroundTasks, ServerServices
from bot.channels.group_commit import FLUSH, Handled, Unblocked
from bot.dialogue.conversation import ConversationState
from bot.dialogue.conversation_sql import SqlConversationStore
from bot.dialogue.held_writes import HeldConversations, HeldExchanges, Journal
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound, Reply
from bot.kernel.settings import Settings
from ledger.channel_blocks import SqlChannelBlocks
from ledger.crypto import IdVault
from ledger.inbound import INBOUND, ClaimRequest, SqlInboundStore
from ledger.message_log import SqlMessageLog
from ledger.store import MESSAGES
from reminders.outbox import OUTBOX, ReplyRow, SqlOutbox

NOW = dt.datetime(2023, 11, 24, 2, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


class Remembering:
    """Answers as the brain writes: loads the conversation, saves it after, logs the exchange."""

    def __init__(self, journal: Journal) -> None:
        assert journal.conversations is not None and journal.exchanges is not None
        self.conversations, self.log = journal.conversations, journal.exchanges

    def handle(self, inbound: Inbound) -> Reply:
        state = self.conversations.load(inbound.channel, inbound.address, NOW)
        reply = Reply(f"答：{inbound.text}", "echo" if state.previous_intent is None else "again", 1.0)
        state.previous_intent = reply.intent
        self.conversations.save(inbound.channel, inbound.address, state, NOW)
        self.log(inbound, reply)
        return reply


class Counted:
    """Commits on an engine, counted by a listener."""

    def __init__(self, engine: Engine) -> None:
        self.commits = 0
        event.listen(engine, "commit", self._count)
        self._engine = engine

    def _count(self, _conn: object) -> None:
        self.commits += 1

    def close(self) -> None:
        event.remove(self._engine, "commit", self._count)


@pytest.fixture
def journal(engine: Engine) -> Journal:
    vault = IdVault("group-commit-test-key")
    return Journal(
        HeldConversations(SqlConversationStore(engine, vault)),
        HeldExchanges(SqlMessageLog(engine), lambda: NOW),
    )


@pytest.fixture
def services(engine: Engine, journal: Journal, tmp_path: Path) -> ServerServices:
    return ServerServices(
        settings=Settings(data_dir=tmp_path),
        responder=Remembering(journal),
        health=lambda: True,
        outbox=SqlOutbox(engine),
        clock=FixedClock(NOW),
        inbound_store=SqlInboundStore(engine),
        blocks=SqlChannelBlocks(engine),
        journal=journal,
    )


@pytest.fixture
def commits(engine: Engine) -> Iterator[Counted]:
    counted = Counted(engine)
    yield counted
    counted.close()


def count(engine: Engine, table: object, *where: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())  # type: ignore[arg-type]


async def answer(services: ServerServices, n: int) -> bool:
    """What a channel does for one message: claim, answer, then the reply and the mark in one commit."""
    address = f"139{n:08d}"
    intake = await services.intake.submit(ClaimRequest("sms", f"m{n}", address, "你好", NOW, HOUR))
    assert (intake.claim, intake.recent) == ("new", 1)
    reply = await services.answerer.answer(Inbound("sms", address, "你好"))
    row = ReplyRow(f"reply:sms:m{n}", "sms", address, reply.text, NOW)
    queued, _ = await services.commit.submit_all(row, Handled("sms", f"m{n}", NOW))
    return queued


async def test_messages_finished_together_share_their_transactions(
    engine: Engine, services: ServerServices, commits: Counted
) -> None:
    assert await asyncio.gather(*(answer(services, n) for n in range(40))) == [True] * 40
    # Claims, replies + marks + the dialogue's writes in a few shared transactions: not 40 of each.
    assert commits.commits <= 8
    assert count(engine, OUTBOX) == 40 and count(engine, MESSAGES) == 80
    assert count(engine, INBOUND, INBOUND.c.handled_at.is_not(None)) == 40
    assert (
        SqlConversationStore(engine, IdVault("group-commit-test-key"))
        .load("sms", "13900000007", NOW)
        .previous_intent
        == "echo"
    )


async def test_claims_and_writes_arriving_together_share_one_transaction(
    engine: Engine, services: ServerServices, commits: Counted
) -> None:
    if engine.dialect.name == "postgresql":
        pytest.skip("on PostgreSQL claims are batched apart from the writes (the next test)")
    await services.intake.submit(ClaimRequest("sms", "t1", "13900000001", "你好", NOW, HOUR))
    await services.answerer.answer(Inbound("sms", "13900000001", "你好"))
    before = commits.commits
    row = ReplyRow("reply:sms:t1", "sms", "13900000001", "答：你好", NOW)
    # t1's reply and mark, a new message and a retry of t1 reach the batcher together.
    wrote, claimed, again = await asyncio.gather(
        services.commit.submit_all(row, Handled("sms", "t1", NOW)),
        services.intake.submit(ClaimRequest("sms", "t2", "13900000002", "学费", NOW, HOUR)),
        services.intake.submit(ClaimRequest("sms", "t1", "13900000001", "你好", NOW, HOUR)),
    )
    assert commits.commits == before + 1
    assert wrote == [True, True] and claimed.claim == "new"
    assert again.claim == "handled"  # marked handled in the same transaction, before the claims
    assert count(engine, OUTBOX) == 1 and count(engine, INBOUND) == 2 and count(engine, MESSAGES) == 2


async def test_on_postgresql_a_claim_does_not_wait_for_the_writes_in_flight(
    engine: Engine, services: ServerServices, journal: Journal
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: claims and writes share its transactions (the test above)")
    await services.intake.submit(ClaimRequest("sms", "w1", "13900000001", "你好", NOW, HOUR))
    await services.answerer.answer(Inbound("sms", "13900000001", "你好"))
    conversations = journal.conversations
    assert conversations is not None
    entered, release = threading.Event(), threading.Event()
    write = conversations.write

    def slow(conn: Connection) -> Callable[[], None]:  # a write batch still busy (its flush, say)
        entered.set()
        release.wait(10)
        return write(conn)

    conversations.write = slow  # type: ignore[method-assign]
    row = ReplyRow("reply:sms:w1", "sms", "13900000001", "答：你好", NOW)
    writing = asyncio.ensure_future(services.commit.submit_all(row, Handled("sms", "w1", NOW)))
    assert await asyncio.to_thread(entered.wait, 10)
    new = ClaimRequest("sms", "w2", "13900000002", "学费", NOW, HOUR)
    claimed = await asyncio.wait_for(services.intake.submit(new), 5)  # merged with the writes: stuck
    retry = await services.intake.submit(ClaimRequest("sms", "w1", "13900000001", "你好", NOW, HOUR))
    assert (claimed.claim, retry.claim, writing.done()) == ("new", "in_flight", False)
    release.set()
    assert await writing == [True, True]
    again = await services.intake.submit(ClaimRequest("sms", "w1", "13900000001", "你好", NOW, HOUR))
    assert again.claim == "handled"
    assert count(engine, OUTBOX) == 1 and count(engine, INBOUND) == 2


async def test_a_failed_commit_stores_nothing_of_a_request_and_tells_it(
    engine: Engine, services: ServerServices, journal: Journal
) -> None:
    await services.intake.submit(ClaimRequest("sms", "m1", "13900000001", "你好", NOW, HOUR))
    await services.answerer.answer(Inbound("sms", "13900000001", "你好"))
    broken = journal.exchanges
    assert broken is not None

    def fail(_conn: object) -> None:
        raise RuntimeError("disk full")

    broken.write = fail  # type: ignore[method-assign]
    row = ReplyRow("reply:sms:m1", "sms", "13900000001", "答：你好", NOW)
    with pytest.raises(RuntimeError, match="disk full"):
        await services.commit.submit_all(row, Handled("sms", "m1", NOW))
    assert count(engine, OUTBOX) == 0 and count(engine, INBOUND, INBOUND.c.handled_at.is_not(None)) == 0
    del broken.write  # the next commit carries what the failed one held
    assert await services.commit.submit_all(row, Handled("sms", "m1", NOW)) == [True, True]
    assert count(engine, OUTBOX) == 1 and count(engine, MESSAGES) == 2


async def test_a_busy_database_is_retried_not_failed(
    engine: Engine, services: ServerServices, journal: Journal
) -> None:
    conversations = journal.conversations
    assert conversations is not None
    real, failures = conversations.write, [OperationalError("UPDATE", {}, Exception("database is locked"))]

    def busy_once(conn: object) -> object:
        if failures:
            raise failures.pop()
        return real(conn)  # type: ignore[arg-type]

    conversations.write = busy_once  # type: ignore[method-assign]
    row = ReplyRow("reply:sms:b1", "sms", "13900000001", "答复", NOW)
    assert await services.commit.submit(row) is True and failures == []
    assert count(engine, OUTBOX) == 1


async def test_a_reply_and_a_lifted_block_commit_together_and_a_key_queues_once(
    engine: Engine, services: ServerServices
) -> None:
    services.blocks.block("telegram", "42", "blocked the bot", NOW)
    row = ReplyRow("reply:telegram:7", "telegram", "42", "答复", NOW)
    assert await services.commit.submit_all(Unblocked("telegram", "42"), row, row) == [True, True, False]
    assert services.blocks.blocked("telegram", ["42"]) == set()
    assert await services.commit.submit(row) is False and count(engine, OUTBOX) == 1


async def test_claims_read_ahead_the_states_of_the_conversations_they_answer(
    engine: Engine, services: ServerServices, journal: Journal
) -> None:
    SqlConversationStore(engine, IdVault("group-commit-test-key")).save(
        "sms", "13900000001", ConversationState(previous_intent="ask_fee"), NOW
    )
    first = ClaimRequest("sms", "r1", "13900000001", "那手机呢", NOW, HOUR)
    again = ClaimRequest("sms", "r2", "13900000001", "还有呢", NOW, HOUR)
    intakes = await asyncio.gather(services.intake.submit(first), services.intake.submit(again))
    assert [(i.claim, i.recent) for i in intakes] == [("new", 2), ("new", 2)]  # the sender's two this hour
    conversations = journal.conversations
    assert conversations is not None
    with engine.begin() as conn:  # the database changes: what was read ahead is used, once
        SqlConversationStore(engine, IdVault("group-commit-test-key")).save_many_on(
            conn, [("sms", "13900000001", ConversationState(previous_intent="ask_where", updated_at=NOW))]
        )
    assert conversations.load("sms", "13900000001", NOW).previous_intent == "ask_fee"
    assert conversations.load("sms", "13900000001", NOW).previous_intent == "ask_where"


async def test_an_answer_outside_a_channel_commits_what_it_wrote(
    engine: Engine, services: ServerServices
) -> None:
    reply = await services.answer(Inbound("console", "王芳", "你好"))
    assert reply.text == "答：你好" and count(engine, MESSAGES) == 2
    assert await services.commit.submit(FLUSH) is True  # nothing left held: harmless


async def test_requests_finishing_together_wake_the_dispatcher_once(services: ServerServices) -> None:
    woken: list[int] = []

    async def dispatch() -> None:
        woken.append(1)

    services.dispatch_soon = dispatch
    background = BackgroundTasks()
    for _ in range(30):
        services.wake_dispatcher(background)
    await background.join(5)
    assert woken == [1]
    services.wake_dispatcher(background)  # a later one gets a pass of its own
    await background.join(5)
    assert woken == [1, 1]


async def test_a_long_pass_keeps_one_wake_up_waiting_and_one_pass_follows_it(
    services: ServerServices,
) -> None:
    started: list[int] = []
    release = asyncio.Event()

    async def dispatch() -> None:  # a pass that lasts, as Telegram's pacing makes them
        started.append(len(started))
        await release.wait()

    services.dispatch_soon = dispatch
    background = BackgroundTasks()
    services.wake_dispatcher(background)
    await asyncio.sleep(0)
    for _ in range(200):  # batches of replies committed while the pass runs
        services.wake_dispatcher(background)
        await asyncio.sleep(0)
    assert started == [0] and len(background) == 1
    release.set()
    await background.join(5)
    assert started == [0, 1]  # one more pass, after the rows committed meanwhile
