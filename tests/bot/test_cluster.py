"""Three `jxjy serve` instances on one PostgreSQL behind Debian's nginx, one killed in the middle of the load.

As a deployment runs it (deploy/): the instances start together on a fresh database (migrations under a
lock), nginx spreads requests round robin, the SMS provider retries whatever did not get a 200 with the same
message id. Then every message is answered exactly once in the outbox, nothing is lost, and a reply goes out
twice only if it was in flight in the killed instance (sent, not yet recorded, so claimed again).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import Engine, create_engine, select

from bot.channels.sms_http import sign
from reminders.outbox import OUTBOX
from tests.conftest import POSTGRES_ENV, clean_database_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "cluster-secret"
INSTANCES = 3
MESSAGES = 450
KILL_AFTER = 150


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jxjy() -> str:
    return str(Path(sys.executable).with_name("jxjy"))


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def wait_until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream jxjy {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://jxjy;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout;
            proxy_connect_timeout 1s;
        }}
    }}
}}
"""


@pytest.fixture
def cluster_env(tmp_path: Path, nlu_cache: Path, interpreter: object) -> Iterator[tuple[dict[str, str], str]]:
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx-light); the cluster test needs it")
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set; the cluster test needs PostgreSQL")
    url = clean_database_url("postgres", tmp_path)
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "cache").symlink_to(nlu_cache)  # the model the session trained: no training per instance
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXJY_")}
    env.update(
        JXJY_DATA_DIR=str(data), JXJY_DATABASE_URL=url, JXJY_SMS_SECRET=SECRET, JXJY_SMS_GATEWAY="log",
        JXJY_SECRET_KEY="cluster-key",
    )  # fmt: skip
    yield env, url


@pytest.fixture
def instances(
    cluster_env: tuple[dict[str, str], str], tmp_path: Path
) -> Iterator[list[tuple[int, subprocess.Popen[bytes]]]]:
    """Three instances started at the same moment on a fresh database."""
    env, _ = cluster_env
    running = []
    for n in range(INSTANCES):
        port = free_port()
        with (tmp_path / f"serve{n}.log").open("wb") as log:
            proc = subprocess.Popen([jxjy(), "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
        running.append((port, proc))
    try:
        for port, proc in running:
            wait_until(lambda p=port, q=proc: q.poll() is not None or healthz(p) == 200, 90, "an instance")
            assert proc.poll() is None, (tmp_path / "serve0.log").read_text()[-3000:]
        yield running
    finally:
        for _, proc in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in running:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def nginx(instances: list[tuple[int, subprocess.Popen[bytes]]], tmp_path: Path) -> Iterator[int]:
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p, _ in instances)
    user = "user root;" if os.getuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, servers=servers, port=port, user=user))
    binary = nginx_binary()
    assert binary is not None
    proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")])
    try:
        wait_until(lambda: healthz(port) == 200, 20, "nginx")
        yield port
    finally:
        proc.send_signal(signal.SIGQUIT)
        proc.wait(20)


async def deliver(session: aiohttp.ClientSession, port: int, n: int) -> int:
    """Deliver message n as a provider does: retry with the same id until it gets a 200; return the tries."""
    body = json.dumps(
        {"id": f"c{n}", "from": f"137{n:08d}", "text": "报名时间是什么时候"}, ensure_ascii=False
    )
    data = body.encode()
    headers = {"X-Jxjy-Signature": sign(data, SECRET), "Content-Type": "application/json"}
    for attempt in range(1, 30):
        try:
            async with session.post(
                f"http://127.0.0.1:{port}/sms/inbound", data=data, headers=headers
            ) as resp:
                await resp.read()
                if resp.status == 200:
                    return attempt
                assert resp.status in (502, 503, 504), resp.status
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"message {n} never got a 200")


def sent_ids(path: Path) -> collections.Counter[int]:
    if not path.exists():
        return collections.Counter()
    return collections.Counter(int(json.loads(line)["id"]) for line in path.read_text("utf-8").splitlines())


def replies(engine: Engine) -> dict[int, tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.id, OUTBOX.c.idempotency_key, OUTBOX.c.status, OUTBOX.c.attempts))
        return {row_id: (key, status, attempts) for row_id, key, status, attempts in rows}


def test_a_killed_instance_loses_nothing_and_doubles_only_what_was_in_flight(
    cluster_env: tuple[dict[str, str], str],
    instances: list[tuple[int, subprocess.Popen[bytes]]],
    nginx: int,
    tmp_path: Path,
) -> None:
    env, url = cluster_env
    for port, _ in instances:
        assert healthz(port) == 200
    victim_port, victim = instances[1]
    answered = 0

    async def load() -> list[int]:
        nonlocal answered
        gate = asyncio.Semaphore(16)
        async with aiohttp.ClientSession() as session:

            async def one(n: int) -> int:
                nonlocal answered
                async with gate:
                    tries = await deliver(session, nginx, n)
                answered += 1
                if answered == KILL_AFTER:
                    victim.send_signal(signal.SIGKILL)
                return tries

            return await asyncio.gather(*(one(n) for n in range(MESSAGES)))

    tries = asyncio.run(load())
    assert victim.wait(10) == -signal.SIGKILL
    assert healthz(victim_port) == 0
    survivors = [port for port, proc in instances if proc is not victim]
    assert all(healthz(port) == 200 for port in survivors)

    # A message to each survivor starts a dispatch pass there, which requeues what the dead one held.
    async def nudge() -> None:
        async with aiohttp.ClientSession() as session:
            for k, port in enumerate(survivors):
                await deliver(session, port, MESSAGES + k)

    engine = create_engine(url)
    try:
        asyncio.run(nudge())
        total = MESSAGES + len(survivors)
        log = Path(env["JXJY_DATA_DIR"]) / "sent.jsonl"
        wait_until(lambda: len(sent_ids(log)) >= total, 60, "every reply to be sent")
        wait_until(
            lambda: {s for _, s, _ in replies(engine).values()} == {"sent"}, 30, "the outbox to settle"
        )
        rows = replies(engine)
    finally:
        engine.dispose()
    # Each message answered once: one reply row per provider id, and every one of them sent.
    assert sorted(key for key, _, _ in rows.values()) == sorted(f"reply:sms:c{n}" for n in range(total))
    sent = sent_ids(log)
    assert set(sent) == set(rows), "a reply was lost"
    # Round robin: every instance answered its share before the kill.
    for n in range(INSTANCES):
        assert "reply queued" in (tmp_path / f"serve{n}.log").read_text("utf-8"), f"instance {n} got nothing"
    doubled = {row_id: count for row_id, count in sent.items() if count > 1}
    for row_id, count in doubled.items():
        assert rows[row_id][2] >= count, f"reply {row_id} sent {count}x but claimed {rows[row_id][2]}x"
    print(
        f"\n{MESSAGES} messages through nginx, instance killed after {KILL_AFTER}: "
        f"{sum(t > 1 for t in tries)} retried by the provider, {len(doubled)} reply(ies) sent twice"
    )
