"""`jxjy serve` as wired by build_service: a binding code goes out through the outbox and the SMS gateway."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import Runtime, build_service
from bot.channels.common import BACKGROUND, LOCAL_ANSWER_THREADS
from bot.channels.sms_http import sign
from bot.kernel.settings import Settings
from bot.server import build_server_app
from tests.records import trainee

MakeClient = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
LIU_ID = "430621199208284985"
LEDGER_PHONE = "13207425393"
OTHER_PHONE = "13800000000"


async def _sms(client: TestClient[web.Request, web.Application], provider_id: str, text: str) -> None:
    body = json.dumps({"id": provider_id, "from": OTHER_PHONE, "text": text}, ensure_ascii=False).encode()
    resp = await client.post("/sms/inbound", data=body, headers={"X-Jxjy-Signature": sign(body, "s3cret")})
    assert resp.status == 200
    await client.app[BACKGROUND].join(timeout=30)


async def _sent(log: Path, count: int) -> list[dict[str, str]]:
    for _ in range(200):  # the code is dispatched from the brain's thread: wait for it
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} messages in {log}")


async def test_a_binding_code_reaches_the_ledger_phone(
    aiohttp_client: MakeClient, tmp_path: Path, interpreter: object, nlu_cache: Path
) -> None:
    (tmp_path / "cache").symlink_to(nlu_cache)  # the model the session trained
    settings = Settings(data_dir=tmp_path, sms_secret="s3cret", secret_key="k" * 32)
    runtime = Runtime.create(now="2023-11-24T10:00:00+08:00", settings=settings)
    liu = runtime.ledger_store().add(LIU_ID, trainee(trainee_id=0, id_masked="", phone=LEDGER_PHONE))
    services, background = build_service(runtime)
    assert services.answer_threads == LOCAL_ANSWER_THREADS  # in-process NLU: a few threads, not 16
    client = await aiohttp_client(build_server_app(services, background=background))

    await _sms(client, "b-1", f"绑定 {LIU_ID} 刘洋")
    sent = await _sent(tmp_path / "sent.jsonl", 2)
    code_sms = next(m for m in sent if m["to"] == LEDGER_PHONE)
    reply = next(m for m in sent if m["to"] == OTHER_PHONE)
    assert "验证码已发送到132****5393" in reply["text"]
    code = re.search(r"\d{6}", code_sms["text"])
    assert code is not None and LIU_ID not in code_sms["text"]
    assert runtime.ledger_store().binding("sms", OTHER_PHONE) is None

    await _sms(client, "b-2", code.group(0))
    sent = await _sent(tmp_path / "sent.jsonl", 3)
    assert "绑定成功" in sent[-1]["text"] and sent[-1]["to"] == OTHER_PHONE
    assert runtime.ledger_store().binding("sms", OTHER_PHONE) == liu.trainee_id
