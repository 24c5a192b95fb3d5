"""The WeChat official account in server mode: ``GET /wechat`` verification and ``POST /wechat`` pushes.

Each push is checked (``signature``; in safe mode ``msg_signature`` and the AES envelope), read, and
stored once under its MsgId (events: sender + CreateTime). A text is answered passively, in the HTTP
response, when the brain is done within ``JXJY_WECHAT_REPLY_SECONDS``; otherwise the platform gets
``success`` at once and the answer follows by customer-service message through the outbox. Either way
the answer is kept in the outbox under ``reply:wechat:<key>``: the platform's retries (it sends a push up
to three times) get the same passive reply again, or only ``success`` when the answer went the other way.

Bad signatures get 403, bodies that are not the platform's XML 400; nothing here answers 5xx.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from bot.channels.common import BACKGROUND, BadRequest, Refused, ServerServices, dispatch_soon
from bot.channels.group_commit import Passive
from bot.channels.wechat_crypto import SignatureMismatch, WeChatCrypto, check_signature
from bot.channels.wechat_xml import InboundMessage, WeChatProtocolError, parse_inbound, text_reply_xml
from bot.kernel.messages import Inbound
from bot.kernel.personal_data import mask_address
from ledger.inbound import ClaimRequest
from reminders.outbox import ReplyRow
from reminders.passive import reply_for

logger = logging.getLogger(__name__)

PLEASE_SEND_TEXT = "请发送文字，我只能读懂文字消息。"
WELCOME_PREFIX = "欢迎关注！"
HELP_TEXT = "帮助"
SORRY = "抱歉，系统出了点问题，请稍后再发一次。"
# A task answered after its push got "success" stays findable this long, for the platform's retries.
INFLIGHT_KEEP = 60.0


class WeChatChannel:
    """Answer pushes for one official account; one per app, kept under ``WECHAT``."""

    def __init__(self, services: ServerServices) -> None:
        settings = services.settings
        if not settings.wechat_token:
            raise ValueError("WeChat is not configured: set JXJY_WECHAT_TOKEN")
        self.services = services
        self.token = settings.wechat_token
        self.crypto = (
            WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id or "")
            if settings.wechat_aes_key
            else None
        )
        self.reply_seconds = settings.wechat_reply_seconds
        self._inflight: dict[str, asyncio.Task[str]] = {}
        self._followed: set[str] = set()

    async def answer(self, message: InboundMessage, app: web.Application) -> str | None:
        """The passive reply to ``message``, or None to answer ``success``; at most one answer per key."""
        started = time.monotonic()
        services = self.services
        openid = message.from_user
        if message.is_unsubscribe:
            await self._record(message, "[unsubscribe]")
            await asyncio.to_thread(
                services.blocks.block, "wechat", openid, "unsubscribed", services.clock.now()
            )
            logger.info("wechat %s unfollowed: WeChat messages to them stop", mask_address("wechat", openid))
            return None
        if message.msg_type == "event" and not message.is_subscribe:
            return None  # menu clicks, template receipts and the like need no answer
        if message.is_subscribe:
            await asyncio.to_thread(services.blocks.unblock, "wechat", openid)
            text, prefix = HELP_TEXT, WELCOME_PREFIX
        elif message.is_text:
            text, prefix = message.content or "", ""
        else:
            text, prefix = "", ""
        key = f"reply:wechat:{message.dedup_key}"
        if await self._record(message, text or f"[{message.msg_type}]"):
            services.metrics.messages_in.labels(channel="wechat").inc()
            task = self._start(key, openid, text, prefix)
        else:
            services.metrics.inbound_duplicates.labels(channel="wechat").inc()
            stored = await asyncio.to_thread(reply_for, services.outbox, key)
            if stored is not None:
                return stored.text if stored.passive else None
            found = self._inflight.get(key)
            if found is None:
                return None  # another instance holds it; its answer goes by customer-service message
            task = found
        left = self.reply_seconds - (time.monotonic() - started)
        return await self._deliver(key, openid, task, max(left, 0.0), app)

    async def _record(self, message: InboundMessage, text: str) -> bool:
        """True for the first delivery of a message (WeChat's retries come within 15 s, inside the claim)."""
        services = self.services
        request = ClaimRequest("wechat", message.dedup_key, message.from_user, text, services.clock.now())
        return (await services.intake.submit(request)).claim == "new"

    def _start(self, key: str, openid: str, text: str, prefix: str) -> asyncio.Task[str]:
        async def compose() -> str:
            if not text:
                return PLEASE_SEND_TEXT
            # What answering writes is committed with the answer's own record (passive or queued).
            reply = await self.services.answerer.answer(Inbound("wechat", openid, text))
            self.services.metrics.replies.labels(channel="wechat", intent=reply.intent).inc()
            return prefix + reply.text

        task = asyncio.ensure_future(compose())
        self._inflight[key] = task
        loop = asyncio.get_running_loop()
        task.add_done_callback(lambda _: loop.call_later(INFLIGHT_KEEP, self._inflight.pop, key, None))
        return task

    async def _deliver(
        self, key: str, openid: str, task: asyncio.Task[str], wait: float, app: web.Application
    ) -> str | None:
        services = self.services
        if not await _done_within(task, wait):
            if key not in self._followed:
                self._followed.add(key)
                app[BACKGROUND].spawn(self._follow_up(key, openid, task))
            return None
        try:
            text = task.result()
        except Exception:
            logger.exception("wechat %s: answering failed", mask_address("wechat", openid))
            return SORRY
        if await services.commit.submit(Passive(ReplyRow(key, "wechat", openid, text, services.clock.now()))):
            return text
        stored = await asyncio.to_thread(reply_for, services.outbox, key)
        return stored.text if stored is not None and stored.passive else None

    async def _follow_up(self, key: str, openid: str, task: asyncio.Task[str]) -> None:
        """Queue a slow answer as a customer-service message (unless a retry got it passively meanwhile)."""
        services = self.services
        try:
            text = await task
        except Exception:
            logger.exception("wechat %s: answering failed", mask_address("wechat", openid))
            return
        finally:
            self._followed.discard(key)
        queued = await services.commit.submit(ReplyRow(key, "wechat", openid, text, services.clock.now()))
        if queued:
            logger.info(
                "wechat %s: slow answer queued as a customer-service message", mask_address("wechat", openid)
            )
            await dispatch_soon(services, f"wechat {key}")


async def _done_within(task: asyncio.Task[str], seconds: float) -> bool:
    """Whether ``task`` ends within ``seconds``; it runs on either way (``wait_for`` over ``shield``, lighter).

    The request resumes one turn of the event loop after the answer, not three: under load each turn
    waits behind every other ready request, and the passive reply's tail showed it.
    """
    if task.done():
        return True
    loop = asyncio.get_running_loop()
    woken = loop.create_future()

    def wake(_: object = None) -> None:
        if not woken.done():
            woken.set_result(None)

    task.add_done_callback(wake)
    timer = loop.call_later(seconds, wake)
    try:
        await woken
    finally:
        timer.cancel()
        task.remove_done_callback(wake)
    return task.done()


WECHAT = web.AppKey("wechat", WeChatChannel)


def _channel(request: web.Request) -> WeChatChannel:
    channel = request.app.get(WECHAT)
    if channel is None:
        raise Refused(404, "WeChat is off: set JXJY_WECHAT_TOKEN (and the app id, secret and AES key)")
    return channel


def _check_signature(request: web.Request, channel: WeChatChannel) -> tuple[str, str]:
    query = request.query
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not check_signature(channel.token, timestamp, nonce, query.get("signature", "")):
        logger.warning("wechat %s refused: bad signature", request.method)
        raise Refused(403, "signature does not match JXJY_WECHAT_TOKEN")
    return timestamp, nonce


async def wechat_verify(request: web.Request) -> web.Response:
    """The platform's server verification: ``echostr`` back unchanged when the signature holds."""
    _check_signature(request, _channel(request))
    return web.Response(text=request.query.get("echostr", ""), content_type="text/plain")


def _plaintext(
    request: web.Request, channel: WeChatChannel, body: bytes, timestamp: str, nonce: str
) -> bytes:
    mode = request.query.get("encrypt_type", "raw")
    if mode == "raw":
        return body
    if mode != "aes":
        raise BadRequest(f"encrypt_type {mode[:20]!r} is not raw or aes")
    if channel.crypto is None:
        raise BadRequest("safe mode (encrypt_type=aes) needs JXJY_WECHAT_AES_KEY on the server")
    try:
        return channel.crypto.decrypt(request.query.get("msg_signature", ""), timestamp, nonce, body).encode()
    except SignatureMismatch as exc:
        logger.warning("wechat push refused: bad msg_signature")
        raise Refused(403, str(exc)) from exc


async def wechat_push(request: web.Request) -> web.Response:
    """A message or event: a passive reply (encrypted in safe mode), or ``success``."""
    channel = _channel(request)
    timestamp, nonce = _check_signature(request, channel)
    try:
        message = parse_inbound(_plaintext(request, channel, await request.read(), timestamp, nonce))
    except WeChatProtocolError as exc:
        raise BadRequest(str(exc)) from exc
    reply = await channel.answer(message, request.app)
    if reply is None:
        return web.Response(text="success", content_type="text/plain")
    now = int(time.time())
    xml = text_reply_xml(message.from_user, message.to_user, now, reply)
    if request.query.get("encrypt_type") == "aes" and channel.crypto is not None:
        xml = channel.crypto.encrypt(xml, nonce, str(now))
    return web.Response(text=xml, content_type="application/xml")


def add_routes(app: web.Application, services: ServerServices) -> None:
    """Route ``/wechat``; it answers 404 unless JXJY_WECHAT_TOKEN is set."""
    if services.settings.wechat_token:
        app[WECHAT] = WeChatChannel(services)
    app.router.add_get("/wechat", wechat_verify)
    app.router.add_post("/wechat", wechat_push)
