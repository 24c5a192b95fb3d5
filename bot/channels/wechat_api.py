"""WeChat official-account API calls as data: the requests to build and what each answer means.

Paths and bodies from the official-account documentation ("获取 Access token", "客服消息", "模板消息");
``errcode`` meanings from "全局返回码说明". The I/O (and the database-backed token cache) belongs to the
caller; this module only says what to send and how to read the answer:

- 40001 / 40014 / 42001: the access token is stale or not the latest: refresh it once and retry.
- 43004 (not following), 45015 (outside the customer-service window), 45047 (too many messages without a
  reply), 45009 (daily quota): the platform will not deliver to this user now: fall back to SMS.
- -1 (system busy): retry later. Anything else: failed, not retried.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

API_URL = "https://api.weixin.qq.com"
TOKEN_PATH = "/cgi-bin/token"
CUSTOM_SEND_PATH = "/cgi-bin/message/custom/send"
TEMPLATE_SEND_PATH = "/cgi-bin/message/template/send"

STALE_TOKEN = frozenset({40001, 40014, 42001})
USER_UNREACHABLE = {
    43004: "用户未关注公众号",
    45015: "超过客服消息回复时限",
    45047: "客服消息条数超过上限",
    45009: "接口调用超过每日限额",
}
SYSTEM_BUSY = -1

SendStatus = Literal["sent", "refresh_token", "fallback", "retry", "failed"]


class WeChatApiError(Exception):
    """The platform refused a call; ``errcode`` is its global return code."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass(frozen=True)
class AccessToken:
    """A token and its lifetime in seconds, as ``/cgi-bin/token`` returned them."""

    token: str = field(repr=False)
    expires_in: int


@dataclass(frozen=True)
class SendAnswer:
    """How to proceed after a customer-service or template send."""

    status: SendStatus
    errcode: int
    errmsg: str = ""
    msgid: int | None = None


def token_query(app_id: str, app_secret: str) -> dict[str, str]:
    """The query of ``GET /cgi-bin/token`` (the secret travels in the query: never log the URL)."""
    return {"grant_type": "client_credential", "appid": app_id, "secret": app_secret}


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise WeChatApiError(SYSTEM_BUSY, "answer is not JSON") from None
    if not isinstance(data, dict):
        raise WeChatApiError(SYSTEM_BUSY, "answer is not a JSON object")
    return data


def parse_token_answer(body: bytes) -> AccessToken:
    """Read ``/cgi-bin/token``'s answer, or raise WeChatApiError with the platform's errcode."""
    data = _object(body)
    token, expires_in = data.get("access_token"), data.get("expires_in")
    if isinstance(token, str) and token and isinstance(expires_in, int) and not isinstance(expires_in, bool):
        return AccessToken(token, expires_in)
    errcode = data.get("errcode")
    raise WeChatApiError(errcode if isinstance(errcode, int) else SYSTEM_BUSY, str(data.get("errmsg", "")))


def custom_text_body(openid: str, text: str) -> dict[str, Any]:
    """The JSON of a customer-service text message."""
    return {"touser": openid, "msgtype": "text", "text": {"content": text}}


def template_body(
    openid: str, template_id: str, fields: Mapping[str, str], url: str | None = None
) -> dict[str, Any]:
    """The JSON of a template message: each template field as ``{"value": …}``."""
    body: dict[str, Any] = {
        "touser": openid,
        "template_id": template_id,
        "data": {name: {"value": value} for name, value in fields.items()},
    }
    if url:
        body["url"] = url
    return body


def read_send_answer(status: int, body: bytes) -> SendAnswer:
    """Map a send's HTTP answer to what to do next (see the module docstring)."""
    try:
        data = _object(body)
    except WeChatApiError as exc:
        kind: SendStatus = "failed" if 400 <= status < 500 else "retry"
        return SendAnswer(kind, exc.errcode, f"HTTP {status}: {exc.errmsg}")
    errcode = data.get("errcode", 0)
    if not isinstance(errcode, int) or isinstance(errcode, bool):
        return SendAnswer("retry", SYSTEM_BUSY, f"errcode {errcode!r} is not a number")
    errmsg = str(data.get("errmsg", ""))
    if errcode == 0:
        msgid = data.get("msgid")
        return SendAnswer("sent", 0, errmsg, msgid if isinstance(msgid, int) else None)
    if errcode in STALE_TOKEN:
        return SendAnswer("refresh_token", errcode, errmsg)
    if errcode in USER_UNREACHABLE:
        return SendAnswer("fallback", errcode, errmsg)
    if errcode == SYSTEM_BUSY or status >= 500:
        return SendAnswer("retry", errcode, errmsg)
    return SendAnswer("failed", errcode, errmsg)
