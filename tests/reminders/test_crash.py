"""Kill the dispatcher at random points during a 10,000-message run: nothing lost, duplicates only in flight."""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from ledger.db import make_engine, migrate
from reminders.outbox import OUTBOX, SqlOutbox
from reminders.policy import Reminder
from tests.reminders.support import insert_trainees, record, shanghai

MESSAGES = 10_000
KILLS = 20
ROOT = Path(__file__).resolve().parents[2]


def _seed(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    insert_trainees(engine, [record(i) for i in range(1, MESSAGES + 1)])
    at = shanghai("2023-11-20T09:00")
    planned = [
        Reminder(i, f"学员{i}", "sms", f"138{i:08d}", at, ("registration",), (), f"消息{i}", f"crash:{i}")
        for i in range(1, MESSAGES + 1)
    ]
    assert SqlOutbox(engine).enqueue(planned, at) == MESSAGES
    engine.dispose()


def _sent_ids(log_file: Path) -> list[int]:
    if not log_file.exists():
        return []
    ids = []
    for line in log_file.read_text("utf-8").splitlines():
        try:
            ids.append(int(json.loads(line)["id"]))
        except (ValueError, KeyError):
            continue  # a line cut by the kill would be a loss, and is caught by the count below
    return ids


def _in_flight(url: str) -> set[int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = set(conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.status == "sending")).scalars())
    engine.dispose()
    return rows


def _worker(url: str, log_file: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reminders.crash_worker", url, str(log_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_kill_the_dispatcher_twenty_times(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    log_file = tmp_path / "sent.jsonl"
    _seed(url)
    rng = random.Random(int(os.environ.get("JXJY_CRASH_SEED", "4")))
    in_flight_per_kill: list[set[int]] = []
    kills = 0
    while kills < KILLS:
        before = len(_sent_ids(log_file))
        proc = _worker(url, log_file)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 10
        while len(_sent_ids(log_file)) == before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.1))
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        if finished:
            break  # the run ended before the kill
        kills += 1
        in_flight_per_kill.append(_in_flight(url))
    final = _worker(url, log_file)
    assert final.wait(timeout=120) == 0
    assert final.stdout is not None
    final.stdout.close()

    sent = collections.Counter(_sent_ids(log_file))
    assert kills == KILLS, f"the run finished after only {kills} kills; slow the worker or lower the delays"
    assert set(sent) == set(range(1, MESSAGES + 1)), "a message was lost"
    for message_id, count in sent.items():
        if count > 1:
            times_in_flight = sum(message_id in flight for flight in in_flight_per_kill)
            assert count - 1 <= times_in_flight, (
                f"message {message_id} sent {count}x, in flight {times_in_flight}x"
            )
    engine = make_engine(url)
    assert SqlOutbox(engine).counts() == {"sent": MESSAGES}
    engine.dispose()
    duplicates = sum(c - 1 for c in sent.values())
    print(f"\n{kills} kills, {duplicates} duplicate(s), all in flight at a kill")


def test_started_rows_are_timestamped_in_utc() -> None:
    # The crash test relies on wall-clock claims; make sure they are aware.
    from reminders.outbox import wall_now

    assert wall_now().tzinfo is dt.UTC
