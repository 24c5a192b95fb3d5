"""The WeChat official account end to end: `jxjy serve`'s app, the real brain, the WeChat stand-in."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from bot.channels.common import AsyncResponder
from bot.channels.wechat import PLEASE_SEND_TEXT, WELCOME_PREFIX
from bot.kernel.messages import Inbound, Reply
from reminders.service import enqueue_due
from tests.bot.channels.conftest import Service, StartService, aliyun_settings
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.fakes.wechat_api import (
    FakeWeChatApi,
    encrypt_for_app,
    encrypted_push,
    event_push,
    image_push,
    open_reply,
    signed_query,
    text_push,
)
from tests.reminders.support import insert_trainees, record

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
OPENID = "oUser-0001"
PHONE = "13800000001"


def settings(fake: FakeWeChatApi, **more: Any) -> dict[str, Any]:
    return {
        "wechat_token": TOKEN,
        "wechat_app_id": fake.app_id,
        "wechat_app_secret": fake.app_secret,
        "wechat_aes_key": AES_KEY,
        "wechat_api_url": fake.base_url,
        "wechat_template_id": fake.template_id,
        "wechat_template_fields": {"first": "{name}您好", "keyword1": "{text}"},
        **more,
    }


def now() -> int:
    return int(time.time())


async def push(service: Service, xml: str, *, openid: str = OPENID, nonce: str = "n1") -> tuple[int, str]:
    query = signed_query(TOKEN, timestamp=now(), nonce=nonce, openid=openid)
    resp = await service.client.post("/wechat", params=query, data=xml.encode())
    return resp.status, await resp.text()


def content(reply: str) -> str:
    fields = {child.tag: child.text or "" for child in ET.fromstring(reply)}
    assert fields["MsgType"] == "text" and fields["ToUserName"] == OPENID
    return fields["Content"]


async def test_server_verification_answers_echostr_only_when_signed(
    start_service: StartService, wechat_api: FakeWeChatApi
) -> None:
    service = await start_service(**settings(wechat_api))
    query = {**signed_query(TOKEN, timestamp=now(), nonce="abc"), "echostr": "1616140317555161061"}
    resp = await service.client.get("/wechat", params=query)
    assert (resp.status, await resp.text()) == (200, "1616140317555161061")
    assert resp.content_type == "text/plain"
    for bad in ({**query, "signature": "0" * 40}, {"echostr": "x"}):
        assert (await service.client.get("/wechat", params=bad)).status == 403


async def test_a_text_gets_a_passive_reply_and_every_retry_the_same_one(
    start_service: StartService, wechat_api: FakeWeChatApi
) -> None:
    service = await start_service(**settings(wechat_api))
    xml = text_push(OPENID, "培训费多少钱", 6001, create_time=now())
    answers = [await push(service, xml, nonce=f"n{i}") for i in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    first = content(answers[0][1])
    assert "100元" in first
    assert all(content(reply) == first for _, reply in answers)
    assert service.inbound() == [("wechat", "msg:6001")]
    [row] = service.outbox()
    assert (row["idempotency_key"], row["status"], row["provider_id"]) == (
        "reply:wechat:msg:6001",
        "sent",
        "passive",
    )
    assert wechat_api.sent == [] and wechat_api.token_fetches == 0
    metrics = await (await service.client.get("/metrics")).text()
    assert 'jxjy_inbound_duplicates_total{channel="wechat"} 2.0' in metrics
    assert 'jxjy_replies_total{channel="wechat",intent="ask_fee"} 1.0' in metrics


async def test_safe_mode_decrypts_the_push_and_encrypts_the_reply(
    start_service: StartService, wechat_api: FakeWeChatApi
) -> None:
    service = await start_service(**settings(wechat_api))
    inner = text_push(OPENID, "在哪里资格确认", 6002, create_time=now())
    query, body = encrypted_push(
        TOKEN, AES_KEY, wechat_api.app_id, inner, timestamp=now(), nonce="sn1", openid=OPENID
    )
    resp = await service.client.post("/wechat", params=query, data=body.encode())
    assert resp.status == 200
    assert "岳阳大道36号" in content(open_reply(TOKEN, AES_KEY, wechat_api.app_id, await resp.text()))
    # The same push again: the same reply, encrypted afresh.
    again = await service.client.post("/wechat", params=query, data=body.encode())
    assert content(open_reply(TOKEN, AES_KEY, wechat_api.app_id, await again.text())) == content(
        open_reply(TOKEN, AES_KEY, wechat_api.app_id, await resp.text())
    )


async def test_bad_pushes_get_403_or_400_and_change_nothing(
    start_service: StartService, wechat_api: FakeWeChatApi
) -> None:
    service = await start_service(**settings(wechat_api))
    inner = text_push(OPENID, "你好", 6003, create_time=now())
    good_query, good_body = encrypted_push(
        TOKEN, AES_KEY, wechat_api.app_id, inner, timestamp=now(), nonce="sn2", openid=OPENID
    )
    plain = signed_query(TOKEN, timestamp=now(), nonce="p1", openid=OPENID)
    other_app = encrypt_for_app(AES_KEY, "wxSomeOtherAccount", inner)
    cases: list[tuple[dict[str, str], str, int]] = [
        ({**plain, "signature": "f" * 40}, inner, 403),
        ({k: v for k, v in plain.items() if k != "signature"}, inner, 403),
        ({**good_query, "msg_signature": "0" * 40}, good_body, 403),
        (plain, "<xml><ToUserName>gh</ToUserName>", 400),
        (plain, "not xml at all", 400),
        (plain, '<!DOCTYPE xml [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>', 400),
        (plain, "<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType></xml>", 400),
        ({**plain, "encrypt_type": "rot13"}, inner, 400),
        (good_query, "<xml><Encrypt><![CDATA[!!notbase64!!]]></Encrypt></xml>", 403),
        (good_query, "<xml><Encrypt>", 400),
    ]
    for query, body, expected in cases:
        resp = await service.client.post("/wechat", params=query, data=body.encode())
        assert resp.status == expected, (query, body, await resp.text())
    # A ciphertext for another account, correctly signed, is refused without a 5xx.
    signed = {**good_query}
    from bot.channels.wechat_crypto import msg_signature

    signed["msg_signature"] = msg_signature(TOKEN, signed["timestamp"], signed["nonce"], other_app)
    resp = await service.client.post(
        "/wechat", params=signed, data=f"<xml><Encrypt><![CDATA[{other_app}]]></Encrypt></xml>".encode()
    )
    assert resp.status == 400
    assert service.inbound() == [] and service.outbox() == []


class SlowAnswers(AsyncResponder):
    """The real brain, a little late: longer than the passive-reply window."""

    def __init__(self, inner: AsyncResponder, delay: float) -> None:
        self._inner = inner
        self._delay = delay
        self.calls = 0

    async def answer(self, inbound: Inbound) -> Reply:
        self.calls += 1
        await asyncio.sleep(self._delay)
        return await self._inner.answer(inbound)

    def close(self) -> None:
        self._inner.close()


async def test_a_slow_answer_goes_by_customer_service_message_once_whatever_the_retries(
    start_service: StartService, wechat_api: FakeWeChatApi
) -> None:
    service = await start_service(**settings(wechat_api, wechat_reply_seconds=0.2))
    slow = service.services.answerer = SlowAnswers(service.services.answerer, 0.8)
    xml = text_push(OPENID, "培训费多少钱", 6004, create_time=now())
    assert await push(service, xml) == (200, "success")
    assert await push(service, xml, nonce="retry1") == (200, "success")  # still thinking
    await service.settle()
    assert await push(service, xml, nonce="retry2") == (200, "success")  # answered the other way
    await service.settle()
    assert slow.calls == 1
    [sent] = wechat_api.sent
    assert (sent.kind, sent.touser) == ("custom", OPENID) and "100元" in sent.text
    [row] = service.outbox()
    assert (row["status"], row["channel"], row["kinds"]) == ("sent", "wechat", "reply")


async def test_follow_gets_a_welcome_and_other_messages_ask_for_text(
    start_service: StartService, wechat_api: FakeWeChatApi
) -> None:
    service = await start_service(**settings(wechat_api))
    status, reply = await push(service, event_push(OPENID, "subscribe", create_time=now()))
    welcome = content(reply)
    assert status == 200 and welcome.startswith(WELCOME_PREFIX) and "可以问我" in welcome
    status, reply = await push(service, image_push(OPENID, 6005, create_time=now()))
    assert content(reply) == PLEASE_SEND_TEXT
    click = event_push(OPENID, "CLICK", create_time=now() + 1)
    assert await push(service, click) == (200, "success")


@pytest.fixture
async def with_trainee(
    start_service: StartService, wechat_api: FakeWeChatApi, aliyun: FakeAliyunSms
) -> Service:
    service = await start_service(**settings(wechat_api), **aliyun_settings(aliyun))
    insert_trainees(service.engine, [record(1, phone=PHONE, registered=True, online_hours=8.0)])
    service.bind("wechat", OPENID, 1)
    return service


async def test_reminders_go_by_template_message_to_a_bound_follower(
    with_trainee: Service, wechat_api: FakeWeChatApi, aliyun: FakeAliyunSms
) -> None:
    service = with_trainee
    planned, enqueued = enqueue_due(
        service.engine, service.runtime.campaign, service.clock.now(), service.runtime.quiet_hours()
    )
    assert (planned, enqueued) == (1, 1)
    assert (await service.dispatch()).sent == 1
    [sent] = wechat_api.sent
    assert (sent.kind, sent.touser, sent.body["template_id"]) == ("template", OPENID, "TPL_reminder")
    assert sent.body["data"]["first"]["value"] == "学员1您好"
    assert "学员1您好" in sent.body["data"]["keyword1"]["value"]
    assert aliyun.sent == []


async def test_unfollow_stops_wechat_and_reminders_go_by_sms(
    with_trainee: Service, wechat_api: FakeWeChatApi, aliyun: FakeAliyunSms
) -> None:
    service = with_trainee
    campaign, quiet = service.runtime.campaign, service.runtime.quiet_hours()
    enqueue_due(service.engine, campaign, service.clock.now(), quiet)  # queued before the unfollow
    assert await push(service, event_push(OPENID, "unsubscribe", create_time=now())) == (200, "success")
    summary = await service.dispatch()
    assert (summary.rerouted, summary.sent) == (1, 1)
    assert wechat_api.sent == [] and wechat_api.refused == []  # WeChat is not even asked
    [sms] = aliyun.sent
    assert sms.phone == PHONE and sms.template_code == "SMS_100001" and "学员1您好" in sms.text
    rows = service.outbox()
    assert [(r["channel"], r["status"]) for r in rows] == [("wechat", "failed"), ("sms", "sent")]
    assert "sent by SMS instead" in rows[0]["last_error"]
    # The next plan goes straight to SMS; following again brings WeChat back.
    import datetime as dt

    service.clock.advance(dt.timedelta(days=7))
    enqueue_due(service.engine, campaign, service.clock.now(), quiet)
    assert service.outbox()[-1]["channel"] == "sms"
    await push(service, event_push(OPENID, "subscribe", create_time=now() + 5))
    service.clock.advance(dt.timedelta(days=7))
    enqueue_due(service.engine, campaign, service.clock.now(), quiet)
    assert service.outbox()[-1]["channel"] == "wechat"


@pytest.mark.parametrize(("errcode", "blocks"), [(43004, True), (45009, False)])
async def test_a_refusal_falls_back_to_sms_and_the_outcome_is_recorded(
    with_trainee: Service, wechat_api: FakeWeChatApi, aliyun: FakeAliyunSms, errcode: int, blocks: bool
) -> None:
    service = with_trainee
    wechat_api.refuse(OPENID, errcode)
    enqueue_due(service.engine, service.runtime.campaign, service.clock.now(), service.runtime.quiet_hours())
    summary = await service.dispatch()
    assert (summary.rerouted, summary.sent) == (1, 1)
    assert wechat_api.refused == [("template", OPENID, errcode)]
    assert [s.phone for s in aliyun.sent] == [PHONE]
    wechat_row, sms_row = service.outbox()
    assert wechat_row["status"] == "failed" and f"WeChat {errcode}" in wechat_row["last_error"]
    assert (sms_row["idempotency_key"], sms_row["status"]) == (wechat_row["idempotency_key"] + ":sms", "sent")
    assert service.services.blocks.blocked("wechat", [OPENID]) == ({OPENID} if blocks else set())


async def test_a_reply_outside_the_window_falls_back_to_the_bound_trainees_phone(
    with_trainee: Service, wechat_api: FakeWeChatApi, aliyun: FakeAliyunSms
) -> None:
    service = with_trainee
    wechat_api.refuse(OPENID, 45047, kinds=("custom",))
    now_ = service.clock.now()
    assert service.services.outbox.enqueue_reply("reply:wechat:msg:1", "wechat", OPENID, "稍后答复", now_)
    assert (await service.dispatch()).rerouted == 1
    [sms] = aliyun.sent
    assert (sms.phone, sms.variables) == (PHONE, {"content": "稍后答复"})
