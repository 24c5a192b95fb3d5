"""Gateways against real in-process fakes: a file, an aiohttp SMS gateway, an aiohttp Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import socket
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.outbound import gateway_from_settings
from bot.channels.sms_aliyun import AliyunSmsGateway
from bot.channels.sms_http import HttpSmsGateway, sign
from bot.channels.telegram import TelegramGateway
from bot.kernel.clock import FixedClock
from bot.kernel.personal_data import mask_phone
from bot.kernel.settings import Settings
from reminders.gateways import GatewayError, LogSmsGateway, MemoryGateway, OutboundMessage, SendResult
from tests.timezone import SHANGHAI

MSG = OutboundMessage(id="m-1", channel="sms", to="13812345678", text="张三您好，还差8学时。")
RECEIVED = web.AppKey("received", list)


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"


async def test_memory_gateway_fails_as_told() -> None:
    gw = MemoryGateway()
    gw.fail_next(2)
    gw.fail_for("bad")
    assert (await gw.send(MSG)).retryable
    assert not (await gw.send(MSG)).ok
    assert (await gw.send(MSG)).ok
    bad = await gw.send(OutboundMessage("bad", "sms", "13800000000", "x"))
    assert not bad.ok and not bad.retryable
    assert gw.sent == [MSG]
    assert len(gw.attempts) == 4


async def test_log_gateway_appends_json_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # a line per message is debug detail: sent.jsonl is the record
    clock = FixedClock(dt.datetime(2023, 11, 24, 9, 0, tzinfo=SHANGHAI))
    gw = LogSmsGateway(tmp_path / "sent.jsonl", clock=clock)
    assert (await gw.send(MSG)).ok
    assert (await gw.send(MSG)).ok
    lines = [json.loads(line) for line in (tmp_path / "sent.jsonl").read_text("utf-8").splitlines()]
    assert lines[0] == {"id": "m-1", "to": "13812345678", "text": MSG.text, "at": "2023-11-24T09:00:00+08:00"}
    assert len(lines) == 2
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text


async def test_log_gateway_writes_messages_sent_together_in_one_go(tmp_path: Path) -> None:
    gw = LogSmsGateway(tmp_path / "sent.jsonl")
    writes: list[str] = []
    append = gw._append

    def counting(text: str) -> None:
        writes.append(text)
        append(text)

    gw._append = counting  # type: ignore[method-assign]
    messages = [OutboundMessage(f"m-{n}", "sms", "13812345678", f"第{n}条") for n in range(20)]
    results = await asyncio.gather(*(gw.send(m) for m in messages))
    assert all(r.ok for r in results)
    ids = [json.loads(line)["id"] for line in (tmp_path / "sent.jsonl").read_text("utf-8").splitlines()]
    assert ids == [m.id for m in messages]
    assert len(writes) < len(messages)  # the first alone, the rest together behind it


def _sms_app(secret: str, status: int) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("X-Jxjy-Signature") != sign(body, secret):
            return web.json_response({"error": "bad signature"}, status=403)
        request.app[RECEIVED].append(json.loads(body))
        return web.json_response({"id": "prov-1"}, status=status)

    app = web.Application()
    app[RECEIVED] = []
    app.router.add_post("/send", handle)
    return app


@pytest.mark.parametrize(
    ("status", "ok", "retryable"),
    [(200, True, False), (202, True, False), (500, False, True), (503, False, True), (400, False, False)],
)
async def test_http_gateway_signs_and_classifies(status: int, ok: bool, retryable: bool) -> None:
    app = _sms_app("s3cret", status)
    async with TestServer(app) as server:
        gw = HttpSmsGateway(str(server.make_url("/send")), "s3cret")
        try:
            result = await gw.send(MSG)
        finally:
            await gw.aclose()
    assert (result.ok, result.retryable) == (ok, retryable)
    assert app[RECEIVED] == [{"id": "m-1", "to": "13812345678", "text": MSG.text}]
    if ok:
        assert result.provider_id == "prov-1"


async def test_http_gateway_wrong_secret_is_final() -> None:
    async with TestServer(_sms_app("right", 200)) as server:
        gw = HttpSmsGateway(str(server.make_url("/send")), "wrong")
        try:
            result = await gw.send(MSG)
        finally:
            await gw.aclose()
    assert not result.ok and not result.retryable


async def test_http_gateway_unreachable_is_retryable() -> None:
    gw = HttpSmsGateway("http://127.0.0.1:9/send", "s", timeout=2)
    try:
        result = await gw.send(MSG)
    finally:
        await gw.aclose()
    assert not result.ok and result.retryable


def _bot_api_app(answer: dict[str, object]) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            data = await request.json()
        else:
            data = dict(await request.post()) if request.can_read_body else {}
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "jxjy", "username": "jxjy_bot"}
            return web.json_response({"ok": True, "result": me})
        request.app[RECEIVED].append((method, data))
        status = answer.get("error_code", 200)
        return web.json_response(answer, status=status if isinstance(status, int) else 200)

    app = web.Application()
    app[RECEIVED] = []
    app.router.add_post("/bottoken/{method}", handle)
    return app


async def _send_to(url: str, message_id: str) -> SendResult:
    """One message sent by a Telegram gateway whose Bot API is at ``url``, the gateway closed after."""
    gw = TelegramGateway("token", url)
    try:
        return await gw.send(OutboundMessage(message_id, "telegram", "42", "hi"))
    finally:
        await gw.aclose()


async def _answered(answer: dict[str, object], message_id: str) -> tuple[SendResult, web.Application]:
    """One message sent to a fake Bot API that answers ``answer``, and that API (with what it received)."""
    app = _bot_api_app(answer)
    async with TestServer(app) as server:
        return await _send_to(str(server.make_url("/bot")), message_id), app


async def test_telegram_gateway_sends_message() -> None:
    ok = {
        "ok": True,
        "result": {"message_id": 77, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "hi"},
    }
    result, app = await _answered(ok, "m-2")
    assert result.ok and result.provider_id == "77"
    assert app[RECEIVED] == [("sendMessage", {"chat_id": "42", "text": "hi"})]


async def test_telegram_gateway_refusals_fail_for_good_and_network_errors_are_retried() -> None:
    bad = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    refused, _ = await _answered(bad, "m-4")
    assert not refused.ok and not refused.retryable and not refused.fallback
    assert refused.error == "refused: chat not found"
    down = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    failed, _ = await _answered(down, "m-5")
    assert not failed.ok and failed.retryable and failed.retry_after is None
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = await _send_to(f"http://127.0.0.1:{port}/bot", "m-6")
    assert not unreachable.ok and unreachable.retryable


async def test_telegram_gateway_blocked_asks_for_sms_and_stops_the_chat() -> None:
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    result, _ = await _answered(blocked, "m-3")
    assert not result.ok and not result.retryable
    assert result.fallback and result.blocked


def test_gateway_from_settings(tmp_path: Path) -> None:
    assert isinstance(gateway_from_settings(Settings(data_dir=tmp_path), "sms"), LogSmsGateway)
    with pytest.raises(GatewayError, match="JXJY_SMS_GATEWAY_URL"):
        gateway_from_settings(Settings(data_dir=tmp_path, sms_gateway="http"), "sms")
    with pytest.raises(GatewayError, match="JXJY_TELEGRAM_TOKEN"):
        gateway_from_settings(Settings(data_dir=tmp_path), "telegram")
    configured = Settings(data_dir=tmp_path, sms_gateway="http", sms_gateway_url="http://x", sms_secret="s")
    http = gateway_from_settings(configured, "sms")
    assert isinstance(http, HttpSmsGateway)


def test_mainland_gateways_from_settings_name_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(GatewayError, match="JXJY_ALIYUN_ACCESS_KEY_ID, JXJY_ALIYUN_ACCESS_KEY_SECRET"):
        gateway_from_settings(Settings(data_dir=tmp_path, sms_gateway="aliyun"), "sms")
    with pytest.raises(GatewayError, match="JXJY_TENCENT_SMS_SDK_APP_ID, JXJY_SMS_SIGN_NAME"):
        gateway_from_settings(
            Settings(data_dir=tmp_path, sms_gateway="tencent", tencent_secret_id="i", tencent_secret_key="k"),
            "sms",
        )
    with pytest.raises(GatewayError, match="use log, http, aliyun, tencent"):
        gateway_from_settings(Settings(data_dir=tmp_path, sms_gateway="carrier-pigeon"), "sms")
    aliyun = Settings(
        data_dir=tmp_path,
        sms_gateway="aliyun",
        aliyun_access_key_id="id",
        aliyun_access_key_secret="secret",
        sms_sign_name="岳阳继续教育",
        sms_templates=tmp_path / "missing.yaml",
    )
    with pytest.raises(GatewayError, match="cannot read"):
        gateway_from_settings(aliyun, "sms")
    assert isinstance(
        gateway_from_settings(aliyun.model_copy(update={"sms_templates": None}), "sms"), AliyunSmsGateway
    )
