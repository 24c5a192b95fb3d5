"""Aliyun SMS end to end: `jxjy serve`'s app, the real brain, the Aliyun stand-in checking every signature."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from bot.channels.aliyun_sms import PUSH_ACK
from reminders.policy import Reminder
from tests.bot.channels.conftest import CALLBACK_TOKEN, Service, StartService, aliyun_settings
from tests.fakes.aliyun_sms import FakeAliyunSms, delivery_report, report_push_body, up_push_body
from tests.reminders.support import insert_trainees, record

PHONE = "13912345678"
AT = "2023-11-24 10:00:00"


async def up(service: Service, body: bytes, token: str | None = CALLBACK_TOKEN) -> tuple[int, Any]:
    params = {"token": token} if token is not None else {}
    resp = await service.client.post("/sms/aliyun/up", params=params, data=body)
    text = await resp.text()
    await service.settle()
    return resp.status, json.loads(text)


async def report(service: Service, body: bytes, token: str = CALLBACK_TOKEN) -> tuple[int, Any]:
    resp = await service.client.post("/sms/aliyun/report", params={"token": token}, data=body)
    return resp.status, await resp.json()


async def test_an_inbound_reply_is_answered_once_with_the_approved_template(
    start_service: StartService, aliyun: FakeAliyunSms
) -> None:
    service = await start_service(**aliyun_settings(aliyun))
    body = up_push_body(PHONE, "培训费多少钱", send_time=AT, sequence_id=123456)
    for _ in range(3):  # Aliyun pushes again when our answer came late
        assert await up(service, body) == (200, PUSH_ACK)
    [sms] = aliyun.sent
    assert (sms.phone, sms.template_code, sms.sign_name) == (PHONE, "SMS_100001", aliyun.sign_name)
    assert "100元" in sms.variables["content"] and sms.text.startswith(f"【{aliyun.sign_name}】")
    assert service.inbound() == [("sms", "aliyun:123456")]
    [row] = service.outbox()
    assert (row["idempotency_key"], row["status"]) == ("reply:sms:aliyun:123456", "sent")
    assert (sms.out_id, row["provider_id"]) == (str(row["id"]), sms.biz_id)


async def test_pushes_without_the_token_get_403_and_change_nothing(
    start_service: StartService, aliyun: FakeAliyunSms
) -> None:
    service = await start_service(**aliyun_settings(aliyun))
    body = up_push_body(PHONE, "你好", send_time=AT, sequence_id=1)
    for token in (None, "", "wrong", CALLBACK_TOKEN + "x"):
        resp = await service.client.post(
            "/sms/aliyun/up", params={"token": token} if token is not None else {}, data=body
        )
        assert resp.status == 403
    resp = await service.client.post("/sms/aliyun/report", data=report_push_body([]))
    assert resp.status == 403
    assert service.inbound() == [] and service.outbox() == [] and aliyun.sent == []


async def test_without_a_callback_token_configured_the_pushes_are_off(
    start_service: StartService, aliyun: FakeAliyunSms
) -> None:
    service = await start_service(**aliyun_settings(aliyun, sms_callback_token=None))
    resp = await service.client.post("/sms/aliyun/up", params={"token": ""}, data=b"[]")
    assert resp.status == 403 and "JXJY_SMS_CALLBACK_TOKEN" in (await resp.json())["error"]


async def test_bad_push_bodies_get_400(start_service: StartService, aliyun: FakeAliyunSms) -> None:
    service = await start_service(**aliyun_settings(aliyun))
    bad = [
        b"not json",
        b'{"phone_number": "13912345678"}',
        b'[{"phone_number": "13912345678", "content": "x"}]',
        b'[{"phone_number": "garbage", "content": "x", "sequence_id": 5}]',
        json.dumps([{"phone_number": PHONE, "content": "x", "sequence_id": "9" * 200}]).encode(),
    ]
    for body in bad:
        resp = await service.client.post("/sms/aliyun/up", params={"token": CALLBACK_TOKEN}, data=body)
        assert resp.status == 400, body
    for body in (b"{}", b'[{"biz_id": "1"}]', b'[{"phone_number": "1", "success": "yes", "biz_id": "1"}]'):
        resp = await service.client.post("/sms/aliyun/report", params={"token": CALLBACK_TOKEN}, data=body)
        assert resp.status == 400, body
    assert service.inbound() == []


async def test_receipts_never_move_a_delivered_message_back(
    start_service: StartService, aliyun: FakeAliyunSms
) -> None:
    service = await start_service(**aliyun_settings(aliyun))
    await up(service, up_push_body(PHONE, "你好", send_time=AT, sequence_id=7))
    await up(service, up_push_body("13900000002", "你好", send_time=AT, sequence_id=8))
    first, second = aliyun.sent
    delivered = delivery_report(first, at=AT)
    failed = delivery_report(first, success=False, err_code="MK:0001", err_msg="关机", at=AT)
    assert await report(service, report_push_body([delivered])) == (200, PUSH_ACK)
    assert await report(service, report_push_body([failed])) == (200, PUSH_ACK)
    other = delivery_report(second, success=False, err_code="MK:0012", err_msg="停机", at=AT)
    assert await report(service, report_push_body([other, {**other, "out_id": "", "biz_id": "nope"}])) == (
        200,
        PUSH_ACK,
    )
    rows = service.outbox()
    assert [r["receipt"] for r in rows] == ["delivered", "failed"]
    assert rows[0]["last_error"] is None
    assert rows[1]["last_error"] == "receipt: MK:0012 停机"


async def test_throttling_is_retried_later_and_refusals_fail_for_good_with_the_reason(
    start_service: StartService, aliyun: FakeAliyunSms
) -> None:
    service = await start_service(**aliyun_settings(aliyun))
    outbox, clock = service.services.outbox, service.clock
    aliyun.throttle()
    assert outbox.enqueue_reply("reply:sms:t1", "sms", PHONE, "第一条", clock.now())
    assert (await service.dispatch()).retried == 1
    [row] = service.outbox()
    assert row["status"] == "queued" and "isv.BUSINESS_LIMIT_CONTROL" in row["last_error"]
    clock.advance(dt.timedelta(minutes=2))
    assert (await service.dispatch()).sent == 1
    aliyun.script("isv.AMOUNT_NOT_ENOUGH", message="账户余额不足")
    assert outbox.enqueue_reply("reply:sms:t2", "sms", PHONE, "第二条", clock.now())
    assert (await service.dispatch()).failed == 1
    clock.advance(dt.timedelta(hours=2))
    await service.dispatch()
    assert aliyun.answers == ["isv.BUSINESS_LIMIT_CONTROL", "OK", "isv.AMOUNT_NOT_ENOUGH"]  # not retried
    failed = service.outbox()[-1]
    assert (failed["status"], failed["last_error"]) == ("failed", "isv.AMOUNT_NOT_ENOUGH: 账户余额不足")


async def test_each_reminder_kind_uses_its_template_filled_from_the_ledger(
    start_service: StartService, aliyun: FakeAliyunSms, tmp_path: Path
) -> None:
    templates = tmp_path / "sms-templates.yaml"
    templates.write_text(
        "hours_shortfall:\n"
        "  template: SMS_200002\n"
        "  variables:\n"
        '    name: "{name}"\n'
        '    online: "{short_online}"\n'
        '    offline: "{short_offline}"\n'
        '    end: "{period.end:%-m月%-d日}"\n',
        encoding="utf-8",
    )
    aliyun.templates["SMS_200002"] = "${name}您好，您还差线上${online}学时、线下${offline}学时，${end}截止。"
    service = await start_service(**aliyun_settings(aliyun, sms_templates=templates))
    insert_trainees(service.engine, [record(1, phone=PHONE, registered=True, online_hours=20.0)])
    now = service.clock.now()
    texts = ("您还差学时", "请缴费")
    reminders = [
        Reminder(1, "学员1", "sms", PHONE, now, ("hours_shortfall",), (), texts[0], "reminder:1:a"),
        Reminder(1, "学员1", "sms", PHONE, now, ("payment_due",), (), texts[1], "reminder:1:b"),
    ]
    service.services.outbox.enqueue(reminders, now)
    assert (await service.dispatch()).sent == 2
    hours, payment = aliyun.sent
    assert hours.template_code == "SMS_200002"
    assert hours.variables["name"] == "学员1" and hours.variables["end"] == "12月31日"
    assert hours.text == f"【{aliyun.sign_name}】学员1您好，您还差线上12学时、线下0学时，12月31日截止。"
    assert (payment.template_code, payment.variables) == ("SMS_100001", {"content": "请缴费"})
