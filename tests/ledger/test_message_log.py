"""The exchange log the service writes for every answer: both messages at once, ID numbers masked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from bot.kernel.clock import FixedClock
from ledger.crypto import IdVault
from ledger.message_log import SqlMessageLog
from ledger.store import SQLAlchemyLedgerStore

AT = dt.datetime(2023, 11, 24, 2, 0, tzinfo=dt.UTC)


def test_an_exchange_is_logged_in_and_out_and_read_back_for_staff(
    engine: Engine, vault: IdVault, clock: FixedClock
) -> None:
    log = SqlMessageLog(engine)
    log.log_exchange("sms", "13207425393", "停车场在哪", "抱歉，我没听懂", "nlu_fallback", AT)
    log.log_exchange("sms", "13207425393", "绑定 430603198208213088 刘洋", "请核对", "bind", AT)
    log.log_exchange(
        "telegram", "42", "能开发票吗", "通知未说明", "ask_not_in_notice", AT + dt.timedelta(minutes=1)
    )
    unanswered = SQLAlchemyLedgerStore(engine, vault, clock).unanswered(10)
    assert [(m.channel, m.address, m.text) for m in unanswered] == [
        ("telegram", "42", "能开发票吗"),
        ("sms", "13207425393", "停车场在哪"),
    ]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT direction, text FROM messages ORDER BY id")).all()
        conversations = conn.execute(text("SELECT count(*) FROM conversations")).scalar_one()
    assert [direction for direction, _ in rows] == ["in", "out"] * 3
    assert rows[2][1] == "绑定 4306**********3088 刘洋"
    assert conversations == 2
