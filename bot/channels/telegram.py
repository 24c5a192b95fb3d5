"""The Telegram channel: private messages answered by the brain, replies through the outbox, the Bot API gateway."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
from telegram import Update, error
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot.channels.common import (
    ServerServices,
    dispatch_soon,
)
from bot.channels.group_commit import Handled, Unblocked
from bot.channels.telegram_send import TelegramGateway as TelegramGateway
from bot.channels.telegram_send import split_text as split_text
from bot.channels.telegram_update import PrivateMessage, private_message
from bot.kernel.messages import Inbound
from bot.kernel.personal_data import mask_address
from bot.kernel.settings import Settings
from ledger.inbound import ClaimRequest
from reminders.outbox import ReplyRow

logger = logging.getLogger(__name__)

# Opt in to python-telegram-bot's time periods as timedelta (its next major version's only form): with the
# int form, every RetryAfter it raises warns that the int is deprecated.
os.environ.setdefault("PTB_TIMEDELTA", "true")

TelegramApp = Application[Any, Any, Any, Any, Any, Any]

# The commands the bot offers, answered by the brain as if the user had typed these words; any other
# command gets the help. Arguments follow the words: "/bind 4306… 张三" is "绑定 4306… 张三".
COMMAND_TEXTS = {
    "start": "你好",
    "help": "帮助",
    "bind": "绑定",
    "status": "我的进度",
    "stop": "退订",
    "resume": "订阅",
}
PLEASE_SEND_TEXT = "请发送文字，我只能读懂文字消息。"


def command_text(text: str) -> str:
    """What the brain is asked for a message: a command becomes its words, plain text stays as it is."""
    if not text.startswith("/"):
        return text
    head, _, rest = text.partition(" ")
    command = head.lstrip("/").split("@", 1)[0].lower()
    words = COMMAND_TEXTS.get(command)
    if words is None:
        return COMMAND_TEXTS["help"]
    return f"{words} {rest.strip()}".strip()


class TelegramChannel:
    """Answer private messages: stored once per ``update_id``, the reply queued in the outbox.

    The reply is queued under ``reply:telegram:<update_id>`` before the webhook answers 200, so a crash
    after the 200 loses nothing and a replayed update (Telegram resends one whose 200 came late) finds its
    answer already queued and gets no second one. Edited messages and other chats are not answered.
    """

    def __init__(self, services: ServerServices) -> None:
        self.services = services

    async def process(self, update: Update | PrivateMessage | None) -> bool:
        """Answer one update; True when a reply was queued (the dispatcher should run)."""
        services = self.services
        # Edited messages and channel posts are not answered again, nor groups.
        message = private_message(update) if isinstance(update, Update) else update
        if message is None:
            return False
        chat_id = str(message.chat_id)
        text = message.text
        update_id = str(message.update_id)
        # Claimed first: of concurrent deliveries of one update only the claimer answers; a replay after
        # the claimer died (its claim lapsed) answers unless the reply was queued already. Claims, replies
        # and handled marks of updates arriving together share a transaction (ServerServices' batchers).
        intake = await services.intake.submit(
            ClaimRequest("telegram", update_id, chat_id, text or "[non-text]", services.clock.now())
        )
        claim = intake.claim
        key = f"reply:telegram:{update_id}"
        if claim == "taken_over" and await asyncio.to_thread(services.outbox.has_key, key):
            claim = "handled"
        if claim in ("handled", "in_flight"):
            services.metrics.inbound_duplicates.labels(channel="telegram").inc()
            logger.info("telegram update %s: duplicate (%s)", update_id, claim.replace("_", " "))
            return False
        services.metrics.messages_in.labels(channel="telegram").inc()
        if text:
            reply = await services.answerer.answer(Inbound("telegram", chat_id, command_text(text)))
            answer, intent = reply.text, reply.intent
        else:
            answer, intent = PLEASE_SEND_TEXT, "non_text"
        services.metrics.replies.labels(channel="telegram", intent=intent).inc()
        # They are writing to us: a block is lifted with the reply, in the same transaction.
        _, queued, _ = await services.commit.submit_all(
            Unblocked("telegram", chat_id),
            ReplyRow(key, "telegram", chat_id, answer, services.clock.now()),
            Handled("telegram", update_id, services.clock.now()),
        )
        logger.info("telegram chat %s: intent %s, reply queued", mask_address("telegram", chat_id), intent)
        return queued

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's handler in polling mode: answer, then send at once."""
        if isinstance(update, Update) and await self.process(update):
            await dispatch_soon(self.services, f"telegram update {update.update_id}")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a handler failure without the update, which may carry personal data."""
        logger.error("telegram handler failed: %r", context.error, exc_info=context.error)


def file_url(api_url: str) -> str | None:
    """The Bot API file URL that goes with ``api_url`` (``…/bot`` → ``…/file/bot``), if it can be derived."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("bot")] + "file/bot"
    return None


def bot_requests() -> tuple[HTTPXRequest, HTTPXRequest]:
    """PTB's default requests (256 connections for calls, 1 for getUpdates) sharing one TLS context.

    Each httpx client otherwise loads the certificate bundle into a TLS context of its own: 1.4 MB each,
    four of them in `jxjy serve` (the application's two and the gateway's two).
    """
    tls = {"verify": httpx.create_ssl_context()}
    return (
        HTTPXRequest(connection_pool_size=256, httpx_kwargs=tls),
        HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls),
    )


def uses_webhook(settings: Settings) -> bool:
    """Telegram updates come by webhook exactly when a webhook secret is configured."""
    return bool(settings.telegram_webhook_secret)


def build_application(settings: Settings, channel: TelegramChannel) -> TelegramApp:
    """Build the PTB Application: polling via its Updater, or (webhook secret set) without one."""
    if not settings.telegram_token:
        raise ValueError(
            "Telegram is not configured: set JXJY_TELEGRAM_TOKEN to the bot token from @BotFather"
        )
    # Reminders are scheduled by our own scheduler, not PTB's JobQueue.
    request, get_updates = bot_requests()
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .request(request)
        .get_updates_request(get_updates)
        .base_url(settings.telegram_api_url)
        .job_queue(None)
    )
    files = file_url(settings.telegram_api_url)
    if files:
        builder = builder.base_file_url(files)
    if uses_webhook(settings):
        builder = builder.updater(None)
    application: TelegramApp = builder.build()
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(channel.on_error)
    return application


@contextlib.asynccontextmanager
async def running(
    application: TelegramApp,
    *,
    webhook_url: str | None = None,
    secret_token: str | None = None,
    poll_timeout: float = 10.0,
) -> AsyncIterator[TelegramApp]:
    """Initialize and start ``application`` (long polling when it has an Updater); stop it on exit.

    With ``webhook_url`` the webhook is registered with Telegram at start; otherwise it is assumed to be set
    already (for example by a deployment script), and updates arrive through ``feed_update``.
    """
    await application.initialize()
    try:
        if webhook_url:
            await application.bot.set_webhook(
                webhook_url, secret_token=secret_token, allowed_updates=[Update.MESSAGE]
            )
        await application.start()
        if application.updater is not None:
            await application.updater.start_polling(
                timeout=dt.timedelta(seconds=poll_timeout), allowed_updates=[Update.MESSAGE]
            )
            logger.info("telegram: long polling %s", application.bot.username)
        else:
            logger.info("telegram: webhook mode for %s", application.bot.username)
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()


async def supervise(
    application: TelegramApp,
    stop: asyncio.Event,
    *,
    webhook_url: str | None = None,
    secret_token: str | None = None,
    poll_timeout: float = 10.0,
    retry_cap: float = 60.0,
    tried: asyncio.Event | None = None,
) -> None:
    """Keep ``application`` running until ``stop`` is set; a Bot API that does not answer is retried.

    One unreachable channel must not take the service down: the HTTP app and the other channels keep
    serving while this retries with backoff (1 s, 2 s, ... up to ``retry_cap``). A refused token stops it.
    ``tried`` is set once the first attempt has succeeded or failed.
    """
    tried = tried or asyncio.Event()
    delay = 1.0
    while not stop.is_set():
        try:
            async with running(
                application, webhook_url=webhook_url, secret_token=secret_token, poll_timeout=poll_timeout
            ):
                tried.set()
                await stop.wait()
                return
        except error.InvalidToken:
            logger.error("telegram: the Bot API refuses JXJY_TELEGRAM_TOKEN; Telegram stays off")
            return
        except (error.TelegramError, OSError) as exc:
            logger.warning("telegram: Bot API unreachable at start (%s); retrying in %.0f s", exc, delay)
        finally:
            tried.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, retry_cap)


def read_update(application: TelegramApp, data: dict[str, Any]) -> Update:
    """Read one webhook Update (decoded JSON); raise ValueError if malformed."""
    if not isinstance(data.get("update_id"), int):
        raise ValueError('not a Telegram Update: "update_id" must be an integer')
    try:
        return Update.de_json(data, application.bot)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a Telegram Update: {exc!r}") from exc
