"""The Tencent stand-in recomputes TC3 from the raw request; our signed requests pass, altered ones do not."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.channels.sms_outcome import SmsOutcome
from bot.channels.tencent_sms import (
    SignedRequest,
    TencentCredentials,
    parse_reply_push,
    parse_send_sms_response,
    parse_status_push,
    send_sms_body,
    sign_request,
)
from tests.fakes.tencent_sms import FakeTencentSms, delivery_status, reply_push_body, status_push_body

MakeClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def fake() -> FakeTencentSms:
    return FakeTencentSms(templates={"100001": "{1}", "200002": "{1}，您还差{2}学时"})


@pytest.fixture
async def client(aiohttp_client: MakeClient, fake: FakeTencentSms) -> TestClient[Any, Any]:
    return await aiohttp_client(fake.build_app())


def _request(
    fake: FakeTencentSms,
    client: TestClient[Any, Any],
    *,
    key: str | None = None,
    timestamp: int | None = None,
    **body: Any,
) -> SignedRequest:
    values: dict[str, Any] = {
        "sdk_app_id": fake.sdk_app_id,
        "phone": "13800000000",
        "sign_name": fake.sign_name,
        "template_id": "100001",
        "template_params": ["您好，请于 6 月 30 日前完成学时。"],
        "session_context": "ob-1",
    }
    values.update(body)
    credentials = TencentCredentials(fake.secret_id, key or fake.secret_key)
    endpoint = str(client.make_url("/"))
    return sign_request(
        credentials,
        body=send_sms_body(**values),
        timestamp=timestamp or int(time.time()),
        region="ap-guangzhou",
        endpoint=endpoint,
    )


async def _send(client: TestClient[Any, Any], request: SignedRequest) -> SmsOutcome:
    resp = await client.post("/", data=request.body, headers=request.headers)
    assert resp.status == 200  # Tencent answers errors inside a 200
    return parse_send_sms_response(resp.status, await resp.read())


async def test_a_signed_send_is_accepted_and_recorded(
    client: TestClient[Any, Any], fake: FakeTencentSms
) -> None:
    request = _request(fake, client, template_id="200002", template_params=["张三", "12"])
    outcome = await _send(client, request)
    assert outcome.sent and outcome.provider_id == fake.sent[0].serial_no
    (sms,) = fake.sent
    assert (sms.phone, sms.session_context, sms.text) == (
        "+8613800000000",
        "ob-1",
        "【岳阳继续教育】张三，您还差12学时",
    )


async def test_a_changed_body_is_refused(client: TestClient[Any, Any], fake: FakeTencentSms) -> None:
    request = _request(fake, client)
    altered = request.body.replace(b"13800000000", b"13900000000")
    outcome = await _send(client, SignedRequest(request.url, request.headers, altered))
    assert (outcome.code, outcome.status) == ("AuthFailure.SignatureFailure", "failed")
    assert fake.sent == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-TC-Action", "SendStatus"),
        ("Content-Type", "application/json"),
        ("Host", "sms.tencentcloudapi.com"),
    ],
)
async def test_a_changed_signed_header_is_refused(
    client: TestClient[Any, Any], fake: FakeTencentSms, header: str, value: str
) -> None:
    request = _request(fake, client)
    outcome = await _send(
        client, SignedRequest(request.url, {**request.headers, header: value}, request.body)
    )
    assert outcome.code == "AuthFailure.SignatureFailure"


async def test_the_wrong_key_and_an_unknown_id(client: TestClient[Any, Any], fake: FakeTencentSms) -> None:
    assert (
        await _send(client, _request(fake, client, key="other-key"))
    ).code == "AuthFailure.SignatureFailure"
    request = _request(fake, client)
    headers = {
        **request.headers,
        "Authorization": request.headers["Authorization"].replace(fake.secret_id, "AKIDx"),
    }
    assert (
        await _send(client, SignedRequest(request.url, headers, request.body))
    ).code == "AuthFailure.SecretIdNotFound"
    headers = {**request.headers, "Authorization": "Bearer x"}
    assert (
        await _send(client, SignedRequest(request.url, headers, request.body))
    ).code == "AuthFailure.InvalidAuthorization"


async def test_a_stale_timestamp_is_refused(client: TestClient[Any, Any], fake: FakeTencentSms) -> None:
    outcome = await _send(client, _request(fake, client, timestamp=int(time.time()) - 301))
    assert (outcome.code, outcome.status) == ("AuthFailure.SignatureExpire", "retry")


async def test_a_timestamp_changed_after_signing_is_refused(
    client: TestClient[Any, Any], fake: FakeTencentSms
) -> None:
    request = _request(fake, client)
    headers = {**request.headers, "X-TC-Timestamp": str(int(request.headers["X-TC-Timestamp"]) - 1)}
    assert (
        await _send(client, SignedRequest(request.url, headers, request.body))
    ).code == "AuthFailure.SignatureFailure"


async def test_scripted_limits_and_request_errors(client: TestClient[Any, Any], fake: FakeTencentSms) -> None:
    fake.throttle()
    fake.script("FailedOperation.InsufficientBalanceInSmsPackage", level="request")
    throttled, broke, ok = [await _send(client, _request(fake, client)) for _ in range(3)]
    assert (throttled.code, throttled.status) == ("LimitExceeded.PhoneNumberThirtySecondLimit", "retry")
    assert (broke.code, broke.status) == ("FailedOperation.InsufficientBalanceInSmsPackage", "failed")
    assert ok.sent and len(fake.sent) == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sign_name": "别的签名"}, "FailedOperation.SignatureIncorrectOrUnapproved"),
        ({"template_id": "999999"}, "FailedOperation.TemplateIncorrectOrUnapproved"),
        (
            {"template_id": "200002", "template_params": ["张三"]},
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        ),
        ({"phone": "1380000"}, "InvalidParameterValue.IncorrectPhoneNumber"),
        ({"sdk_app_id": "1400999999"}, "InvalidParameterValue.SdkAppIdNotExist"),
    ],
)
async def test_business_checks(
    client: TestClient[Any, Any], fake: FakeTencentSms, change: dict[str, Any], code: str
) -> None:
    outcome = await _send(client, _request(fake, client, **change))
    assert (outcome.code, outcome.status) == (code, "failed")
    assert fake.sent == []


async def test_unexpected_calls_fail_loudly(client: TestClient[Any, Any], fake: FakeTencentSms) -> None:
    resp = await client.get("/")
    assert (await resp.json())["Response"]["Error"]["Code"] == "InvalidAction"
    assert fake.errors == ["unexpected call GET /"]


async def test_push_builders_match_our_parsers(client: TestClient[Any, Any], fake: FakeTencentSms) -> None:
    reply = parse_reply_push(reply_push_body("13800000000", "学时", time=1457336869))
    assert (reply.mobile, reply.text, reply.time) == ("13800000000", "学时", 1457336869)
    assert (await _send(client, _request(fake, client))).sent
    (report,) = parse_status_push(
        status_push_body([delivery_status(fake.sent[0], success=False, errmsg="MK:0001")])
    )
    assert (report.sid, report.mobile, report.success) == (fake.sent[0].serial_no, "13800000000", False)
