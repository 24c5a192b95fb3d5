"""TC3-HMAC-SHA256 against the published "签名方法 v3" example; SendSms answers and pushes map as documented."""

from __future__ import annotations

import json

import pytest

from bot.channels.sms_outcome import PushError
from bot.channels.tencent_sms import (
    PUSH_ACK,
    TencentCredentials,
    authorization,
    canonical_request,
    e164,
    outcome_for_code,
    parse_reply_push,
    parse_send_sms_response,
    parse_status_push,
    send_sms_body,
    sha256_hex,
    sign_request,
    signature,
    string_to_sign,
    utc_date,
)

# "签名方法 v3": CVM DescribeInstances in ap-guangzhou
TIMESTAMP = 1551113065
PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com"}
CANONICAL_REQUEST = (
    "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
    "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
)
STRING_TO_SIGN = (
    "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
    "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
)


def test_canonical_request_and_string_to_sign_of_the_example() -> None:
    assert sha256_hex(PAYLOAD) == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    assert canonical_request("POST", "", HEADERS, ["content-type", "host"], PAYLOAD) == CANONICAL_REQUEST
    assert string_to_sign(TIMESTAMP, "cvm", CANONICAL_REQUEST) == STRING_TO_SIGN


@pytest.mark.parametrize(
    ("secret_id", "secret_key", "expected"),
    [
        (
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
        ),
        (
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
            "Gu5t9xGARNpq86cd98joQYCN3*******",
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
        ),
    ],
)
def test_signature_and_authorization_of_the_example(secret_id: str, secret_key: str, expected: str) -> None:
    assert signature(secret_key, TIMESTAMP, "cvm", STRING_TO_SIGN) == expected
    assert authorization(secret_id, TIMESTAMP, "cvm", ["content-type", "host"], expected) == (
        f"TC3-HMAC-SHA256 Credential={secret_id}/2019-02-25/cvm/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}"
    )


def test_the_date_is_utc_even_after_midnight_in_beijing() -> None:
    # 1551113065 is 2019-02-26 00:44:25 in Beijing, and 2019-02-25 in UTC (the doc's own warning)
    assert utc_date(TIMESTAMP) == "2019-02-25"


def test_send_sms_request_is_signed_over_exactly_what_is_sent() -> None:
    credentials = TencentCredentials("AKIDtest", "secret-key")
    body = send_sms_body(
        sdk_app_id="1400006666",
        phone="13800000000",
        sign_name="岳阳继续教育",
        template_id="1110",
        template_params=["张三", "12"],
        session_context="outbox-7",
    )
    assert json.loads(body) == {
        "PhoneNumberSet": ["+8613800000000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "岳阳继续教育",
        "TemplateId": "1110",
        "TemplateParamSet": ["张三", "12"],
        "SessionContext": "outbox-7",
    }
    request = sign_request(
        credentials, body=body, timestamp=TIMESTAMP, region="ap-guangzhou", endpoint="http://127.0.0.1:8080/"
    )
    headers = request.headers
    assert headers["Host"] == "127.0.0.1:8080"
    assert (headers["X-TC-Action"], headers["X-TC-Version"], headers["X-TC-Region"]) == (
        "SendSms",
        "2021-01-11",
        "ap-guangzhou",
    )
    assert headers["X-TC-Timestamp"] == "1551113065"
    canonical = canonical_request("POST", "", headers, ["content-type", "host", "x-tc-action"], body)
    assert "x-tc-action:sendsms\n" in canonical
    expected = signature("secret-key", TIMESTAMP, "sms", string_to_sign(TIMESTAMP, "sms", canonical))
    assert headers["Authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDtest/2019-02-25/sms/tc3_request, "
        f"SignedHeaders=content-type;host;x-tc-action, Signature={expected}"
    )
    assert "secret-key" not in repr(credentials)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("13800000000", "+8613800000000"),
        ("8613800000000", "+8613800000000"),
        ("008613800000000", "+8613800000000"),
        ("+8613800000000", "+8613800000000"),
    ],
)
def test_phone_numbers_go_out_as_e164(given: str, expected: str) -> None:
    assert e164(given) == expected


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("Ok", "sent"),
        ("LimitExceeded.PhoneNumberDailyLimit", "retry"),
        ("LimitExceeded.DeliveryFrequencyLimit", "retry"),
        ("RequestLimitExceeded", "retry"),
        ("InternalError.Timeout", "retry"),
        ("AuthFailure.SignatureExpire", "retry"),
        ("InvalidParameterValue.IncorrectPhoneNumber", "failed"),
        ("FailedOperation.TemplateIncorrectOrUnapproved", "failed"),
        ("FailedOperation.SignatureIncorrectOrUnapproved", "failed"),
        ("FailedOperation.InsufficientBalanceInSmsPackage", "failed"),
        ("FailedOperation.PhoneNumberInBlacklist", "failed"),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", "failed"),
        ("AuthFailure.SignatureFailure", "failed"),
        ("InternalError.SigVerificationFail", "failed"),
    ],
)
def test_codes_map_to_outcomes(code: str, status: str) -> None:
    assert outcome_for_code(code).status == status


def test_send_sms_answers() -> None:
    sent = {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "5000:1045710669157053657849499619",
                    "PhoneNumber": "+8618511122233",
                    "Fee": 1,
                    "SessionContext": "test",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }
    outcome = parse_send_sms_response(200, json.dumps(sent).encode())
    assert outcome.sent and outcome.provider_id == "5000:1045710669157053657849499619"
    limited = json.dumps(sent).replace('"Ok"', '"LimitExceeded.PhoneNumberDailyLimit"')
    assert parse_send_sms_response(200, limited.encode()).retryable
    error = {
        "Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "…"}, "RequestId": "r"}
    }
    assert parse_send_sms_response(200, json.dumps(error).encode()).status == "failed"
    assert parse_send_sms_response(502, b"Bad Gateway").retryable
    assert parse_send_sms_response(403, b"Forbidden").status == "failed"
    assert parse_send_sms_response(200, b'{"Response": {"RequestId": "r"}}').retryable


def test_reply_push() -> None:
    body = json.dumps(
        {
            "extend": "",
            "mobile": "13800000000",
            "nationcode": "86",
            "sign": "岳阳继续教育",
            "text": "学时",
            "time": 1457336869,
        },
        ensure_ascii=False,
    ).encode()
    reply = parse_reply_push(body)
    assert (reply.mobile, reply.text, reply.time, reply.sign) == (
        "13800000000",
        "学时",
        1457336869,
        "岳阳继续教育",
    )
    assert PUSH_ACK == {"result": 0, "errmsg": "OK"}


def test_status_push() -> None:
    item = {
        "user_receive_time": "2015-10-17 08:03:04",
        "nationcode": "86",
        "mobile": "13800000000",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": "5000:104571066915705365784949",
    }
    (ok,) = parse_status_push(json.dumps([item]).encode())
    assert ok.success and ok.sid == "5000:104571066915705365784949"
    (failed,) = parse_status_push(
        json.dumps([{**item, "report_status": "FAIL", "errmsg": "MK:0001"}]).encode()
    )
    assert not failed.success


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[]", "object"),
        (b'{"mobile": "1", "text": "x", "time": "1457336869"}', "time"),
        (b'{"text": "x", "time": 1}', "mobile"),
    ],
)
def test_bad_reply_push_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(PushError, match=reason):
        parse_reply_push(body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"sid": "1"}', "array"),
        (b'[{"mobile": "1", "report_status": "MAYBE", "sid": "1"}]', "SUCCESS or FAIL"),
        (b'[{"mobile": "1", "report_status": "SUCCESS"}]', "sid"),
    ],
)
def test_bad_status_push_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(PushError, match=reason):
        parse_status_push(body)
