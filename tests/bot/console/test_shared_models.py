"""Several `jxjy serve` on one database: a model retrained by one reaches the others without a restart."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine

from bot.app import Runtime, build_service
from bot.channels.common import SERVICES
from bot.console.accounts import StaffAccounts
from bot.console.shared_models import ModelFollower, SharedModels
from bot.console.teaching import Taught, TaughtStore
from bot.console.web import ConsoleServices
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound, Responder
from bot.kernel.settings import Settings
from bot.server import build_server_app
from nlu.interpreter import LocalInterpreter
from nlu.model import cache_path, fingerprint
from nlu.training_data import load_training_data
from tests.bot.console.conftest import NOW, PASSWORD, console_services, csrf_of, sign_in
from tests.timezone import SHANGHAI

QUESTION = "食堂几点开饭"
ANSWER = "培训点食堂中午11点半开饭。"


@dataclass
class Instance:
    """One `jxjy serve` (app, runtime, console), with its own data directory and NLU cache."""

    server: TestServer
    runtime: Runtime
    console: ConsoleServices

    @property
    def brain(self) -> Responder:
        return self.server.app[SERVICES].responder  # type: ignore[no-any-return]

    def asks(self, text: str, user: str) -> str:
        return self.brain.handle(Inbound("sms", user, text)).intent


async def start(folder: Path, database_url: str, base_models: Path) -> Instance:
    """An instance whose NLU cache holds only copies of the base models (no model trained elsewhere)."""
    cache = folder / "data" / "cache"
    cache.mkdir(parents=True)
    for model in base_models.glob("nlu-*.npz"):
        shutil.copy(model, cache / model.name)
    settings = Settings(
        data_dir=folder / "data", database_url=database_url, secret_key="k" * 32, sms_gateway="log"
    )
    runtime = Runtime.create(NOW, settings)
    services, background = build_service(runtime)
    app = build_server_app(services, background=background)
    server = TestServer(app)
    await server.start_server()
    return Instance(server, runtime, console_services(app))


@pytest.fixture
async def pair(
    tmp_path: Path, database_url: str, nlu_cache: Path, interpreter: object
) -> AsyncIterator[tuple[Instance, Instance]]:
    first = await start(tmp_path / "a", database_url, nlu_cache)
    second = await start(tmp_path / "b", database_url, nlu_cache)
    try:
        yield first, second
    finally:
        for instance in (first, second):
            await instance.server.close()
            for worker in (instance.console.retrainer, instance.console.follower):
                if worker is not None:
                    worker.wait(60)
            instance.runtime.engine().dispose()


async def test_a_model_retrained_by_one_instance_reaches_the_other(
    pair: tuple[Instance, Instance], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = pair
    assert a.asks(QUESTION, "13800000001") == b.asks(QUESTION, "13800000001") == "nlu_fallback"
    engine = a.runtime.engine()
    accounts = StaffAccounts(engine, a.runtime.clock)
    accounts.add("王芳", PASSWORD)
    store = TaughtStore(engine)
    intent = store.add_topic(
        "食堂", ANSWER, "", [QUESTION, "请问食堂几点开饭"], "王芳", a.runtime.clock.now()
    )
    store.review_topic(intent, True, "李娜", a.runtime.clock.now())
    assert a.console.retrainer is not None and a.console.follower is not None
    a.console.retrainer.retrain_soon()
    assert a.console.retrainer.wait(180) and a.console.retrainer.error is None
    assert a.asks(QUESTION, "13800000002") == intent and a.console.follower.version == 1

    # The other instance still runs what it started with, until it checks: here, a staff member opens
    # its unanswered questions. Its model comes from the database, not from training there.
    assert b.asks(QUESTION, "13800000003") == "nlu_fallback" and b.console.follower is not None
    caplog.clear()
    caplog.set_level(logging.INFO)
    async with TestClient(b.server) as client:
        await sign_in(client)
        page = await (await client.get("/console/unanswered")).text()
        assert "正在载入另一实例训练的新模型" in page or b.console.follower.version == 1
        assert b.console.follower.wait(120) and b.console.follower.error is None
        assert b.console.follower.version == 1
        assert b.asks(QUESTION, "13800000004") == intent
        tried = await client.post(
            "/console/unanswered/try", data={"csrf": await _csrf(client), "text": QUESTION}
        )
        assert ANSWER in await tried.text() and "版本 1" in await tried.text()
    assert not [r for r in caplog.records if r.getMessage().startswith("training the NLU model")]
    data = store.load().training_data(load_training_data())
    shared = SharedModels(engine, a.runtime.clock).artefact(fingerprint(data))
    assert shared is not None and cache_path(b.runtime.cache_dir, data).read_bytes() == shared


async def _csrf(client: TestClient) -> str:
    return csrf_of(await (await client.get("/console/audit")).text())


async def test_each_instance_checks_for_a_newer_model_on_its_own(
    engine: Engine, nlu_cache: Path, interpreter: object
) -> None:
    clock = FixedClock(dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI))
    swapped: list[tuple[LocalInterpreter, Taught]] = []
    follower = ModelFollower(
        SharedModels(engine, clock),
        TaughtStore(engine),
        nlu_cache,
        0.3,
        lambda model, taught: swapped.append((model, taught)),
        instance="b",
    )
    app = web.Application()
    app.cleanup_ctx.append(follower.following(interval=0.05))
    async with TestServer(app):
        await asyncio.sleep(0.2)
        assert swapped == [] and follower.version == 0  # nothing published: nothing to load
        version = SharedModels(engine, clock).publish(fingerprint(load_training_data()), None, "a")
        for _ in range(200):
            if follower.version == version:
                break
            await asyncio.sleep(0.05)
    assert follower.version == version == 1 and len(swapped) == 1
    assert swapped[0][0].parse(QUESTION)["intent"]["name"] == "nlu_fallback"


def test_only_the_newest_models_keep_their_file(engine: Engine) -> None:
    models = SharedModels(engine, FixedClock(dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)))
    versions = [models.publish(f"fp{n}", f"model {n}".encode(), "a") for n in range(5)]
    assert versions == [1, 2, 3, 4, 5] and models.latest() == 5
    assert [models.artefact(f"fp{n}") for n in range(5)] == [None, None, b"model 2", b"model 3", b"model 4"]
