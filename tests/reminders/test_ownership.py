"""Restarts: the right to dispatch dies with its holder, so a restarted service dispatches at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from bot.kernel.clock import FixedClock
from knowledge.campaign import Campaign
from reminders.dispatcher import Dispatcher
from reminders.gateways import Channel, Gateway, MemoryGateway
from reminders.outbox import OUTBOX, SqlOutbox
from reminders.ownership import DispatcherBusyError
from reminders.policy import QuietHours
from reminders.scheduler import ReminderScheduler

ROOT = Path(__file__).resolve().parents[2]


def queue_replies(engine: Engine, count: int, clock: FixedClock) -> None:
    outbox = SqlOutbox(engine)
    for n in range(count):
        outbox.enqueue_reply(f"reply:sms:{n}", "sms", f"139{n:08d}", f"答复{n}", clock.now())


@pytest.fixture
def stuck_worker(database_url: str) -> Iterator[subprocess.Popen[str]]:
    """A dispatcher process that has claimed five messages and hangs sending them."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reminders.stuck_worker", database_url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("claimed ")
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    proc.stdout.close()


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def dispatcher_for(
    engine: Engine, gateway: MemoryGateway, clock: FixedClock, quiet: QuietHours
) -> Dispatcher:
    gateways: dict[Channel, Gateway] = {"sms": gateway}
    return Dispatcher(SqlOutbox(engine), gateways, clock, quiet)


async def test_a_killed_dispatcher_gives_way_at_once(
    engine: Engine, clock: FixedClock, quiet: QuietHours, request: pytest.FixtureRequest
) -> None:
    queue_replies(engine, 10, clock)
    worker: subprocess.Popen[str] = request.getfixturevalue("stuck_worker")
    assert SqlOutbox(engine).counts() == {"sending": 5, "queued": 5}
    gateway = MemoryGateway()
    survivor = dispatcher_for(engine, gateway, clock, quiet)
    if engine.dialect.name == "sqlite":
        with pytest.raises(DispatcherBusyError):
            survivor.start()
        kill(worker)
        assert survivor.start() == 5  # at once: no lease to run out
        assert (await survivor.dispatch_due()).sent == 10
    else:
        survivor.start()
        # The worker is alive: its five stay its own, the other five go.
        assert (await survivor.dispatch_due()).sent == 5
        kill(worker)
        deadline = time.monotonic() + 10
        recovered = 0
        while recovered == 0 and time.monotonic() < deadline:  # the server notices the closed session
            summary = await survivor.dispatch_due()
            recovered += summary.recovered
        assert (recovered, summary.sent) == (5, 5)
    survivor.stop()
    assert sorted(m.text for m in gateway.sent) == sorted(f"答复{n}" for n in range(10))
    assert SqlOutbox(engine).counts() == {"sent": 10}


async def test_a_restarted_container_with_the_same_host_and_pid_dispatches_at_once(
    engine: Engine, clock: FixedClock, quiet: QuietHours
) -> None:
    # A container restarts: same host name, and its process is PID 1 again, as it was. A PID check would
    # call the old owner alive; nobody holds its lock, which is what counts.
    queue_replies(engine, 3, clock)
    me = f"{socket.gethostname()}:{os.getpid()}:123456"
    SqlOutbox(engine).claim(me, clock.now(), 3)
    gateway = MemoryGateway()
    restarted = dispatcher_for(engine, gateway, clock, quiet)
    recovered = restarted.start()
    summary = await restarted.dispatch_due()
    restarted.stop()
    assert (recovered + summary.recovered, summary.sent) == (3, 3)


async def test_a_second_service_on_sqlite_serves_and_takes_over_dispatch_later(
    engine: Engine, campaign: Campaign, clock: FixedClock, quiet: QuietHours
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL runs a dispatcher in every instance")
    first = dispatcher_for(engine, MemoryGateway(), clock, quiet)
    first.start()
    gateway = MemoryGateway()
    second = ReminderScheduler(engine, campaign, clock, quiet, {"sms": gateway})
    second.start()  # no error: it serves without dispatching for now
    try:
        queue_replies(engine, 2, clock)
        assert (await second.dispatch_sweep()).sent == 0
        first.stop()
        assert (await second.dispatch_sweep()).sent == 2
    finally:
        second.shutdown()


def test_pending_rows_of_a_live_owner_stay_its_own(
    engine: Engine, clock: FixedClock, quiet: QuietHours
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one dispatcher: every row in sending at its start is an orphan")
    queue_replies(engine, 4, clock)
    live = dispatcher_for(engine, MemoryGateway(), clock, quiet)
    live.start()
    SqlOutbox(engine).claim(live.owner, clock.now(), 2)
    SqlOutbox(engine).claim("old-host:1:not-a-lock", clock.now(), 2)
    try:
        assert SqlOutbox(engine).requeue_orphans() == 2
        with engine.connect() as conn:
            owners = conn.execute(
                OUTBOX.select().with_only_columns(OUTBOX.c.claimed_by).where(OUTBOX.c.status == "sending")
            ).scalars()
            assert set(owners) == {live.owner}
    finally:
        live.stop()
        with engine.begin() as conn:
            conn.execute(update(OUTBOX).values(status="queued", claimed_by=None))
