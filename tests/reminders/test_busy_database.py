"""No double without a crash: a send is recorded even when SQLite's write lock is held for long.

Before, a ``mark_sent`` that waited longer than the busy timeout gave up, the row stayed ``sending`` and the
next start sent it again. Now the record is retried until it lands; a restart finds nothing to resend.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from bot.kernel.clock import FixedClock
from knowledge.campaign import Campaign
from ledger.crypto import IdVault
from ledger.db import make_engine, migrate
from ledger.importer import import_ledger
from ledger.validate import COLUMNS
from reminders.dispatcher import Dispatcher, DispatchLimits
from reminders.gateways import Channel, Gateway, LogSmsGateway, MemoryGateway, OutboundMessage, SendResult
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours

BUSY_TIMEOUT_MS = 20
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def impatient_engine(url: str) -> Engine:
    """An engine that gives up on SQLite's write lock after 20 ms instead of 5 s, so waits show quickly."""
    engine = make_engine(url)

    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    event.listen(engine, "connect", short_wait)
    return engine


def queue_replies(engine: Engine, count: int, now: dt.datetime) -> None:
    outbox = SqlOutbox(engine)
    for n in range(count):
        assert outbox.enqueue_reply(f"reply:sms:{n}", "sms", f"139{n:08d}", f"答复{n}", now)


class LockingGateway:
    """Accept every message; on the first, hold the database's write lock for a second from another thread."""

    def __init__(self, database: Path) -> None:
        self.sent = MemoryGateway()
        self.database = database
        self.holder: threading.Thread | None = None
        self.locked = threading.Event()

    def _hold_write_lock(self) -> None:
        conn = sqlite3.connect(self.database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        self.locked.set()
        time.sleep(1.0)  # fifty busy timeouts
        conn.execute("COMMIT")
        conn.close()

    async def send(self, msg: OutboundMessage) -> SendResult:
        if self.holder is None:
            self.holder = threading.Thread(target=self._hold_write_lock)
            self.holder.start()
            self.locked.wait()
        return await self.sent.send(msg)


async def test_a_send_is_recorded_after_the_write_lock_comes_free(
    tmp_path: Path, quiet: QuietHours, clock: FixedClock
) -> None:
    database = tmp_path / "busy.sqlite3"
    engine = impatient_engine(f"sqlite:///{database}")
    migrate(engine)
    queue_replies(engine, 20, clock.now())
    gateway = LockingGateway(database)
    gateways: dict[Channel, Gateway] = {"sms": gateway}
    dispatcher = Dispatcher(SqlOutbox(engine), gateways, clock, quiet, DispatchLimits(concurrency=4))
    dispatcher.start()
    summary = await dispatcher.dispatch_due()
    dispatcher.stop()
    assert gateway.holder is not None
    gateway.holder.join()
    assert summary.sent == 20
    # A restart: nothing was left in sending, so nothing goes out twice.
    restarted = Dispatcher(SqlOutbox(engine), gateways, clock, quiet)
    assert restarted.start() == 0
    assert (await restarted.dispatch_due()).sent == 0
    restarted.stop()
    assert SqlOutbox(engine).counts() == {"sent": 20}
    assert sorted(int(m.id) for m in gateway.sent.sent) == list(range(1, 21))
    engine.dispose()


def id_number(index: int) -> str:
    body = f"430602{dt.date(1960, 1, 1) + dt.timedelta(days=index // 1000):%Y%m%d}{index % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def write_ledger(path: Path, rows: int, campaign: Campaign) -> None:
    posts = campaign.facts.posts
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([chinese for chinese, _ in COLUMNS.values()])
        for n in range(rows):
            phone = f"137{n:08d}"
            writer.writerow([f"学员{n}", id_number(n), phone, posts[n % len(posts)], "岳阳建工", "是", "是", "否", 8, 0, "否"])  # fmt: skip


async def test_a_long_import_beside_the_dispatcher_sends_nothing_twice(
    tmp_path: Path, quiet: QuietHours, clock: FixedClock, campaign: Campaign
) -> None:
    database = tmp_path / "jxjy.sqlite3"
    url = f"sqlite:///{database}"
    importer_engine = make_engine(url)  # the import waits as long as it usually would
    migrate(importer_engine)
    ledger = tmp_path / "ledger.csv"
    write_ledger(ledger, 20_000, campaign)
    messages = 600
    engine = impatient_engine(url)
    queue_replies(engine, messages, clock.now())
    sent_log = tmp_path / "sent.jsonl"
    gateways: dict[Channel, Gateway] = {"sms": LogSmsGateway(sent_log, clock=clock)}
    dispatcher = Dispatcher(SqlOutbox(engine), gateways, clock, quiet, DispatchLimits(batch_size=20))
    dispatcher.start()
    imported: list[int] = []

    def run_import() -> None:
        report = import_ledger(importer_engine, IdVault("k"), ledger, campaign.facts.posts, clock.now())
        imported.append(report.inserted)

    importer = threading.Thread(target=run_import)
    importer.start()
    summary = await dispatcher.dispatch_due()
    importer.join()
    dispatcher.stop()
    assert imported == [20_000]
    restarted = Dispatcher(SqlOutbox(engine), gateways, clock, quiet)
    restarted.start()
    again = await restarted.dispatch_due()
    restarted.stop()
    assert (summary.sent, again.sent, again.recovered) == (messages, 0, 0)
    lines = collections.Counter(json.loads(line)["id"] for line in sent_log.read_text("utf-8").splitlines())
    assert len(lines) == messages and set(lines.values()) == {1}, "a message went out twice"
    assert SqlOutbox(engine).counts() == {"sent": messages}
    engine.dispose()
    importer_engine.dispose()
