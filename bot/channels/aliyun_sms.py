"""Aliyun SMS (Dysmsapi 2017-05-25): the signed ``SendSms`` RPC request, its answer, and the HTTP pushes.

RPC signature (Aliyun's "签名机制" for RPC APIs): percent-encode every parameter name and value per
RFC 3986 (``+`` → ``%20``, ``*`` → ``%2A``, ``%7E`` → ``~``), sort by name, join as ``k=v&…``; the
StringToSign is ``METHOD&%2F&`` + percentEncode(that string); the Signature is base64(HMAC-SHA1(secret +
"&", StringToSign)). Each request carries a fresh ``SignatureNonce`` and a UTC ``Timestamp``.

Official examples reproduced in ``tests/bot/channels/test_aliyun_sms.py``:

- "签名机制" / "Request signatures" of the RPC API reference: ECS ``DescribeRegions`` with AccessKeyId
  ``testid``, secret ``testsecret``, nonce ``3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf``, Timestamp
  ``2016-02-23T12:46:24Z`` → StringToSign ``GET&%2F&AccessKeyId%3Dtestid…`` and signature
  ``OLeaidS1JvxuMvnyHOwuJ+uX5qY=``.
- SMS "HTTP协议及签名" (help.aliyun.com/document_detail/56189): ``SendSms`` to ``15300000001`` with SignName
  ``阿里云短信测试专用``, TemplateCode ``SMS_71390007``, TemplateParam ``{"customer":"test"}``, OutId ``123``,
  AccessKeyId ``testId``, secret ``testSecret``, nonce ``45e25e9b-0a6f-4070-8c85-2956eda1b466``, Timestamp
  ``2017-07-12T02:42:19Z`` → signature ``zJDF+Lrzhj/ThnlvIToysFRq6t4=``.

Both documented examples sign a GET; we POST the same parameters as a form (the method is part of the
StringToSign), which the stand-in in ``tests/fakes/aliyun_sms.py`` checks independently.
Error codes: "API错误码" (help.aliyun.com/document_detail/101346); pushes: "SmsUp" and "SmsReport"
(document_detail/101867).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.channels.sms_outcome import PushError, SmsOutcome, SmsStatus

ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
PUSH_ACK: dict[str, Any] = {"code": 0, "msg": "接收成功"}

# Throttling and provider trouble: the same request may pass later (a fresh nonce is signed each time).
RETRY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # per-number flow control (e.g. 触发天级流控)
        "isv.DAY_LIMIT_CONTROL",  # the account's daily cap set in the console
        "isv.MONTH_LIMIT_CONTROL",  # the account's monthly cap set in the console
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
        "InvalidTimeStamp.Expired",  # our clock is off; keep the message until it is fixed
    }
)
RETRY_PREFIXES = ("Throttling",)
# Everything else that is not OK fails for good and is reported to staff, notably isv.MOBILE_NUMBER_ILLEGAL,
# isv.SMS_TEMPLATE_ILLEGAL, isv.SMS_SIGNATURE_ILLEGAL, isv.AMOUNT_NOT_ENOUGH, isv.OUT_OF_SERVICE,
# isv.TEMPLATE_MISSING_PARAMETERS, isv.BLACK_KEY_CONTROL_LIMIT, SignatureDoesNotMatch,
# InvalidAccessKeyId.NotFound: retrying cannot fix a number, a template, a signature or the balance.


def percent_encode(value: str) -> str:
    """Percent-encode UTF-8 per RFC 3986 as Aliyun's percentEncode: only A-Z a-z 0-9 - _ . ~ stay."""
    return quote(value, safe="~")


def canonicalized_query(params: Mapping[str, str]) -> str:
    """Return the sorted, encoded ``k=v&…`` string of every parameter except ``Signature``."""
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """Return ``METHOD&%2F&`` + the encoded canonicalized query: what the signature covers."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def sign(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Return base64(HMAC-SHA1(secret + "&", StringToSign)) for these parameters."""
    digest = hmac.new(
        (access_key_secret + "&").encode("utf-8"),
        string_to_sign(method, params).encode("utf-8"),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def utc_timestamp(now: datetime) -> str:
    """Return ``now`` as the ISO 8601 UTC ``Timestamp`` Aliyun expects (``2017-07-12T02:42:19Z``)."""
    if now.tzinfo is None:
        raise ValueError("Timestamp needs an aware datetime")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AliyunCredentials:
    """An AccessKey pair; the secret never appears in a repr."""

    access_key_id: str
    access_key_secret: str = field(repr=False)


def send_sms_params(
    credentials: AliyunCredentials,
    *,
    phone: str,
    sign_name: str,
    template_code: str,
    template_param: Mapping[str, str],
    now: datetime,
    nonce: str | None = None,
    out_id: str | None = None,
    method: str = "POST",
) -> dict[str, str]:
    """Return the signed ``SendSms`` parameters (Signature included) for one phone and one template."""
    params = {
        "AccessKeyId": credentials.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": phone,
        "RegionId": "cn-hangzhou",
        "SignName": sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": template_code,
        "TemplateParam": json.dumps(dict(template_param), ensure_ascii=False, separators=(",", ":")),
        "Timestamp": utc_timestamp(now),
        "Version": API_VERSION,
    }
    if out_id:
        params["OutId"] = out_id
    params["Signature"] = sign(method, params, credentials.access_key_secret)
    return params


def form_body(params: Mapping[str, str]) -> bytes:
    """Encode signed parameters as the POST form body, with the same percent-encoding as the signature."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items()).encode("ascii")


def outcome_for_code(code: str, message: str = "", biz_id: str | None = None) -> SmsOutcome:
    """Map an Aliyun ``Code`` to an outcome: OK → sent, throttling or trouble → retry, the rest → failed."""
    if code == "OK":
        return SmsOutcome("sent", code, message, provider_id=biz_id)
    if code in RETRY_CODES or code.startswith(RETRY_PREFIXES):
        return SmsOutcome("retry", code, message)
    return SmsOutcome("failed", code, message)


def parse_send_sms_response(status: int, body: bytes) -> SmsOutcome:
    """Read ``SendSms``'s HTTP answer (JSON ``{Code, Message, BizId, RequestId}``) into an outcome."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("Code"), str):
        # Unreadable: a 5xx or a garbled 200 may still pass on a later try; a 4xx will not.
        status_kind: SmsStatus = "failed" if 400 <= status < 500 and status != 429 else "retry"
        return SmsOutcome(status_kind, f"HTTP {status}", "answer is not Aliyun's JSON")
    if status >= 500 or status == 429:
        return SmsOutcome("retry", str(data["Code"]), str(data.get("Message", "")))
    biz_id = data.get("BizId")
    return outcome_for_code(str(data["Code"]), str(data.get("Message", "")), str(biz_id) if biz_id else None)


# --- pushes: SmsUp (inbound replies) and SmsReport (delivery receipts) -------------------------------


@dataclass(frozen=True)
class InboundSms:
    """One reply a user sent to our number (上行)."""

    phone: str
    content: str
    send_time: str  # "2017-01-01 00:00:00", as pushed
    dest_code: str
    sequence_id: str


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery receipt: ``biz_id`` is SendSms's BizId, ``out_id`` the OutId we sent."""

    phone: str
    success: bool
    err_code: str
    err_msg: str
    biz_id: str
    out_id: str
    send_time: str
    report_time: str


def _items(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise PushError("push body is not JSON") from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PushError("push body must be a JSON array of objects")
    return data


def _text(item: Mapping[str, Any], name: str, index: int, *, required: bool = True) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise PushError(f"item {index}: {name} is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PushError(f"item {index}: {name} must be text")
    return str(value)


def parse_up_push(body: bytes) -> list[InboundSms]:
    """Read an SmsUp push: ``[{phone_number, content, send_time, dest_code, sequence_id}, …]``."""
    return [
        InboundSms(
            phone=_text(item, "phone_number", i),
            content=_text(item, "content", i),
            send_time=_text(item, "send_time", i, required=False),
            dest_code=_text(item, "dest_code", i, required=False),
            sequence_id=_text(item, "sequence_id", i),
        )
        for i, item in enumerate(_items(body))
    ]


def parse_report_push(body: bytes) -> list[DeliveryReport]:
    """Read an SmsReport push: ``[{phone_number, success, err_code, err_msg, biz_id, out_id, …}, …]``."""
    reports = []
    for i, item in enumerate(_items(body)):
        success = item.get("success")
        if not isinstance(success, bool):
            raise PushError(f"item {i}: success must be true or false")
        reports.append(
            DeliveryReport(
                phone=_text(item, "phone_number", i),
                success=success,
                err_code=_text(item, "err_code", i, required=False),
                err_msg=_text(item, "err_msg", i, required=False),
                biz_id=_text(item, "biz_id", i),
                out_id=_text(item, "out_id", i, required=False),
                send_time=_text(item, "send_time", i, required=False),
                report_time=_text(item, "report_time", i, required=False),
            )
        )
    return reports
