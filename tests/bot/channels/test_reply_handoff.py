"""Replies stored claimed for the running dispatcher: sent without a claim, recorded in the group commit, never lost.

Real SQLite and PostgreSQL; the dispatcher is `reminders.dispatcher.Dispatcher` with an in-memory gateway;
statements are counted with an engine event.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select

from bot.channels.common import ServerServices
from bot.channels.group_commit import Handled
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound, Reply
from bot.kernel.settings import Settings
from ledger.channel_blocks import SqlChannelBlocks
from ledger.inbound import ClaimRequest, SqlInboundStore
from reminders.dispatcher import Dispatcher
from reminders.gateways import MemoryGateway
from reminders.outbox import OUTBOX, ReplyRow, SqlOutbox
from reminders.policy import QuietHours
from tests.timezone import SHANGHAI

NOW = dt.datetime(2023, 11, 24, 2, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


class Echo:
    def handle(self, inbound: Inbound) -> Reply:
        return Reply(f"答：{inbound.text}", "echo", 1.0)


class Statements:
    """The SQL statements run on an engine, by their first words."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[str] = []
        self._engine = engine
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        self.seen.append(" ".join(statement.split()).upper())

    def claims(self) -> int:
        """The dispatcher's claims: UPDATEs of the outbox that return the rows they took."""
        return sum(1 for s in self.seen if s.startswith("UPDATE OUTBOX") and " RETURNING " in s)

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)


@pytest.fixture
def sms() -> MemoryGateway:
    return MemoryGateway()


@pytest.fixture
def dispatcher(engine: Engine, sms: MemoryGateway) -> Iterator[Dispatcher]:
    quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
    running = Dispatcher(SqlOutbox(engine), {"sms": sms}, FixedClock(NOW), quiet)
    running.start()
    yield running
    if running.started:
        running.stop()


def wired(engine: Engine, dispatcher: Dispatcher, tmp_path: Path) -> ServerServices:
    """The services as `jxjy serve` wires them to its dispatcher."""
    services = ServerServices(
        settings=Settings(data_dir=tmp_path),
        responder=Echo(),
        health=lambda: True,
        outbox=dispatcher.outbox,
        clock=FixedClock(NOW),
        inbound_store=SqlInboundStore(engine),
        blocks=SqlChannelBlocks(engine),
        dispatch_soon=dispatcher.dispatch_due,
        dispatch_replies=functools.partial(dispatcher.dispatch_due, claim=False),
        handoff=dispatcher.handoff,
    )
    dispatcher.sent_recorder = services.record_sent
    return services


async def store_reply(services: ServerServices, n: int) -> bool:
    """What a channel does for one message: claim, answer, then the reply and the mark in one commit."""
    address = f"139{n:08d}"
    await services.intake.submit(ClaimRequest("sms", f"m{n}", address, "你好", NOW, HOUR))
    reply = await services.answerer.answer(Inbound("sms", address, "你好"))
    queued, _ = await services.commit.submit_all(
        ReplyRow(f"reply:sms:m{n}", "sms", address, reply.text, NOW), Handled("sms", f"m{n}", NOW)
    )
    return bool(queued)


def rows(engine: Engine) -> list[tuple[str, str | None, int]]:
    query = select(OUTBOX.c.status, OUTBOX.c.claimed_by, OUTBOX.c.attempts).order_by(OUTBOX.c.id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


async def test_a_reply_is_stored_claimed_and_sent_by_the_next_pass_without_a_claim(
    engine: Engine, dispatcher: Dispatcher, sms: MemoryGateway, tmp_path: Path
) -> None:
    services = wired(engine, dispatcher, tmp_path)
    assert [await store_reply(services, n) for n in range(3)] == [True] * 3
    # In sending for this dispatcher before any pass: nothing reads them back.
    assert rows(engine) == [("sending", dispatcher.owner, 1)] * 3
    recorded: list[int] = []

    async def record_sent(owner: str, send: tuple[int, dt.datetime, str | None]) -> None:
        recorded.append(send[0])
        await services.record_sent(owner, send)

    dispatcher.sent_recorder = record_sent
    statements = Statements(engine)
    try:
        summary = await dispatcher.dispatch_due(claim=False)
    finally:
        statements.close()
    assert summary.sent == 3 and len(sms.sent) == 3
    assert statements.claims() == 0
    assert len(recorded) == 3  # in the group commit, not in transactions of the dispatcher's own
    assert rows(engine) == [("sent", None, 1)] * 3


async def test_a_pass_for_replies_leaves_other_queued_rows_to_the_sweep(
    engine: Engine, dispatcher: Dispatcher, sms: MemoryGateway, tmp_path: Path
) -> None:
    services = wired(engine, dispatcher, tmp_path)
    assert dispatcher.outbox.enqueue_reply("reply:sms:other", "sms", "13900000099", "别处入队", NOW)
    assert await store_reply(services, 1)
    assert (await dispatcher.dispatch_due(claim=False)).sent == 1
    assert (await dispatcher.dispatch_due()).sent == 1  # the sweep claims the row queued elsewhere
    assert sorted(m.to for m in sms.sent) == ["13900000001", "13900000099"]


async def test_replies_stored_while_no_dispatcher_runs_are_queued_and_claimed_by_the_next_pass(
    engine: Engine, dispatcher: Dispatcher, sms: MemoryGateway, tmp_path: Path
) -> None:
    services = wired(engine, dispatcher, tmp_path)
    dispatcher.stop()
    assert await store_reply(services, 1)
    assert rows(engine) == [("queued", None, 0)]
    dispatcher.start()
    # Stored queued: even a pass asked for by replies claims them.
    assert (await dispatcher.dispatch_due(claim=False)).sent == 1
    assert rows(engine) == [("sent", None, 1)]


async def test_replies_handed_to_a_dispatcher_that_died_are_recovered_and_sent_once(
    engine: Engine, dispatcher: Dispatcher, sms: MemoryGateway, tmp_path: Path
) -> None:
    services = wired(engine, dispatcher, tmp_path)
    assert await store_reply(services, 1) and await store_reply(services, 2)
    dispatcher.stop()  # dies before its pass: the rows are in sending under its name
    quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
    successor = Dispatcher(SqlOutbox(engine), {"sms": sms}, FixedClock(NOW), quiet)
    assert successor.start() == 2  # requeued as orphans
    try:
        assert (await successor.dispatch_due()).sent == 2
    finally:
        successor.stop()
    # Started again in the same process, it has a new owner name: what it was handed is not its own.
    dispatcher.start()
    assert (await dispatcher.dispatch_due(claim=False)).sent == 0
    assert sorted(m.to for m in sms.sent) == ["13900000001", "13900000002"]
    assert [status for status, _, _ in rows(engine)] == ["sent", "sent"]


async def test_a_send_is_recorded_on_its_own_when_the_group_commit_fails(
    engine: Engine, dispatcher: Dispatcher, sms: MemoryGateway, tmp_path: Path
) -> None:
    services = wired(engine, dispatcher, tmp_path)
    assert await store_reply(services, 1)

    async def broken(owner: str, send: tuple[int, dt.datetime, str | None]) -> None:
        raise RuntimeError("group commit down")

    dispatcher.sent_recorder = broken
    assert (await dispatcher.dispatch_due(claim=False)).sent == 1
    assert rows(engine) == [("sent", None, 1)]
