"""The console served as `jxjy serve` wires it, on a clean database, with a signed-in client helper."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Runtime, build_service
from bot.channels.common import SERVICES
from bot.console.accounts import StaffAccounts
from bot.console.web import ConsoleServices
from bot.kernel.settings import Settings
from bot.server import build_server_app

NOW = "2023-11-24T10:00:00+08:00"
PASSWORD = "correct-horse-1"
SAMPLE = Path(__file__).parents[2] / "ledger" / "data" / "ledger-sample.csv"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Console:
    """A running service with the console, and what a test needs to reach into it."""

    server: TestServer
    runtime: Runtime
    services: ConsoleServices

    @property
    def url(self) -> str:
        return str(self.server.make_url("/console"))


def console_runtime(tmp_path: Path, database_url: str, nlu_cache: Path) -> Runtime:
    """A runtime at a fixed moment on ``database_url``; the NLU cache is shared across tests."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "cache").symlink_to(nlu_cache, target_is_directory=True)
    settings = Settings(data_dir=data_dir, database_url=database_url, secret_key="k" * 32, sms_gateway="log")
    return Runtime.create(NOW, settings)


@pytest.fixture
async def console(
    tmp_path: Path, database_url: str, nlu_cache: Path, interpreter: object
) -> AsyncIterator[Console]:
    """`jxjy serve`'s app (scheduler included) on a local port, with one staff account 王芳."""
    runtime = console_runtime(tmp_path, database_url, nlu_cache)
    services, background = build_service(runtime)
    app = build_server_app(services, background=background)
    found = console_services(app)
    StaffAccounts(runtime.engine(), runtime.clock).add("王芳", PASSWORD)
    server = TestServer(app)
    await server.start_server()
    try:
        yield Console(server, runtime, found)
    finally:
        await server.close()
        if found.retrainer is not None:
            found.retrainer.wait(60)
        runtime.engine().dispose()


def console_services(app: web.Application) -> ConsoleServices:
    """The console's services inside a built app."""
    from bot.console.web import CONSOLE

    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if sub is not None and CONSOLE in sub:
            return sub[CONSOLE]
    assert SERVICES in app
    raise AssertionError("the console is not mounted")


def csrf_of(page: str) -> str:
    """The CSRF token in a page's forms."""
    match = _CSRF.search(page)
    assert match is not None, page[:500]
    return match.group(1)


async def sign_in(client: TestClient, name: str = "王芳", password: str = PASSWORD) -> str:
    """Sign in through the form; return the session's CSRF token (read from the dashboard)."""
    login = await client.get("/console/login")
    token = csrf_of(await login.text())
    response = await client.post("/console/login", data={"csrf": token, "name": name, "password": password})
    assert response.status == 200, await response.text()
    return csrf_of(await response.text())


@pytest.fixture
async def client(console: Console) -> TestClient:
    """An HTTP client of the running console (sign in with ``sign_in``)."""
    client = TestClient(console.server)
    await client.start_server()
    yield client  # type: ignore[misc]
    await client.close()


async def import_sample(client: TestClient, csrf: str) -> str:
    """Upload the sample ledger, preview it and confirm; return the page that reports the import."""
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", SAMPLE.read_bytes(), filename="台账.csv", content_type="text/csv")
    preview = await client.post("/console/import", data=form)
    page = await preview.text()
    assert preview.status == 200, page
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    done = await client.post(
        "/console/import/confirm",
        data={"csrf": csrf, "token": token.group(1), "suffix": ".csv", "filename": "台账.csv"},
    )
    return await done.text()
