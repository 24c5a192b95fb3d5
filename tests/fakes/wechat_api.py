"""A stand-in for the WeChat official-account API and its server-mode pushes, for tests.

``FakeWeChatApi`` is a real in-process aiohttp app serving ``/cgi-bin/token`` (tokens with an expiry; each
fetch counts and supersedes the previous token), ``/cgi-bin/message/custom/send`` and
``/cgi-bin/message/template/send`` (checking ``access_token`` like the platform: 41001 missing, 40014
unknown, 40001 superseded, 42001 expired). It can be told to refuse a user (43004 unsubscribed, 45015
outside the 48-hour window, 45047 too many messages without a reply) and records what was sent. Anything
else is answered 404 and noted in ``errors``, so an unexpected call cannot pass unnoticed.

The push builders (``text_push``, ``event_push``, ``signed_query``, ``encrypted_push``, ``open_reply``)
play the platform's side of server mode. They implement the signature and AES envelope on their own,
not with ``bot.channels.wechat_crypto``, so a mistake there cannot hide itself here.

The real platform keeps a superseded token valid for up to five minutes ("获取 Access token"); the
stand-in's ``old_token_grace`` is 0 by default, stricter than the platform.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SendKind = Literal["custom", "template"]
REFUSALS = {
    43004: "require subscribe",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45009: "reach max api daily quota limit",
}


@dataclass(frozen=True)
class SentWeChatMessage:
    """One accepted customer-service or template message."""

    kind: SendKind
    touser: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """The customer-service text, or the template's fields joined line by line."""
        if self.kind == "custom":
            return str(self.body["text"]["content"])
        return "\n".join(f"{k}: {v['value']}" for k, v in self.body["data"].items())


@dataclass
class _Refusal:
    errcode: int
    kinds: tuple[SendKind, ...]
    times: int | None  # None: until lifted


@dataclass
class FakeWeChatApi:
    """State and behaviour of the stand-in; ``build_app`` serves it."""

    app_id: str = "wx5823bf96d3bd56c7"
    app_secret: str = "test-app-secret"
    template_id: str | None = None  # when set, other template ids get 40037
    token_lifetime: int = 7200
    old_token_grace: float = 0.0
    base_url: str = ""  # set once served: the value for JXJY_WECHAT_API_URL
    token_fetches: int = 0
    sent: list[SentWeChatMessage] = field(default_factory=list)
    refused: list[tuple[SendKind, str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _offset: float = 0.0
    _tokens: dict[str, float] = field(default_factory=dict)  # token → expiry (fake clock)
    _superseded: dict[str, float] = field(default_factory=dict)  # token → when it stopped being latest
    _current: str | None = None
    _refusals: dict[str, _Refusal] = field(default_factory=dict)

    def now(self) -> float:
        """The stand-in's clock: real time plus whatever ``advance`` added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the stand-in's clock forward (tokens expire, grace periods end)."""
        self._offset += seconds

    def refuse(
        self,
        openid: str,
        errcode: int,
        *,
        kinds: Iterable[SendKind] = ("custom", "template"),
        times: int | None = None,
    ) -> None:
        """Refuse sends to ``openid`` with ``errcode`` (43004, 45015, 45047, 45009), ``times`` times or always."""
        if errcode not in REFUSALS:
            raise ValueError(f"unknown refusal {errcode}; pick one of {sorted(REFUSALS)}")
        self._refusals[openid] = _Refusal(errcode, tuple(kinds), times)

    def lift(self, openid: str) -> None:
        """Accept sends to ``openid`` again."""
        self._refusals.pop(openid, None)

    def issue_token(self) -> str:
        """Issue a new token, as ``/cgi-bin/token`` does; the previous one is no longer the latest."""
        self.token_fetches += 1
        if self._current is not None:
            self._superseded[self._current] = self.now()
        token = f"{self.token_fetches}_{secrets.token_urlsafe(24)}"
        self._tokens[token] = self.now() + self.token_lifetime
        self._current = token
        return token

    def token_error(self, token: str | None) -> tuple[int, str] | None:
        """The platform's complaint about ``token``, or None when it is valid now."""
        if not token:
            return 41001, "access_token missing"
        if token not in self._tokens:
            return 40014, "invalid access_token"
        superseded_at = self._superseded.get(token)
        if superseded_at is not None and self.now() - superseded_at >= self.old_token_grace:
            return 40001, "invalid credential, access_token is invalid or not latest"
        if self.now() >= self._tokens[token]:
            return 42001, "access_token expired"
        return None

    def build_app(self) -> web.Application:
        """The aiohttp application serving this stand-in."""
        app = web.Application()
        app[FAKE_WECHAT] = self
        app.router.add_get("/cgi-bin/token", _token)
        app.router.add_post("/cgi-bin/message/custom/send", _custom_send)
        app.router.add_post("/cgi-bin/message/template/send", _template_send)
        app.router.add_route("*", "/{tail:.*}", _unexpected)
        return app

    def _refusal(self, kind: SendKind, openid: str) -> int | None:
        refusal = self._refusals.get(openid)
        if refusal is None or kind not in refusal.kinds:
            return None
        if refusal.times is not None:
            refusal.times -= 1
            if refusal.times <= 0:
                del self._refusals[openid]
        self.refused.append((kind, openid, refusal.errcode))
        return refusal.errcode


FAKE_WECHAT = web.AppKey("fake_wechat", FakeWeChatApi)


def _error(errcode: int, errmsg: str) -> web.Response:
    return web.json_response({"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(4)}"})


async def _token(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECHAT]
    query = request.query
    if query.get("grant_type") != "client_credential":
        return _error(40002, "invalid grant_type")
    if query.get("appid") != fake.app_id:
        return _error(40013, "invalid appid")
    if query.get("secret") != fake.app_secret:
        return _error(40125, "invalid appsecret")
    return web.json_response({"access_token": fake.issue_token(), "expires_in": fake.token_lifetime})


async def _checked_body(request: web.Request, kind: SendKind) -> dict[str, Any] | web.Response:
    fake = request.app[FAKE_WECHAT]
    problem = fake.token_error(request.query.get("access_token"))
    if problem is not None:
        return _error(*problem)
    try:
        body = json.loads(await request.read())
    except ValueError:
        return _error(47001, "data format error")
    if not isinstance(body, dict) or not isinstance(body.get("touser"), str) or not body["touser"]:
        return _error(40003, "invalid openid")
    refusal = fake._refusal(kind, body["touser"])
    if refusal is not None:
        return _error(refusal, REFUSALS[refusal])
    return body


async def _custom_send(request: web.Request) -> web.Response:
    body = await _checked_body(request, "custom")
    if isinstance(body, web.Response):
        return body
    text = body.get("text")
    if (
        body.get("msgtype") != "text"
        or not isinstance(text, dict)
        or not isinstance(text.get("content"), str)
    ):
        return _error(40008, "invalid message type")
    if not text["content"]:
        return _error(44003, "empty news data")  # the platform refuses empty content
    request.app[FAKE_WECHAT].sent.append(SentWeChatMessage("custom", body["touser"], body))
    return web.json_response({"errcode": 0, "errmsg": "ok"})


async def _template_send(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECHAT]
    body = await _checked_body(request, "template")
    if isinstance(body, web.Response):
        return body
    template_id = body.get("template_id")
    if (
        not isinstance(template_id, str)
        or not template_id
        or template_id != (fake.template_id or template_id)
    ):
        return _error(40037, "invalid template_id")
    data = body.get("data")
    valid = isinstance(data, dict) and all(
        isinstance(v, dict) and isinstance(v.get("value"), str) for v in data.values()
    )
    if not valid:
        return _error(47003, "argument invalid! data.value invalid")
    fake.sent.append(SentWeChatMessage("template", body["touser"], body))
    return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 200_000_000 + len(fake.sent)})


async def _unexpected(request: web.Request) -> web.Response:
    request.app[FAKE_WECHAT].errors.append(f"unexpected call {request.method} {request.path}")
    return web.json_response({"errcode": 404, "errmsg": "stand-in does not serve this path"}, status=404)


# --- the platform's side of server mode ------------------------------------------------------------


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_push(
    from_user: str, content: str, msg_id: int, *, to_user: str = "gh_test", create_time: int
) -> str:
    """The XML the platform pushes for a user's text message ("接收普通消息")."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_push(from_user: str, event: str, *, to_user: str = "gh_test", create_time: int) -> str:
    """The XML of an event push, e.g. ``subscribe`` or ``unsubscribe`` ("接收事件推送")."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event>{_cdata(event)}</Event></xml>"
    )


def image_push(from_user: str, msg_id: int, *, to_user: str = "gh_test", create_time: int) -> str:
    """A non-text message (an image), which the bot should answer with "please send text"."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        f"<PicUrl>{_cdata('http://mmbiz.qpic.cn/x')}</PicUrl><MediaId><![CDATA[m1]]></MediaId>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_query(token: str, *, timestamp: int, nonce: str, openid: str | None = None) -> dict[str, str]:
    """The query string of a plaintext-mode push (or of GET /wechat without echostr)."""
    query = {
        "signature": _sha1_sorted(token, str(timestamp), nonce),
        "timestamp": str(timestamp),
        "nonce": nonce,
    }
    if openid is not None:
        query["openid"] = openid
    return query


def _aes(aes_key: str) -> Cipher[modes.CBC]:
    key = base64.b64decode(aes_key + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt_for_app(aes_key: str, app_id: str, text: str) -> str:
    """Encrypt as the platform does: random 16 bytes, length, message, app id, PKCS#7 to 32 bytes."""
    raw = os.urandom(16) + struct.pack(">I", len(text.encode())) + text.encode() + app_id.encode()
    pad = 32 - len(raw) % 32
    encryptor = _aes(aes_key).encryptor()
    return base64.b64encode(encryptor.update(raw + bytes([pad]) * pad) + encryptor.finalize()).decode()


def encrypted_push(
    token: str,
    aes_key: str,
    app_id: str,
    xml: str,
    *,
    timestamp: int,
    nonce: str,
    openid: str,
    to_user: str = "gh_test",
) -> tuple[dict[str, str], str]:
    """The query and body of a safe-mode push (``encrypt_type=aes``) carrying ``xml``."""
    encrypted = encrypt_for_app(aes_key, app_id, xml)
    query = signed_query(token, timestamp=timestamp, nonce=nonce, openid=openid)
    query.update(encrypt_type="aes", msg_signature=_sha1_sorted(token, str(timestamp), nonce, encrypted))
    body = f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
    return query, body


def open_reply(token: str, aes_key: str, app_id: str, reply: str) -> str:
    """Check an encrypted passive reply's MsgSignature and return its plaintext, as the platform would."""
    import xml.etree.ElementTree as ET  # the reply is ours to check, not untrusted input

    root = ET.fromstring(reply)
    fields = {child.tag: child.text or "" for child in root}
    expected = _sha1_sorted(token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
    if expected != fields["MsgSignature"]:
        raise AssertionError("encrypted reply's MsgSignature does not match")
    decryptor = _aes(aes_key).decryptor()
    raw = decryptor.update(base64.b64decode(fields["Encrypt"])) + decryptor.finalize()
    raw = raw[: -raw[-1]]
    (length,) = struct.unpack(">I", raw[16:20])
    if raw[20 + length :].decode() != app_id:
        raise AssertionError("encrypted reply is for another app id")
    return raw[20 : 20 + length].decode()
