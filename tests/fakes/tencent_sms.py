"""A stand-in for Tencent Cloud SMS ``SendSms`` (API 3.0, 2021-01-11) and its HTTP pushes, for tests.

``FakeTencentSms`` is a real in-process aiohttp app. It parses the ``Authorization`` header, rejects an
unknown SecretId (``AuthFailure.SecretIdNotFound``) and a timestamp more than five minutes off
(``AuthFailure.SignatureExpire``), then recomputes the TC3-HMAC-SHA256 signature from the raw request as
received (method, query, the headers named in SignedHeaders, the body bytes), written here independently
of ``bot.channels.tencent_sms``, and answers ``AuthFailure.SignatureFailure`` when it differs. Accepted
requests are checked against the SDK app id, approved signature and template, and each number gets its
``SendStatusSet`` entry; scripted codes (``LimitExceeded.*``, ``FailedOperation.*``, …) replace the
result per number or for the whole request. Like the real API it answers HTTP 200 with
``Response.Error`` for request errors.

``reply_push_body`` and ``status_push_body`` build the "短信回复" and "短信下发状态通知" pushes that
Tencent sends to ``/sms/tencent/reply`` and ``/sms/tencent/status``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web

MAX_SKEW = 300
AUTHORIZATION = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z]+)/tc3_request, "
    r"SignedHeaders=(?P<headers>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)
MAINLAND_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
TEMPLATE_PARAMETER = re.compile(r"\{(\d+)\}")
Level = Literal["status", "request"]


@dataclass(frozen=True)
class TencentSms:
    """One message Tencent accepted: ``serial_no`` comes back as ``sid`` in status pushes."""

    phone: str  # E.164, as sent
    sign_name: str
    template_id: str
    params: list[str]
    session_context: str
    serial_no: str
    text: str


@dataclass
class _Scripted:
    code: str
    level: Level


@dataclass
class FakeTencentSms:
    """State and behaviour of the stand-in; ``build_app`` serves it at ``/``."""

    secret_id: str = "AKIDTestSecretId0000000000000000"
    secret_key: str = "test-secret-key"
    sdk_app_id: str = "1400000001"
    sign_name: str = "岳阳继续教育"
    templates: dict[str, str] = field(default_factory=lambda: {"100001": "{1}"})
    base_url: str = ""  # set once served: the value for JXJY_TENCENT_SMS_ENDPOINT
    sent: list[TencentSms] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _offset: float = 0.0
    _script: deque[_Scripted] = field(default_factory=deque)

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def script(self, code: str, *, times: int = 1, level: Level = "status") -> None:
        """Answer the next ``times`` well-signed sends with ``code``, per number or as the request's Error."""
        self._script.extend(_Scripted(code, level) for _ in range(times))

    def throttle(self, times: int = 1) -> None:
        self.script("LimitExceeded.PhoneNumberThirtySecondLimit", times=times)

    def build_app(self) -> web.Application:
        app = web.Application()
        app[FAKE_TENCENT] = self
        app.router.add_route("*", "/{tail:.*}", _api)
        return app

    def error(self, code: str, message: str) -> web.Response:
        self.answers.append(code)
        return web.json_response(
            {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": _rid()}}
        )


FAKE_TENCENT = web.AppKey("fake_tencent_sms", FakeTencentSms)


def _rid() -> str:
    return str(uuid.uuid4())


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def expected_signature(
    fake: FakeTencentSms, request: web.Request, body: bytes, signed: list[str], stamp: int
) -> str:
    """TC3 over the request as received, per "签名方法 v3"."""
    headers = "".join(f"{name}:{request.headers[name].strip().lower()}\n" for name in signed)
    canonical = "\n".join(
        [
            request.method,
            "/",
            request.query_string,
            headers,
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
    to_sign = (
        f"TC3-HMAC-SHA256\n{stamp}\n{date}/sms/tc3_request\n" + hashlib.sha256(canonical.encode()).hexdigest()
    )
    key = _hmac(_hmac(_hmac(("TC3" + fake.secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _authenticate(fake: FakeTencentSms, request: web.Request, body: bytes) -> web.Response | None:
    auth = AUTHORIZATION.fullmatch(request.headers.get("Authorization", ""))
    if auth is None:
        return fake.error("AuthFailure.InvalidAuthorization", "Authorization is not TC3-HMAC-SHA256.")
    if auth["id"] != fake.secret_id:
        return fake.error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
    stamp_text = request.headers.get("X-TC-Timestamp", "")
    if not stamp_text.isdigit() or abs(fake.now() - int(stamp_text)) > MAX_SKEW:
        return fake.error("AuthFailure.SignatureExpire", "Signature expired, timestamp is out of range.")
    stamp = int(stamp_text)
    signed = auth["headers"].split(";")
    date = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
    well_formed = (
        auth["date"] == date
        and auth["service"] == "sms"
        and {"content-type", "host"} <= set(signed)
        and signed == sorted(signed)
        and all(name in request.headers for name in signed)
    )
    if not well_formed or not hmac.compare_digest(
        expected_signature(fake, request, body, signed, stamp), auth["signature"]
    ):
        return fake.error(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        )
    return None


async def _api(request: web.Request) -> web.Response:
    fake = request.app[FAKE_TENCENT]
    if request.method != "POST" or request.path != "/":
        fake.errors.append(f"unexpected call {request.method} {request.path}")
        return fake.error("InvalidAction", "the stand-in serves POST / only")
    body = await request.read()
    refused = _authenticate(fake, request, body)
    if refused is not None:
        return refused
    if request.headers.get("X-TC-Action") != "SendSms":
        return fake.error("InvalidAction", f"Action {request.headers.get('X-TC-Action')} does not exist.")
    if request.headers.get("X-TC-Version") != "2021-01-11":
        return fake.error("NoSuchVersion", "The requested version does not exist.")
    if not request.headers.get("X-TC-Region"):
        return fake.error("MissingParameter", "The Region parameter is required.")
    try:
        payload = json.loads(body)
    except ValueError:
        return fake.error("FailedOperation.FailResolvePacket", "request body is not JSON")
    return _send_sms(fake, payload if isinstance(payload, dict) else {})


def _send_sms(fake: FakeTencentSms, payload: dict[str, Any]) -> web.Response:
    phones = payload.get("PhoneNumberSet")
    if not isinstance(phones, list) or not phones or not all(isinstance(p, str) for p in phones):
        return fake.error("MissingParameter", "PhoneNumberSet is required.")
    for name in ("SmsSdkAppId", "TemplateId"):
        if not isinstance(payload.get(name), str) or not payload[name]:
            return fake.error("MissingParameter", f"{name} is required.")
    if payload["SmsSdkAppId"] != fake.sdk_app_id:
        return fake.error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
    scripted = fake._script.popleft() if fake._script else None
    if scripted is not None and scripted.level == "request":
        return fake.error(scripted.code, scripted.code)
    statuses = [_one(fake, payload, phone, scripted.code if scripted else None) for phone in phones]
    fake.answers.extend(s["Code"] for s in statuses)
    return web.json_response({"Response": {"SendStatusSet": statuses, "RequestId": _rid()}})


def _one(fake: FakeTencentSms, payload: dict[str, Any], phone: str, forced: str | None) -> dict[str, Any]:
    params = payload.get("TemplateParamSet") or []
    template = fake.templates.get(payload["TemplateId"])
    code, message = "Ok", "send success"
    if forced is not None:
        code, message = forced, forced
    elif payload.get("SignName") != fake.sign_name:
        code, message = (
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "signature format error or unapproved",
        )
    elif template is None:
        code, message = "FailedOperation.TemplateIncorrectOrUnapproved", "template unapproved or not exist"
    elif not isinstance(params, list) or len(params) != len(set(TEMPLATE_PARAMETER.findall(template))):
        code, message = (
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
            "params do not match template",
        )
    elif MAINLAND_MOBILE.fullmatch(phone) is None:
        code, message = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect number format"
    status = {
        "SerialNo": "",
        "PhoneNumber": phone,
        "Fee": 0,
        "SessionContext": payload.get("SessionContext", ""),
    }
    status.update(Code=code, Message=message, IsoCode="CN")
    if code == "Ok" and template is not None:
        serial = f"2433:{3_000_000_000_000 + len(fake.sent)}"
        text = f"【{payload['SignName']}】" + TEMPLATE_PARAMETER.sub(
            lambda m: str(params[int(m[1]) - 1]), template
        )
        fake.sent.append(
            TencentSms(
                phone,
                payload["SignName"],
                payload["TemplateId"],
                list(params),
                status["SessionContext"],
                serial,
                text,
            )
        )
        status.update(SerialNo=serial, Fee=1)
    return status


# --- the pushes Tencent sends to us ----------------------------------------------------------------


def reply_push_body(
    mobile: str, text: str, *, time: int, sign: str = "岳阳继续教育", extend: str = ""
) -> bytes:
    """A 短信回复 push: one JSON object per reply."""
    item = {"extend": extend, "mobile": mobile, "nationcode": "86", "sign": sign, "text": text, "time": time}
    return json.dumps(item, ensure_ascii=False).encode()


def delivery_status(
    sms: TencentSms, *, success: bool = True, errmsg: str = "DELIVRD", at: str = "2025-03-01 09:00:00"
) -> dict[str, Any]:
    """One 短信下发状态通知 item for a message the stand-in accepted."""
    return {
        "user_receive_time": at,
        "nationcode": "86",
        "mobile": sms.phone.removeprefix("+86"),
        "report_status": "SUCCESS" if success else "FAIL",
        "errmsg": errmsg,
        "description": "用户短信送达成功" if success else "用户短信接收失败",
        "sid": sms.serial_no,
    }


def status_push_body(items: Iterable[dict[str, Any]]) -> bytes:
    """A 短信下发状态通知 push: a JSON array, several receipts per call."""
    return json.dumps(list(items), ensure_ascii=False).encode()
