"""The Aliyun stand-in verifies signatures, nonces and time like Aliyun; our signed requests pass it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.channels.aliyun_sms import (
    FORM_CONTENT_TYPE,
    AliyunCredentials,
    form_body,
    parse_report_push,
    parse_send_sms_response,
    parse_up_push,
    send_sms_params,
)
from bot.channels.sms_outcome import SmsOutcome
from tests.fakes.aliyun_sms import FakeAliyunSms, delivery_report, report_push_body, up_push_body

MakeClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def fake() -> FakeAliyunSms:
    return FakeAliyunSms(templates={"SMS_100001": "${content}", "SMS_200002": "${name}，您还差${hours}学时"})


@pytest.fixture
async def client(aiohttp_client: MakeClient, fake: FakeAliyunSms) -> TestClient[Any, Any]:
    return await aiohttp_client(fake.build_app())


def _params(
    fake: FakeAliyunSms, *, secret: str | None = None, now: datetime | None = None, **kwargs: Any
) -> dict[str, str]:
    values: dict[str, Any] = {
        "phone": "13800000000",
        "sign_name": fake.sign_name,
        "template_code": "SMS_100001",
        "template_param": {"content": "您好，请于 6 月 30 日前完成学时。"},
    }
    values.update(kwargs)
    credentials = AliyunCredentials(fake.access_key_id, secret or fake.access_key_secret)
    return send_sms_params(credentials, now=now or datetime.now(UTC), **values)


async def _post(client: TestClient[Any, Any], params: dict[str, str]) -> SmsOutcome:
    resp = await client.post("/", data=form_body(params), headers={"Content-Type": FORM_CONTENT_TYPE})
    return parse_send_sms_response(resp.status, await resp.read())


async def test_a_signed_send_is_accepted_and_recorded(
    client: TestClient[Any, Any], fake: FakeAliyunSms
) -> None:
    params = _params(
        fake, template_code="SMS_200002", template_param={"name": "张三", "hours": "12"}, out_id="ob-1"
    )
    outcome = await _post(client, params)
    assert outcome.sent and outcome.provider_id == fake.sent[0].biz_id
    (sms,) = fake.sent
    assert (sms.phone, sms.out_id, sms.text) == ("13800000000", "ob-1", "【岳阳继续教育】张三，您还差12学时")
    assert fake.errors == []


async def test_any_change_after_signing_is_refused(client: TestClient[Any, Any], fake: FakeAliyunSms) -> None:
    params = _params(fake)
    outcome = await _post(client, {**params, "PhoneNumbers": "13900000000"})
    assert (outcome.status, outcome.code) == ("failed", "SignatureDoesNotMatch")
    assert fake.sent == []


async def test_the_wrong_secret_is_refused(client: TestClient[Any, Any], fake: FakeAliyunSms) -> None:
    outcome = await _post(client, _params(fake, secret="not-the-secret"))
    assert outcome.code == "SignatureDoesNotMatch" and not outcome.retryable


async def test_a_get_signed_as_post_is_refused(client: TestClient[Any, Any], fake: FakeAliyunSms) -> None:
    resp = await client.get("/?" + form_body(_params(fake)).decode())
    assert parse_send_sms_response(resp.status, await resp.read()).code == "SignatureDoesNotMatch"


async def test_an_unknown_access_key(client: TestClient[Any, Any], fake: FakeAliyunSms) -> None:
    params = send_sms_params(
        AliyunCredentials("LTAI-other", fake.access_key_secret),
        phone="13800000000",
        sign_name=fake.sign_name,
        template_code="SMS_100001",
        template_param={"content": "x"},
        now=datetime.now(UTC),
    )
    resp = await client.post("/", data=form_body(params), headers={"Content-Type": FORM_CONTENT_TYPE})
    assert resp.status == 404
    assert parse_send_sms_response(resp.status, await resp.read()).code == "InvalidAccessKeyId.NotFound"


async def test_a_reused_nonce_is_refused(client: TestClient[Any, Any], fake: FakeAliyunSms) -> None:
    params = _params(fake, nonce="same-nonce")
    assert (await _post(client, params)).sent
    replay = await _post(client, params)
    assert (replay.code, replay.status) == ("SignatureNonceUsed", "retry")
    assert len(fake.sent) == 1


@pytest.mark.parametrize("skew", [timedelta(minutes=-16), timedelta(minutes=16)])
async def test_a_timestamp_too_far_off_is_refused(
    client: TestClient[Any, Any], fake: FakeAliyunSms, skew: timedelta
) -> None:
    outcome = await _post(client, _params(fake, now=datetime.now(UTC) + skew))
    assert outcome.code == "InvalidTimeStamp.Expired"


async def test_scripted_throttling_failure_and_outage(
    client: TestClient[Any, Any], fake: FakeAliyunSms
) -> None:
    fake.throttle()
    fake.script("isv.AMOUNT_NOT_ENOUGH")
    fake.down()
    throttled, broke, down, ok = [await _post(client, _params(fake)) for _ in range(4)]
    assert (throttled.code, throttled.status) == ("isv.BUSINESS_LIMIT_CONTROL", "retry")
    assert (broke.code, broke.status) == ("isv.AMOUNT_NOT_ENOUGH", "failed")
    assert (down.code, down.status) == ("ServiceUnavailable", "retry")
    assert ok.sent and len(fake.sent) == 1
    assert fake.answers == ["isv.BUSINESS_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH", "ServiceUnavailable", "OK"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sign_name": "别的签名"}, "isv.SMS_SIGNATURE_ILLEGAL"),
        ({"template_code": "SMS_999999"}, "isv.SMS_TEMPLATE_ILLEGAL"),
        (
            {"template_code": "SMS_200002", "template_param": {"name": "张三"}},
            "isv.TEMPLATE_MISSING_PARAMETERS",
        ),
        ({"phone": "1380000"}, "isv.MOBILE_NUMBER_ILLEGAL"),
    ],
)
async def test_business_checks(
    client: TestClient[Any, Any], fake: FakeAliyunSms, change: dict[str, Any], code: str
) -> None:
    outcome = await _post(client, _params(fake, **change))
    assert (outcome.code, outcome.status) == (code, "failed")
    assert fake.sent == []


async def test_the_stand_in_accepts_aliyuns_own_documented_request(aiohttp_client: MakeClient) -> None:
    # "HTTP协议及签名": the signed GET of the documentation, replayed at its own time
    fake = FakeAliyunSms(
        access_key_id="testId",
        access_key_secret="testSecret",
        sign_name="阿里云短信测试专用",
        templates={"SMS_71390007": "尊敬的${customer}，欢迎使用阿里云通信服务！"},
    )
    fake.advance(datetime(2017, 7, 12, 2, 42, 19, tzinfo=UTC).timestamp() - time.time())
    client = await aiohttp_client(fake.build_app())
    query = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
        "Signature": "zJDF+Lrzhj/ThnlvIToysFRq6t4=",
    }
    resp = await client.get("/?" + urlencode(query))
    assert parse_send_sms_response(resp.status, await resp.read()).sent
    assert fake.sent[0].text == "【阿里云短信测试专用】尊敬的test，欢迎使用阿里云通信服务！"
    assert fake.errors == ["Format 'XML': the stand-in answers JSON only"]


async def test_unexpected_paths_fail_loudly(client: TestClient[Any, Any], fake: FakeAliyunSms) -> None:
    resp = await client.post("/v2/send")
    assert resp.status == 404 and fake.errors == ["unexpected call POST /v2/send"]


async def test_push_builders_match_our_parsers(client: TestClient[Any, Any], fake: FakeAliyunSms) -> None:
    (reply,) = parse_up_push(
        up_push_body("13800000000", "学时", send_time="2025-03-01 09:00:00", sequence_id=7)
    )
    assert (reply.phone, reply.content, reply.sequence_id) == ("13800000000", "学时", "7")
    assert (await _post(client, _params(fake, out_id="ob-9"))).sent
    item = delivery_report(fake.sent[0], success=False, err_code="MK:0001", at="2025-03-01 09:00:05")
    (report,) = parse_report_push(report_push_body([item]))
    assert (report.biz_id, report.out_id, report.success) == (fake.sent[0].biz_id, "ob-9", False)
