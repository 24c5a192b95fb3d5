"""A stand-in for Aliyun's Dysmsapi ``SendSms`` and its HTTP pushes, for tests.

``FakeAliyunSms`` is a real in-process aiohttp app. Like the real endpoint it takes the RPC parameters as
a POST form (or a GET query), checks the AccessKeyId, recomputes the signature from the received
parameters the way Aliyun's documentation and SDKs do (Java ``URLEncoder`` then ``+`` → ``%20``,
``*`` → ``%2A``, ``%7E`` → ``~``; written here independently of ``bot.channels.aliyun_sms``) and answers
``SignatureDoesNotMatch`` when it differs, refuses a reused ``SignatureNonce`` (``SignatureNonceUsed``)
and a Timestamp more than 15 minutes off (``InvalidTimeStamp.Expired``). It then checks the approved
signature, template and variables and the mobile number, records accepted messages with a BizId, and
can be scripted to throttle (``isv.BUSINESS_LIMIT_CONTROL``), fail with any code or be down (HTTP 503).

``up_push_body`` and ``report_push_body`` build the SmsUp and SmsReport pushes ("SmsUp", "SmsReport"
documentation) that Aliyun sends to ``/sms/aliyun/up`` and ``/sms/aliyun/report``.
"""

from __future__ import annotations

import base64
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
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from aiohttp import web

MAX_SKEW = 15 * 60
MAINLAND_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
TEMPLATE_VARIABLE = re.compile(r"\$\{(\w+)\}")
COMMON = (
    "AccessKeyId",
    "Action",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
)


@dataclass(frozen=True)
class AliyunSms:
    """One message Aliyun accepted: the rendered ``text`` is what the phone would show."""

    phone: str
    sign_name: str
    template_code: str
    variables: dict[str, str]
    out_id: str | None
    biz_id: str
    text: str


@dataclass
class _Scripted:
    code: str
    message: str
    status: int


@dataclass
class FakeAliyunSms:
    """State and behaviour of the stand-in; ``build_app`` serves it at ``/``."""

    access_key_id: str = "LTAI5tTestKeyId"
    access_key_secret: str = "test-access-key-secret"
    sign_name: str = "岳阳继续教育"
    templates: dict[str, str] = field(default_factory=lambda: {"SMS_100001": "${content}"})
    base_url: str = ""  # set once served: the value for JXJY_ALIYUN_SMS_ENDPOINT
    sent: list[AliyunSms] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # every Code answered, in order
    errors: list[str] = field(default_factory=list)
    _offset: float = 0.0
    _nonces: dict[str, float] = field(default_factory=dict)
    _script: deque[_Scripted] = field(default_factory=deque)

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the stand-in's clock (to test skew and nonce expiry)."""
        self._offset += seconds

    def script(self, code: str, *, times: int = 1, message: str = "", status: int = 200) -> None:
        """Answer the next ``times`` well-signed SendSms calls with ``code`` instead of sending."""
        self._script.extend(_Scripted(code, message or code, status) for _ in range(times))

    def throttle(self, times: int = 1) -> None:
        """Throttle the next sends, as the per-number flow control does."""
        self.script("isv.BUSINESS_LIMIT_CONTROL", times=times, message="触发分钟级流控Permits:1")

    def down(self, times: int = 1) -> None:
        """Answer the next sends with HTTP 503."""
        self.script(
            "ServiceUnavailable",
            times=times,
            message="The request has failed due to a temporary failure",
            status=503,
        )

    def build_app(self) -> web.Application:
        app = web.Application()
        app[FAKE_ALIYUN] = self
        app.router.add_route("*", "/", _rpc)
        app.router.add_route("*", "/{tail:.+}", _unexpected)
        return app

    def answer(self, code: str, message: str, status: int = 200, **extra: Any) -> web.Response:
        self.answers.append(code)
        body = {"Code": code, "Message": message, "RequestId": str(uuid.uuid4()).upper(), **extra}
        return web.json_response(body, status=status)


FAKE_ALIYUN = web.AppKey("fake_aliyun_sms", FakeAliyunSms)


def percent_encode(value: str) -> str:
    """Aliyun's percentEncode, step by step as its Java SDK writes it."""
    return quote_plus(value, safe="*").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def expected_signature(method: str, params: dict[str, str], secret: str) -> tuple[str, str]:
    """Return (signature, string to sign) for the received parameters."""
    query = "&".join(
        percent_encode(k) + "=" + percent_encode(params[k]) for k in sorted(params) if k != "Signature"
    )
    to_sign = method + "&" + percent_encode("/") + "&" + percent_encode(query)
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode(), to_sign


async def _received_params(request: web.Request) -> dict[str, str] | str:
    pairs = list(request.query.items())
    if request.method == "POST":
        try:
            pairs += parse_qsl(
                (await request.read()).decode("utf-8"), keep_blank_values=True, strict_parsing=True
            )
        except (UnicodeDecodeError, ValueError) as exc:
            return f"body is not a form: {exc}"
    params = dict(pairs)
    if len(params) != len(pairs):
        return "a parameter appears twice"
    return params


async def _rpc(request: web.Request) -> web.Response:
    fake = request.app[FAKE_ALIYUN]
    params = await _received_params(request)
    if isinstance(params, str):
        fake.errors.append(params)
        return fake.answer("InvalidParameter", params, 400)
    problem = _check_request(fake, request.method, params)
    if problem is not None:
        return problem
    if params["Action"] != "SendSms":
        return fake.answer("InvalidAction.NotFound", f"Specified api {params['Action']} is not found.", 404)
    if params.get("Format") != "JSON":
        fake.errors.append(f"Format {params.get('Format')!r}: the stand-in answers JSON only")
    return _send_sms(fake, params)


def _check_request(fake: FakeAliyunSms, method: str, params: dict[str, str]) -> web.Response | None:
    for name in (*COMMON, "Signature"):
        if not params.get(name):
            return fake.answer(f"Missing{name}", f"{name} is mandatory for this action.", 400)
    if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
        return fake.answer("InvalidParameter", "SignatureMethod must be HMAC-SHA1, SignatureVersion 1.0", 400)
    if params["Version"] != "2017-05-25":
        return fake.answer("InvalidVersion", f"Specified version {params['Version']} is not valid.", 400)
    try:
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return fake.answer(
            "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400
        )
    if abs(fake.now() - stamp.timestamp()) > MAX_SKEW:
        return fake.answer("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
    if params["AccessKeyId"] != fake.access_key_id:
        return fake.answer("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    signature, to_sign = expected_signature(method, params, fake.access_key_secret)
    if not hmac.compare_digest(signature.encode(), params["Signature"].encode()):
        message = (
            f"Specified signature is not matched with our calculation. server string to sign is:{to_sign}"
        )
        return fake.answer("SignatureDoesNotMatch", message, 400)
    nonce = params["SignatureNonce"]
    fake._nonces = {n: at for n, at in fake._nonces.items() if fake.now() - at < MAX_SKEW}
    if nonce in fake._nonces:
        return fake.answer("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
    fake._nonces[nonce] = fake.now()
    return None


def _send_sms(fake: FakeAliyunSms, params: dict[str, str]) -> web.Response:
    for name in ("PhoneNumbers", "SignName", "TemplateCode"):
        if not params.get(name):
            return fake.answer(f"Missing{name}", f"{name} is mandatory for this action.", 400)
    if fake._script:
        scripted = fake._script.popleft()
        return fake.answer(scripted.code, scripted.message, scripted.status)
    if params["SignName"] != fake.sign_name:
        return fake.answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
    template = fake.templates.get(params["TemplateCode"])
    if template is None:
        return fake.answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
    try:
        variables = json.loads(params.get("TemplateParam") or "{}")
    except ValueError:
        return fake.answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        return fake.answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    missing = [name for name in TEMPLATE_VARIABLE.findall(template) if name not in variables]
    if missing:
        return fake.answer("isv.TEMPLATE_MISSING_PARAMETERS", f"模板变量缺少对应参数值: {', '.join(missing)}")
    phone = MAINLAND_MOBILE.fullmatch(params["PhoneNumbers"])
    if phone is None:
        return fake.answer("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
    text = f"【{params['SignName']}】" + TEMPLATE_VARIABLE.sub(lambda m: variables[m.group(1)], template)
    biz_id = f"{900619746936498 + len(fake.sent)}^0"
    fake.sent.append(
        AliyunSms(
            phone.group(1),
            params["SignName"],
            params["TemplateCode"],
            variables,
            params.get("OutId"),
            biz_id,
            text,
        )
    )
    return fake.answer("OK", "OK", BizId=biz_id)


async def _unexpected(request: web.Request) -> web.Response:
    fake = request.app[FAKE_ALIYUN]
    fake.errors.append(f"unexpected call {request.method} {request.path}")
    return fake.answer("InvalidAction.NotFound", "stand-in serves only /", 404)


# --- the pushes Aliyun sends to us -----------------------------------------------------------------


def up_push_body(
    phone: str,
    content: str,
    *,
    send_time: str,
    sequence_id: int,
    sign_name: str = "岳阳继续教育",
    dest_code: str = "",
) -> bytes:
    """An SmsUp push with one inbound reply (a JSON array, as Aliyun batches them)."""
    item = {
        "phone_number": phone,
        "send_time": send_time,
        "content": content,
        "sign_name": sign_name,
        "dest_code": dest_code,
        "sequence_id": sequence_id,
    }
    return json.dumps([item], ensure_ascii=False).encode()


def delivery_report(
    sms: AliyunSms,
    *,
    success: bool = True,
    err_code: str = "DELIVERED",
    err_msg: str = "用户接收成功",
    at: str,
) -> dict[str, Any]:
    """One SmsReport item for a message the stand-in accepted."""
    return {
        "phone_number": sms.phone,
        "send_time": at,
        "report_time": at,
        "success": success,
        "err_code": err_code,
        "err_msg": err_msg,
        "sms_size": "1",
        "biz_id": sms.biz_id,
        "out_id": sms.out_id or "",
    }


def report_push_body(reports: Iterable[dict[str, Any]]) -> bytes:
    """An SmsReport push carrying these items."""
    return json.dumps(list(reports), ensure_ascii=False).encode()
