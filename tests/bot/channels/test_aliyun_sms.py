"""Aliyun RPC signing against the published examples; SendSms answers and pushes map as documented."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl

import pytest

from bot.channels.aliyun_sms import (
    PUSH_ACK,
    AliyunCredentials,
    canonicalized_query,
    form_body,
    outcome_for_code,
    parse_report_push,
    parse_send_sms_response,
    parse_up_push,
    percent_encode,
    send_sms_params,
    sign,
    string_to_sign,
    utc_timestamp,
)
from bot.channels.sms_outcome import PushError

# "签名机制" (RPC API signature) example
DESCRIBE_REGIONS = {
    "Timestamp": "2016-02-23T12:46:24Z",
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "Version": "2014-05-26",
    "SignatureVersion": "1.0",
}
DESCRIBE_REGIONS_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
    "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
)
# SMS "HTTP协议及签名" example
SEND_SMS_EXAMPLE = {
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
}
SEND_SMS_EXAMPLE_SORTED_QUERY = (
    "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou"
    "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8"
    "&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
    "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
    "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
)


def test_describe_regions_example() -> None:
    assert string_to_sign("GET", DESCRIBE_REGIONS) == DESCRIBE_REGIONS_STRING_TO_SIGN
    assert sign("GET", DESCRIBE_REGIONS, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_send_sms_example() -> None:
    assert canonicalized_query(SEND_SMS_EXAMPLE) == SEND_SMS_EXAMPLE_SORTED_QUERY
    assert sign("GET", SEND_SMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_method_and_the_secret_are_signed() -> None:
    get = sign("GET", DESCRIBE_REGIONS, "testsecret")
    assert sign("POST", DESCRIBE_REGIONS, "testsecret") not in (get, "")
    assert sign("GET", DESCRIBE_REGIONS, "testsecreT") != get
    assert sign("GET", {**DESCRIBE_REGIONS, "Signature": get}, "testsecret") == get  # Signature is excluded


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("a*b", "a%2Ab"),
        ("a~b", "a~b"),
        ("-_.", "-_."),
        ("2016-02-23T12:46:24Z", "2016-02-23T12%3A46%3A24Z"),
        ("/", "%2F"),
        ("学时", "%E5%AD%A6%E6%97%B6"),
    ],
)
def test_percent_encode_rules(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


def test_timestamp_is_utc_iso8601_with_z() -> None:
    beijing = timezone(timedelta(hours=8))
    assert utc_timestamp(datetime(2017, 7, 12, 10, 42, 19, tzinfo=beijing)) == "2017-07-12T02:42:19Z"
    with pytest.raises(ValueError):
        utc_timestamp(datetime(2017, 7, 12, 10, 42, 19))


def test_send_sms_params_are_complete_signed_and_form_encoded() -> None:
    credentials = AliyunCredentials("testId", "testSecret")
    now = datetime(2017, 7, 12, 2, 42, 19, tzinfo=UTC)
    params = send_sms_params(
        credentials,
        phone="15300000001",
        sign_name="岳阳继续教育",
        template_code="SMS_71390007",
        template_param={"name": "张三", "hours": "12"},
        now=now,
        out_id="outbox-7",
    )
    assert params["Version"] == "2017-05-25" and params["Format"] == "JSON" and params["Action"] == "SendSms"
    assert params["Timestamp"] == "2017-07-12T02:42:19Z" and params["OutId"] == "outbox-7"
    assert json.loads(params["TemplateParam"]) == {"name": "张三", "hours": "12"}
    assert params["Signature"] == sign("POST", params, "testSecret")
    # the body decodes to exactly the signed parameters (spaces would be %20, never +)
    assert dict(parse_qsl(form_body(params).decode("ascii"), strict_parsing=True)) == params
    assert "testSecret" not in repr(credentials)


def test_every_request_has_a_fresh_nonce() -> None:
    credentials = AliyunCredentials("id", "secret")
    now = datetime(2024, 1, 1, tzinfo=UTC)
    nonces = {
        send_sms_params(
            credentials, phone="13800000000", sign_name="s", template_code="SMS_1", template_param={}, now=now
        )["SignatureNonce"]
        for _ in range(20)
    }
    assert len(nonces) == 20


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("OK", "sent"),
        ("isv.BUSINESS_LIMIT_CONTROL", "retry"),
        ("isv.DAY_LIMIT_CONTROL", "retry"),
        ("Throttling.User", "retry"),
        ("Throttling", "retry"),
        ("isp.SYSTEM_ERROR", "retry"),
        ("SignatureNonceUsed", "retry"),
        ("isv.MOBILE_NUMBER_ILLEGAL", "failed"),
        ("isv.SMS_TEMPLATE_ILLEGAL", "failed"),
        ("isv.SMS_SIGNATURE_ILLEGAL", "failed"),
        ("isv.AMOUNT_NOT_ENOUGH", "failed"),
        ("isv.OUT_OF_SERVICE", "failed"),
        ("isv.TEMPLATE_MISSING_PARAMETERS", "failed"),
        ("SignatureDoesNotMatch", "failed"),
        ("InvalidAccessKeyId.NotFound", "failed"),
        ("isv.SOMETHING_NEW", "failed"),
    ],
)
def test_codes_map_to_outcomes(code: str, status: str) -> None:
    assert outcome_for_code(code).status == status


def test_send_sms_answers() -> None:
    ok = json.dumps(
        {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "F6"}
    ).encode()
    outcome = parse_send_sms_response(200, ok)
    assert outcome.sent and outcome.provider_id == "9006197469364984^0"
    limited = json.dumps({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发天级流控Permits:10"}).encode()
    assert parse_send_sms_response(200, limited).retryable
    bad_sig = json.dumps({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
    assert parse_send_sms_response(400, bad_sig.encode()).status == "failed"
    assert parse_send_sms_response(503, b"<html>busy</html>").retryable
    assert parse_send_sms_response(503, json.dumps({"Code": "ServiceUnavailable"}).encode()).retryable
    assert parse_send_sms_response(404, b"not found").status == "failed"
    assert parse_send_sms_response(200, b"{garbled").retryable  # it may not have been sent


def test_up_push() -> None:
    body = json.dumps(
        [
            {
                "phone_number": "1380000****",
                "send_time": "2017-01-01 00:00:00",
                "content": "学时",
                "sign_name": "岳阳继续教育",
                "dest_code": "1234",
                "sequence_id": 1234567890,
            }
        ],
        ensure_ascii=False,
    ).encode()
    (reply,) = parse_up_push(body)
    assert (reply.phone, reply.content, reply.sequence_id) == ("1380000****", "学时", "1234567890")
    assert PUSH_ACK == {"code": 0, "msg": "接收成功"}


def test_report_push() -> None:
    item = {
        "phone_number": "1381111****",
        "send_time": "2017-01-01 00:00:00",
        "report_time": "2017-01-01 00:00:00",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": "12345",
        "out_id": "67890",
    }
    (report,) = parse_report_push(json.dumps([item]).encode())
    assert report.success and report.biz_id == "12345" and report.out_id == "67890"
    (failed,) = parse_report_push(json.dumps([{**item, "success": False, "err_code": "MK:0001"}]).encode())
    assert not failed.success and failed.err_code == "MK:0001"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"phone_number": "1"}', "array"),
        (b'[{"content": "hi", "sequence_id": 1}]', "phone_number"),
        (b'[{"phone_number": "1", "content": ["x"], "sequence_id": 1}]', "content must be text"),
    ],
)
def test_bad_up_push_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(PushError, match=reason):
        parse_up_push(body)


def test_report_push_needs_a_boolean_success() -> None:
    with pytest.raises(PushError, match="success"):
        parse_report_push(b'[{"phone_number": "1", "success": "true", "biz_id": "1"}]')
