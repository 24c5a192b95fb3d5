"""Measure the console's page render times with a large ledger.

    python -m bench.bench_console [ROWS] [DATABASE_URL] [--reuse]

Imports ROWS generated trainees (default 100,000) into a fresh SQLite file (or the given URL, wiped), adds
2,000 unanswered questions and a broadcast to everyone, then starts the console on a fresh engine and requests
every page over HTTP as a signed-in staff member: the first request of each page (cold: a fresh process and
engine, a second after the start) and the median and worst of 5 more (warm), with the warm median's CPU time;
last, the dashboard after each of 6 writes to the ledger (every request counts it again). Target: ≤ 200 ms.
With ``--reuse`` and a DATABASE_URL that already holds a seeded ledger, seeding is skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text, update

from bench.bench_import import write_ledger
from bot.app import Runtime, build_console
from bot.channels.common import ServerServices
from bot.console.accounts import StaffAccounts
from bot.console.web import install
from bot.http import build_app
from bot.kernel.messages import Inbound, Reply
from bot.kernel.settings import Settings
from ledger.importer import import_ledger
from ledger.store import TRAINEES, SQLAlchemyLedgerStore
from reminders.audience import Audience
from reminders.broadcasts import send_broadcast
from reminders.outbox import SqlOutbox

NOW = "2023-11-24T10:00:00+08:00"
PASSWORD = "bench-password-1"
REPEAT = 5  # warm requests per page, after the cold one
RECOUNT = "GET /console/ after a ledger change (recount)"
QUESTIONS = ("附近哪里可以停车", "证书丢了怎么补办", "能开发票吗", "可以代缴吗", "考试难不难")


class Silent:
    """A responder for the services the console does not use here."""

    def handle(self, inbound: Inbound) -> Reply:
        return Reply("", "nlu_fallback", 0.0)


def seed(runtime: Runtime, rows: int, folder: Path) -> None:
    ledger = folder / "ledger.csv"
    write_ledger(ledger, rows)
    engine = runtime.engine()
    started = time.perf_counter()
    report = import_ledger(
        engine, runtime.id_vault(), ledger, runtime.campaign.facts.posts, runtime.clock.now()
    )
    print(f"imported {report.inserted} trainees in {time.perf_counter() - started:.1f} s")
    store = SQLAlchemyLedgerStore(engine, runtime.id_vault(), runtime.clock)
    for n in range(2000):
        store.log_message(
            "sms", f"139{n:08d}", "in", QUESTIONS[n % 5] + "？" * (n % 3), "nlu_fallback", runtime.clock.now()
        )
    started = time.perf_counter()
    recipients, _ = send_broadcast(
        engine, runtime.campaign, runtime.clock.now(), runtime.quiet_hours(), broadcast_id="bench",
        audience=Audience(), text="{姓名}您好，请留意截止日期。", created_by="bench",
    )  # fmt: skip
    print(f"broadcast to {recipients} in {time.perf_counter() - started:.1f} s")
    StaffAccounts(engine, runtime.clock).add("bench", PASSWORD)


async def measure(runtime: Runtime) -> list[tuple[str, float, float, float, float]]:
    console = build_console(runtime, brain=Silent())  # type: ignore[arg-type]
    services = ServerServices(
        settings=runtime.settings,
        responder=Silent(),
        health=lambda: True,
        outbox=SqlOutbox(runtime.engine()),
        clock=runtime.clock,
        extra_routes=(install(console),),
    )
    client = TestClient(TestServer(build_app(services)))
    await client.start_server()
    await asyncio.sleep(1.0)  # staff come a while after a start: the console's warm-up has run by then
    try:
        login = await (await client.get("/console/login")).text()
        token = login.split('name="csrf" value="')[1].split('"')[0]
        form = {"csrf": token, "name": "bench", "password": PASSWORD}
        # Not following the redirect: the dashboard's first request is measured below, cold.
        signed_in = await client.post("/console/login", data=form, allow_redirects=False)
        assert signed_in.status == 302, signed_in.status
        page = await (await client.get("/console/audit")).text()
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        preview = {
            "csrf": csrf,
            "status": "unpaid",
            "post": "安全员",
            "text": "{姓名}请缴费",
            "action": "preview",
        }
        everyone = {"csrf": csrf, "text": "{姓名}您好", "action": "preview"}
        requests = [
            ("GET /console/ (dashboard)", "get", "/console/", None),
            ("GET /console/trainees", "get", "/console/trainees", None),
            ("GET /console/trainees?page=1000", "get", "/console/trainees?page=1000", None),
            ("GET /console/trainees?q=王伟", "get", "/console/trainees?q=%E7%8E%8B%E4%BC%9F", None),
            ("GET /console/trainees?status=unpaid&post=安全员", "get",
             "/console/trainees?status=unpaid&post=%E5%AE%89%E5%85%A8%E5%91%98", None),
            ("GET /console/trainees/50000", "get", "/console/trainees/50000", None),
            ("GET /console/import", "get", "/console/import", None),
            ("GET /console/broadcasts", "get", "/console/broadcasts", None),
            ("POST /console/broadcasts (preview)", "post", "/console/broadcasts", preview),
            ("POST /console/broadcasts (preview, everyone)", "post", "/console/broadcasts", everyone),
            ("GET /console/broadcasts/bench (report)", "get", "/console/broadcasts/bench", None),
            ("GET /console/unanswered", "get", "/console/unanswered", None),
            ("GET /console/audit", "get", "/console/audit", None),
            # Before each request, a write elsewhere (an opt-out on another instance) moves the ledger's
            # stamp: every one of these counts the ledger again, as after an import.
            (RECOUNT, "get", "/console/", None),
        ]  # fmt: skip
        results = []
        for label, method, path, data in requests:
            times, cpu = [], []
            for n in range(1 + REPEAT):
                if label == RECOUNT:
                    touch(runtime, n)
                started, cpu_started = time.perf_counter(), time.process_time()
                response = await client.request(method, path, data=data)
                await response.read()
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                assert response.status == 200, (path, response.status)
            warm = times[1:]
            results.append((label, times[0], statistics.median(warm), max(warm), statistics.median(cpu[1:])))
        return results
    finally:
        await client.close()


def touch(runtime: Runtime, n: int) -> None:
    """Write to one trainee as another process would (a new ``updated_at``)."""
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=n)
    with runtime.engine().begin() as conn:
        conn.execute(update(TRAINEES).where(TRAINEES.c.id == 1).values(updated_at=at))


def seeded(url: str) -> bool:
    """Whether ``url`` already holds the bench's ledger (its staff account exists)."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        if "staff" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM staff WHERE name = 'bench'")).scalar_one() > 0
    finally:
        engine.dispose()


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--reuse"]
    reuse = "--reuse" in sys.argv[1:]
    rows = int(args[0]) if args else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args[1] if len(args) > 1 else f"sqlite:///{folder / 'bench.sqlite3'}"
        fresh = not (reuse and seeded(url))
        if fresh and url.startswith("postgresql"):
            from sqlalchemy import create_engine

            wipe = create_engine(url)
            with wipe.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            wipe.dispose()
        elif fresh and url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        settings = Settings(data_dir=folder, database_url=url, secret_key="bench-secret-key")
        if fresh:
            seeding = Runtime.create(NOW, settings)
            seed(seeding, rows, folder)
            seeding.engine().dispose()
        runtime = Runtime.create(NOW, settings)  # a fresh engine: the first requests open its connections
        # Wall time on a shared machine varies with its load; CPU time (server and client, one process) less so.
        print(f"{'page':50} {'cold ms':>8} {'median ms':>10} {'worst ms':>10} {'CPU ms':>8}")
        for label, cold, median, worst, cpu in asyncio.run(measure(runtime)):
            print(f"{label:50} {cold:8.1f} {median:10.1f} {worst:10.1f} {cpu:8.1f}")
        runtime.engine().dispose()


if __name__ == "__main__":
    main()
