"""Tencent Cloud SMS end to end: `jxjy serve`'s app, the real brain, the Tencent stand-in checking TC3."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.channels.tencent_sms import PUSH_ACK
from tests.bot.channels.conftest import CALLBACK_TOKEN, Service, StartService
from tests.fakes.tencent_sms import FakeTencentSms, delivery_status, reply_push_body, status_push_body

PHONE = "13912345678"
SENT_AT = 1700791200


def tencent_settings(fake: FakeTencentSms, **more: Any) -> dict[str, Any]:
    return {
        "sms_gateway": "tencent",
        "tencent_secret_id": fake.secret_id,
        "tencent_secret_key": fake.secret_key,
        "tencent_sms_sdk_app_id": fake.sdk_app_id,
        "tencent_sms_endpoint": fake.base_url,
        "sms_sign_name": fake.sign_name,
        "sms_template_code": "100001",
        "sms_callback_token": CALLBACK_TOKEN,
        **more,
    }


async def post(
    service: Service, path: str, body: bytes, token: str | None = CALLBACK_TOKEN
) -> tuple[int, Any]:
    params = {"token": token} if token is not None else {}
    resp = await service.client.post(path, params=params, data=body)
    status, text = resp.status, await resp.text()
    await service.settle()
    return status, json.loads(text)


async def test_an_inbound_reply_is_answered_once_with_the_approved_template(
    start_service: StartService, tencent: FakeTencentSms
) -> None:
    service = await start_service(**tencent_settings(tencent))
    body = reply_push_body(PHONE, "培训费多少钱", time=SENT_AT)
    for _ in range(3):
        assert await post(service, "/sms/tencent/reply", body) == (200, PUSH_ACK)
    [sms] = tencent.sent
    assert (sms.phone, sms.template_id, sms.sign_name) == ("+86" + PHONE, "100001", tencent.sign_name)
    assert len(sms.params) == 1 and "100元" in sms.params[0]
    [row] = service.outbox()
    assert (sms.session_context, row["provider_id"], row["status"]) == (str(row["id"]), sms.serial_no, "sent")
    assert len(service.inbound()) == 1
    # The same words at another second are another message, answered again.
    await post(service, "/sms/tencent/reply", reply_push_body(PHONE, "培训费多少钱", time=SENT_AT + 60))
    assert len(tencent.sent) == 2


async def test_status_pushes_never_move_a_delivered_message_back(
    start_service: StartService, tencent: FakeTencentSms
) -> None:
    service = await start_service(**tencent_settings(tencent))
    await post(service, "/sms/tencent/reply", reply_push_body(PHONE, "你好", time=SENT_AT))
    await post(service, "/sms/tencent/reply", reply_push_body("13900000002", "你好", time=SENT_AT))
    first, second = tencent.sent
    pushes = [
        [delivery_status(first)],
        [delivery_status(first, success=False, errmsg="UNDELIV")],
        [
            delivery_status(second, success=False, errmsg="MK:0005"),
            {**delivery_status(second), "sid": "unknown"},
        ],
    ]
    for items in pushes:
        assert await post(service, "/sms/tencent/status", status_push_body(items)) == (200, PUSH_ACK)
    rows = service.outbox()
    assert [r["receipt"] for r in rows] == ["delivered", "failed"]
    assert rows[1]["last_error"] == "receipt: MK:0005 用户短信接收失败"


async def test_bad_or_unsigned_pushes_get_403_or_400(
    start_service: StartService, tencent: FakeTencentSms
) -> None:
    service = await start_service(**tencent_settings(tencent))
    body = reply_push_body(PHONE, "你好", time=SENT_AT)
    for token in (None, "wrong"):
        resp = await service.client.post(
            "/sms/tencent/reply", params={"token": token} if token else {}, data=body
        )
        assert resp.status == 403
    bad = {
        "/sms/tencent/reply": [
            b"[]",
            b"{",
            b'{"mobile": "139", "text": "x", "time": "soon"}',
            b'{"text": "x", "time": 1}',
        ],
        "/sms/tencent/status": [b"{}", b'[{"sid": "1", "mobile": "1", "report_status": "MAYBE"}]'],
    }
    for path, bodies in bad.items():
        for bad_body in bodies:
            resp = await service.client.post(path, params={"token": CALLBACK_TOKEN}, data=bad_body)
            assert resp.status == 400, (path, bad_body)
    assert service.inbound() == [] and tencent.sent == []


async def test_limits_are_retried_and_refusals_fail_for_good_with_the_reason(
    start_service: StartService, tencent: FakeTencentSms
) -> None:
    service = await start_service(**tencent_settings(tencent))
    outbox, clock = service.services.outbox, service.clock
    tencent.throttle()
    assert outbox.enqueue_reply("reply:sms:t1", "sms", PHONE, "第一条", clock.now())
    assert (await service.dispatch()).retried == 1
    assert "LimitExceeded.PhoneNumberThirtySecondLimit" in service.outbox()[0]["last_error"]
    clock.advance(dt.timedelta(minutes=2))
    assert (await service.dispatch()).sent == 1
    tencent.script("FailedOperation.InsufficientBalanceInSmsPackage")
    assert outbox.enqueue_reply("reply:sms:t2", "sms", PHONE, "第二条", clock.now())
    assert (await service.dispatch()).failed == 1
    clock.advance(dt.timedelta(hours=2))
    await service.dispatch()
    assert tencent.answers == [
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "Ok",
        "FailedOperation.InsufficientBalanceInSmsPackage",
    ]
    assert service.outbox()[-1]["status"] == "failed"
