"""`jxjy serve` rehearses its hot path before serving: every statement runs once, and nothing of it is kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Table, event, func, select
from sqlalchemy.exc import OperationalError

from bot.channels.sms_http import sign
from bot.dialogue.conversation_sql import STATES
from ledger.inbound import INBOUND, SqlInboundStore
from ledger.store import CONVERSATIONS, MESSAGES
from reminders.outbox import OUTBOX
from tests.bot.channels.conftest import StartService

KEPT: tuple[Table, ...] = (INBOUND, OUTBOX, STATES, CONVERSATIONS, MESSAGES)


async def test_the_rehearsal_leaves_no_row_and_no_held_write(start_service: StartService) -> None:
    service = await start_service()  # build_service rehearses
    with service.engine.connect() as conn:
        counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar() for table in KEPT
        }
    assert counts == dict.fromkeys(counts, 0)
    journal = service.services.journal
    assert journal is not None and journal.conversations is not None and journal.exchanges is not None
    assert (len(journal.conversations), len(journal.exchanges)) == (0, 0)
    handoff = service.services.handoff
    assert handoff is not None and len(handoff) == 0  # type: ignore[arg-type]


async def test_the_rehearsal_runs_the_statements_of_an_answer(start_service: StartService) -> None:
    service = await start_service()
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split("(")[0].strip())

    event.listen(service.engine, "before_cursor_execute", seen)
    try:
        service.services.rehearse()
    finally:
        event.remove(service.engine, "before_cursor_execute", seen)
    for wanted in ("INSERT INTO inbound_messages", "INSERT INTO outbox", "UPDATE inbound_messages",
                   "INSERT INTO conversation_states", "INSERT INTO messages", "UPDATE outbox"):  # fmt: skip
        assert any(s.startswith(wanted) for s in statements), (wanted, statements)
    with service.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OUTBOX)).scalar() == 0


async def test_after_the_rehearsal_a_message_is_answered_and_stored_once(start_service: StartService) -> None:
    service = await start_service(sms_secret="s3cret")
    body = json.dumps(
        {"id": "m1", "from": "13912345678", "text": "培训费多少钱"}, ensure_ascii=False
    ).encode()
    resp = await service.client.post(
        "/sms/inbound", data=body, headers={"X-Jxjy-Signature": sign(body, "s3cret")}
    )
    assert resp.status == 200
    await service.settle()
    with service.engine.connect() as conn:
        stored = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar() for table in KEPT
        }
    assert stored == {**dict.fromkeys(stored, 1), MESSAGES.name: 2}  # the message and its answer
    assert [(row["address"], "100" in row["text"]) for row in service.outbox()] == [("13912345678", True)]


async def test_a_failed_rehearsal_is_logged_and_drops_what_it_held(
    start_service: StartService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service = await start_service()

    def locked(*_args: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(SqlInboundStore, "intake_on", locked)  # after the answers and the writes
    service.services.rehearse()
    assert "rehearsal before serving failed" in caplog.text
    journal = service.services.journal
    assert journal is not None and journal.conversations is not None and journal.exchanges is not None
    assert (len(journal.conversations), len(journal.exchanges)) == (0, 0)
    with service.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(STATES)).scalar() == 0
