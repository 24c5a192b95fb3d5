"""`jxjy reminders` end to end on a SQLite data dir: plan --json, run, broadcast, status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.reminders import app
from bot.kernel.settings import Settings
from ledger.db import open_database
from tests.reminders.support import insert_trainees, record

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("JXJY_DATABASE_URL", "JXJY_SMS_GATEWAY", "JXJY_TELEGRAM_TOKEN", "JXJY_CAMPAIGN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JXJY_DATA_DIR", str(tmp_path))
    engine = open_database(Settings(data_dir=tmp_path))
    insert_trainees(
        engine,
        [
            record(1, name="张三"),
            record(2, name="李四", registered=True),
            record(3, name="王五", registered=True, confirmed=True, paid=True, online_hours=32, audited=True),
        ],
    )
    engine.dispose()
    return tmp_path


def test_plan_json_matches_the_contract(data_dir: Path) -> None:
    result = runner.invoke(app, ["plan", "--now", "2023-11-24T10:00:00+08:00", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert [m["trainee_id"] for m in got] == [1, 2]
    assert set(got[0]) == {"trainee_id", "name", "channel", "send_at", "kinds", "text"}
    assert got[1]["kinds"] == ["confirmation_window", "hours_shortfall"]
    assert got[1]["channel"] == "sms" and got[1]["send_at"] == "2023-11-24T10:00:00+08:00"
    assert "李四" in got[1]["text"]


def test_run_sends_once_to_the_log(data_dir: Path) -> None:
    first = runner.invoke(app, ["run", "--now", "2023-11-24T10:00:00+08:00"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "本次提醒：应发 2 条，新加入发送队列 2 条；已发出 2 条"
    assert "INFO" not in first.output and "alembic" not in first.output
    lines = (data_dir / "sent.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 2
    again = runner.invoke(app, ["run", "--now", "2023-11-24T11:00:00+08:00"])
    assert "已发出 0 条" in again.output
    assert (
        json.loads(runner.invoke(app, ["plan", "--now", "2023-11-24T12:00:00+08:00", "--json"]).output) == []
    )


def test_broadcast_and_status(data_dir: Path) -> None:
    args = [
        "broadcast",
        "--segment",
        "not_registered",
        "--text",
        "请尽快报名。",
        "--now",
        "2023-11-24T10:00:00+08:00",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "共 1 人，新加入发送队列 1 条" in result.output
    repeat = runner.invoke(app, args)  # the same broadcast again: nothing new is queued
    assert "新加入发送队列 0 条" in repeat.output
    assert "已发送（sent）：" in runner.invoke(app, ["status"]).output
    bad = runner.invoke(app, ["broadcast", "--segment", "everyone", "--text", "x"])
    assert bad.exit_code == 2


def test_failed_lists_what_did_not_arrive_with_the_reason_and_masked(data_dir: Path) -> None:
    from sqlalchemy import update

    from reminders.outbox import OUTBOX

    assert runner.invoke(app, ["failed"]).output.strip() == "没有发送失败的消息。"
    assert runner.invoke(app, ["run", "--now", "2023-11-24T10:00:00+08:00"]).exit_code == 0
    engine = open_database(Settings(data_dir=data_dir))
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.trainee_id == 1)
            .values(status="failed", last_error="isv.MOBILE_NUMBER_ILLEGAL: 非法手机号")
        )
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.trainee_id == 2)
            .values(receipt="failed", last_error="receipt: MK:0001")
        )
    engine.dispose()
    result = runner.invoke(app, ["failed"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("未送达：receipt: MK:0001") and "138****0002" in lines[0]
    assert "失败：isv.MOBILE_NUMBER_ILLEGAL: 非法手机号" in lines[1] and "13800000001" not in result.output


def test_the_summary_names_messages_sent_by_sms_instead() -> None:
    from bot.cli.reminders import summary_text
    from reminders.dispatcher import DispatchSummary

    line = summary_text(3, 3, DispatchSummary(sent=3, rerouted=1))
    assert (
        line == "本次提醒：应发 3 条，新加入发送队列 3 条；已发出 3 条，微信或 Telegram 送不到、改发短信 1 条"
    )
