"""Tencent Cloud SMS (API 3.0, version 2021-01-11): the TC3-HMAC-SHA256 signed ``SendSms``, and its answers.

TC3 signing (Tencent Cloud "签名方法 v3"): CanonicalRequest = method, ``/``, query, the signed headers
(lower-case ``name:value`` lines, sorted), their names joined by ``;``, and the hex SHA-256 of the body;
StringToSign = ``TC3-HMAC-SHA256``, the timestamp, the scope ``date/service/tc3_request`` and the hex
SHA-256 of the CanonicalRequest; the key is derived as HMAC-SHA256 chains from ``"TC3" + SecretKey``
over the UTC date, the service and ``tc3_request``; the signature is the hex HMAC of the StringToSign.

Official examples reproduced in ``tests/bot/channels/test_tencent_sms.py``:

- "签名方法 v3" (e.g. cloud.tencent.com/document/api/362/4208; every product carries the same page), CVM
  ``DescribeInstances`` in ap-guangzhou with body ``{"Limit": 1, "Filters": [{"Values":
  ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}`` at timestamp ``1551113065``: hashed payload
  ``35e9c5b0…f064``, hashed canonical request ``5ffe6a04…7031``, and with SecretId/SecretKey
  ``AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE`` / ``Gu5t9xGARNpq86cd98joQYCN3EXAMPLE`` the signature
  ``72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168``.
- The same example with the key written as the current Chinese page and the official
  ``TencentCloud/signature-process-demo`` scripts write it, ``Gu5t9xGARNpq86cd98joQYCN3*******``: signature
  ``2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c`` (computed with that literal key; the
  demo scripts print rather than state it, and third-party TC3 test suites pin the same value).

Pushes: "短信回复" (document/product/382/5809) and "短信下发状态通知" (382/5807).
Error codes: SMS "错误码" (cloud.tencent.com/document/api/382/52075 and, for sending, 382/59177) and the
2021-01-11 ``SendSms`` page (382/55981).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.channels.sms_outcome import PushError, SmsOutcome, SmsStatus

ENDPOINT = "https://sms.tencentcloudapi.com/"
SERVICE = "sms"
API_VERSION = "2021-01-11"
ACTION = "SendSms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = ("content-type", "host", "x-tc-action")  # what the current SDKs sign
PUSH_ACK: dict[str, Any] = {"result": 0, "errmsg": "OK"}

RETRY_PREFIXES = ("LimitExceeded.", "RequestLimitExceeded")
RETRY_CODES = frozenset(
    {
        "LimitExceeded",
        "InternalError",
        "InternalError.Timeout",
        "InternalError.OtherError",
        "InternalError.SendAndRecvFail",
        "InternalError.ParseBackendResponseFail",
        "ResourceUnavailable",
        "AuthFailure.SignatureExpire",  # our clock is off; keep the message until it is fixed
    }
)
# Everything else fails for good and is reported to staff: InvalidParameterValue.IncorrectPhoneNumber,
# FailedOperation.TemplateIncorrectOrUnapproved, FailedOperation.SignatureIncorrectOrUnapproved,
# FailedOperation.InsufficientBalanceInSmsPackage, FailedOperation.PhoneNumberInBlacklist,
# UnauthorizedOperation.*, AuthFailure.SignatureFailure, …


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """Return the UTC date of a Unix timestamp, as the credential scope wants it (never local time)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def canonical_request(
    method: str, query: str, headers: Mapping[str, str], signed_headers: Sequence[str], payload: bytes
) -> str:
    """Return the CanonicalRequest: the header values named in ``signed_headers``, lower-cased and trimmed."""
    lowered = {name.lower(): value for name, value in headers.items()}
    names = sorted(name.lower() for name in signed_headers)
    lines = "".join(f"{name}:{lowered[name].strip().lower()}\n" for name in names)
    return "\n".join([method.upper(), "/", query, lines, ";".join(names), sha256_hex(payload)])


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    """Return the StringToSign for a CanonicalRequest."""
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return "\n".join([ALGORITHM, str(timestamp), scope, sha256_hex(canonical.encode("utf-8"))])


def signature(secret_key: str, timestamp: int, service: str, to_sign: str) -> str:
    """Return the hex TC3 signature: HMAC-SHA256 with the key derived from date, service and tc3_request."""
    secret_date = _hmac(("TC3" + secret_key).encode("utf-8"), utc_date(timestamp))
    secret_signing = _hmac(_hmac(secret_date, service), "tc3_request")
    return hmac.new(secret_signing, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(
    secret_id: str, timestamp: int, service: str, signed_headers: Sequence[str], sig: str
) -> str:
    """Return the ``Authorization`` header value."""
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    names = ";".join(sorted(name.lower() for name in signed_headers))
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={names}, Signature={sig}"


@dataclass(frozen=True)
class TencentCredentials:
    """A SecretId/SecretKey pair; the key never appears in a repr."""

    secret_id: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class SignedRequest:
    """A request ready to POST: send ``body`` byte for byte with exactly these headers."""

    url: str
    headers: dict[str, str]
    body: bytes


def e164(phone: str) -> str:
    """Return a mainland number as E.164 (``+8613812345678``); numbers with a ``+`` are kept as given."""
    digits = phone.strip()
    if digits.startswith("+"):
        return digits
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return "+86" + digits


def send_sms_body(
    *,
    sdk_app_id: str,
    phone: str,
    sign_name: str,
    template_id: str,
    template_params: Sequence[str],
    session_context: str = "",
) -> bytes:
    """Return the JSON body of ``SendSms`` for one phone (``SessionContext`` comes back in receipts)."""
    body = {
        "PhoneNumberSet": [e164(phone)],
        "SmsSdkAppId": sdk_app_id,
        "SignName": sign_name,
        "TemplateId": template_id,
        "TemplateParamSet": list(template_params),
        "SessionContext": session_context,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign_request(
    credentials: TencentCredentials,
    *,
    body: bytes,
    timestamp: int,
    region: str,
    endpoint: str = ENDPOINT,
    action: str = ACTION,
    version: str = API_VERSION,
    service: str = SERVICE,
) -> SignedRequest:
    """Sign a JSON POST to ``endpoint``: the Host header is the endpoint's host[:port], as sent."""
    host = urlsplit(endpoint).netloc
    headers = {"Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": action}
    canonical = canonical_request("POST", "", headers, SIGNED_HEADERS, body)
    sig = signature(credentials.secret_key, timestamp, service, string_to_sign(timestamp, service, canonical))
    headers.update(
        {
            "Authorization": authorization(credentials.secret_id, timestamp, service, SIGNED_HEADERS, sig),
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": version,
            "X-TC-Region": region,
        }
    )
    return SignedRequest(url=endpoint, headers=headers, body=body)


def outcome_for_code(code: str, message: str = "", serial_no: str | None = None) -> SmsOutcome:
    """Map a Tencent code to an outcome: ``Ok`` → sent, limits and trouble → retry, the rest → failed."""
    if code == "Ok":
        return SmsOutcome("sent", code, message, provider_id=serial_no)
    if code in RETRY_CODES or code.startswith(RETRY_PREFIXES):
        return SmsOutcome("retry", code, message)
    return SmsOutcome("failed", code, message)


def parse_send_sms_response(status: int, body: bytes) -> SmsOutcome:
    """Read ``SendSms``'s answer for one phone: ``Response.Error`` or ``Response.SendStatusSet[0]``."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    response = data.get("Response") if isinstance(data, dict) else None
    if not isinstance(response, dict):
        kind: SmsStatus = "failed" if 400 <= status < 500 and status != 429 else "retry"
        return SmsOutcome(kind, f"HTTP {status}", "answer is not Tencent Cloud's JSON")
    error = response.get("Error")
    if isinstance(error, dict):
        return outcome_for_code(str(error.get("Code", "")), str(error.get("Message", "")))
    statuses = response.get("SendStatusSet")
    if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
        return SmsOutcome("retry", f"HTTP {status}", "answer has neither Error nor SendStatusSet")
    first = statuses[0]
    serial = first.get("SerialNo")
    return outcome_for_code(
        str(first.get("Code", "")), str(first.get("Message", "")), str(serial) if serial else None
    )


# --- pushes: 短信回复 (inbound replies) and 短信下发状态通知 (delivery receipts) --------------------------


@dataclass(frozen=True)
class InboundSms:
    """One reply a user sent (上行): ``time`` is Unix seconds, ``sign`` the signature it answered."""

    mobile: str
    nationcode: str
    text: str
    sign: str
    time: int
    extend: str


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery receipt: ``sid`` is SendSms's SerialNo; ``success`` means report_status SUCCESS."""

    mobile: str
    nationcode: str
    success: bool
    errmsg: str
    description: str
    sid: str
    user_receive_time: str


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise PushError("push body is not JSON") from exc


def _field(item: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise PushError(f"{where}: {name} is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PushError(f"{where}: {name} must be text")
    return str(value)


def parse_reply_push(body: bytes) -> InboundSms:
    """Read a 短信回复 push: one object ``{extend, mobile, nationcode, sign, text, time}``."""
    item = _json(body)
    if not isinstance(item, dict):
        raise PushError("reply push must be a JSON object")
    time = item.get("time")
    if isinstance(time, bool) or not isinstance(time, int):
        raise PushError("reply: time must be Unix seconds")
    return InboundSms(
        mobile=_field(item, "mobile", "reply"),
        nationcode=_field(item, "nationcode", "reply", required=False) or "86",
        text=_field(item, "text", "reply"),
        sign=_field(item, "sign", "reply", required=False),
        time=time,
        extend=_field(item, "extend", "reply", required=False),
    )


def parse_status_push(body: bytes) -> list[DeliveryReport]:
    """Read a 短信下发状态通知 push: ``[{user_receive_time, mobile, report_status, errmsg, sid, …}, …]``."""
    items = _json(body)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PushError("status push must be a JSON array of objects")
    reports = []
    for i, item in enumerate(items):
        where = f"item {i}"
        status = _field(item, "report_status", where)
        if status not in ("SUCCESS", "FAIL"):
            raise PushError(f"{where}: report_status must be SUCCESS or FAIL, got {status[:20]!r}")
        reports.append(
            DeliveryReport(
                mobile=_field(item, "mobile", where),
                nationcode=_field(item, "nationcode", where, required=False) or "86",
                success=status == "SUCCESS",
                errmsg=_field(item, "errmsg", where, required=False),
                description=_field(item, "description", where, required=False),
                sid=_field(item, "sid", where),
                user_receive_time=_field(item, "user_receive_time", where, required=False),
            )
        )
    return reports
