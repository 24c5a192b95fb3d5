"""Bench support: run `jxjy serve` as a user would (its own process), measure load and memory from outside."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
SMS_TEXTS = ("报名时间是什么时候", "在哪里确认", "学费多少钱", "线上要学多少学时", "怎么缴费")
CALLBACK_TOKEN = "bench-callback-token"  # JXJY_SMS_CALLBACK_TOKEN of the providers' push endpoints
SMS_CHANNELS = ("generic", "aliyun", "tencent")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jxjy() -> str:
    """The installed `jxjy` command beside this interpreter."""
    found = Path(sys.executable).with_name("jxjy")
    return str(found) if found.exists() else (shutil.which("jxjy") or "jxjy")


def sign(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema of the PostgreSQL database at ``url``."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def service_env(data_dir: Path, url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a `jxjy serve` under bench: its data dir, the log SMS gateway, the SMS secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXJY_")}
    env.update({"JXJY_DATA_DIR": str(data_dir), "JXJY_SMS_SECRET": SECRET, "JXJY_SMS_GATEWAY": "log",
                "JXJY_SMS_CALLBACK_TOKEN": CALLBACK_TOKEN})  # fmt: skip
    if url:
        env["JXJY_DATABASE_URL"] = url
    env.update(extra)
    return env


def train_model(env: dict[str, str]) -> None:
    """The deployment steps before `jxjy serve` (deploy/README.md): the schema, the NLU model cache."""
    subprocess.run([jxjy(), "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([jxjy(), "nlu", "train"], env=env, check=True, capture_output=True)


@contextlib.contextmanager
def running_service(env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `jxjy serve --port port`, wait for /healthz, stop it with SIGTERM on exit."""
    command = [jxjy()]
    if os.environ.get("JXJY_BENCH_PHASES"):  # each request's phases timed (bench/phase_probe.py)
        command = [sys.executable, str(Path(__file__).with_name("phase_probe.py"))]
        env = {**env, **{k: v for k, v in os.environ.items() if k.startswith("JXJY_BENCH_")}}
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            [*command, "serve", "--port", str(port)], env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        wait_healthy(port, proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll /healthz until it answers 200; raise if the process ends or the time runs out."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jxjy serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError("jxjy serve did not become healthy")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(database: str) -> float:
    """User plus system CPU time so far of the PostgreSQL processes working for ``database``.

    Its backends (the service's pooled connections) and autovacuum workers, whose titles name the database,
    and the WAL writer, which flushes every commit. Other databases' work on a shared server is left out;
    so is a backend that ended meanwhile (a pooled connection lives as long as the service).
    """
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, rest = stat.read_text().rpartition(")")
            title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if head.split("(", 1)[-1] != "postgres":
            continue
        if f" {database} " in f" {title} " or "walwriter" in title:
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


@dataclass
class LoadResult:
    """Latencies (seconds) of every request, the wall time of the whole run, and how it was driven."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    rate: float | None = None  # requests offered per second (open loop), or None: as fast as answered
    # (n, due, sent, answered) of each request, on the clock every process shares (time.perf_counter)
    times: list[tuple[int, float, float, float]] = field(default_factory=list)

    def summary(self, label: str) -> str:
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000
        rate = len(ordered) / self.elapsed
        offered = f" (offered {self.rate:,.0f}/s)" if self.rate else ""
        return (
            f"{label}: {len(ordered)} requests in {self.elapsed:.2f} s = {rate:,.0f} req/s{offered}; "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms; statuses {self.statuses}"
        )


Request = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


async def load(total: int, concurrency: int, request: Request, rate: float | None = None) -> LoadResult:
    """Run ``request(session, n)`` for n in 0..total-1 and time each.

    Closed loop (no ``rate``): ``concurrency`` workers, each sending its next request when the last is
    answered, so the service runs flat out and a request's latency includes its wait behind the others
    (on average concurrency / throughput). Open loop (``rate``): request n is due at n / rate seconds,
    whatever the answers, on up to ``concurrency`` connections; its latency counts from when it was due,
    so a service that falls behind shows it.
    """
    result = LoadResult(rate=rate)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def timed(session: aiohttp.ClientSession, n: int, since: float) -> None:
        sent = time.perf_counter()
        status = await request(session, n)
        result.latencies.append(time.perf_counter() - since)
        result.times.append((n, since, sent, time.perf_counter()))
        result.statuses[status] = result.statuses.get(status, 0) + 1

    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        if rate is None:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for n in range(total):
                queue.put_nowait(n)

            async def worker() -> None:
                while not queue.empty():
                    await timed(session, queue.get_nowait(), time.perf_counter())

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        elif os.environ.get("JXJY_BENCH_EAGER_CLIENT"):  # the client before stop 22, for comparison

            async def due(n: int) -> None:
                at = started + n / rate
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                await timed(session, n, at)

            await asyncio.gather(*(due(n) for n in range(total)))
        else:
            # Each request is started when it is due, not made in advance: making all of them up front
            # (thousands of tasks) kept this client busy for the first 60-130 ms, and the first requests
            # then went out late, counted against the service.
            in_flight: set[asyncio.Task[None]] = set()
            started = time.perf_counter()
            for n in range(total):
                at = started + n / rate
                wait = at - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                task = asyncio.ensure_future(timed(session, n, at))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            while in_flight:
                await asyncio.gather(*in_flight)
        result.elapsed = time.perf_counter() - started
    if os.environ.get("JXJY_BENCH_PHASES"):
        Path(os.environ["JXJY_BENCH_PHASES"] + ".client").write_text(json.dumps(result.times))
    return result


@dataclass
class Meter:
    """CPU used meanwhile by the service, the PostgreSQL server (``postgres``) and this client; the load."""

    pid: int
    postgres: str | None = None  # the database's URL
    marks: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def start(self) -> None:
        pg = self._postgres_cpu()
        self.marks = (cpu_seconds(self.pid), pg, time.process_time(), os.getloadavg()[0])

    def report(self, requests: int, what: str = "request") -> str:
        """CPU per request since ``start``, in ms, and the 1-minute load average then and now."""
        service, pg, client, load_before = self.marks
        used = [
            ("service", cpu_seconds(self.pid) - service),
            *([("PostgreSQL", self._postgres_cpu() - pg)] if self.postgres else []),
            ("bench client", time.process_time() - client),
        ]
        cpu = ", ".join(f"{name} {seconds / requests * 1000:.2f} ms" for name, seconds in used)
        return f"CPU per {what}: {cpu}; load average {load_before:.2f} -> {os.getloadavg()[0]:.2f} (2 cores)"

    def _postgres_cpu(self) -> float:
        if not self.postgres:
            return 0.0
        from sqlalchemy.engine import make_url

        return postgres_cpu_seconds(str(make_url(self.postgres).database))


def sms_request(port: int, offset: int = 0, channel: str = "generic") -> Request:
    """An inbound SMS: a new message from a new sender for each n, as ``channel`` delivers it.

    ``generic``: signed JSON to /sms/inbound; ``aliyun``: an SmsUp push (one message) to /sms/aliyun/up;
    ``tencent``: a 短信回复 push to /sms/tencent/reply. The providers' pushes carry ``?token=``.
    """
    base = f"http://127.0.0.1:{port}"

    def generic(k: int, phone: str, text: str) -> tuple[str, bytes, dict[str, str]]:
        body = json.dumps({"id": f"bench-{k}", "from": phone, "text": text}, ensure_ascii=False).encode()
        return f"{base}/sms/inbound", body, {"X-Jxjy-Signature": sign(body)}

    def aliyun(k: int, phone: str, text: str) -> tuple[str, bytes, dict[str, str]]:
        item = {"phone_number": phone, "content": text, "send_time": "2023-11-24 10:00:00",
                "dest_code": "1234", "sequence_id": 9_000_000 + k}  # fmt: skip
        body = json.dumps([item], ensure_ascii=False).encode()
        return f"{base}/sms/aliyun/up?token={CALLBACK_TOKEN}", body, {}

    def tencent(k: int, phone: str, text: str) -> tuple[str, bytes, dict[str, str]]:
        item = {"mobile": phone, "nationcode": "86", "text": text, "sign": "", "time": 1_700_000_000 + k}
        body = json.dumps(item, ensure_ascii=False).encode()
        return f"{base}/sms/tencent/reply?token={CALLBACK_TOKEN}", body, {}

    build = {"generic": generic, "aliyun": aliyun, "tencent": tencent}[channel]

    async def send(session: aiohttp.ClientSession, n: int) -> int:
        k = n + offset
        url, body, headers = build(k, f"139{k:08d}", SMS_TEXTS[k % len(SMS_TEXTS)])
        headers["Content-Type"] = "application/json"
        async with session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    return send
