"""The Telegram channel: a python-telegram-bot Application answering private text messages via the brain."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import Update
from telegram.constants import MessageLimit
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.inbound import AsyncResponder
from bot.messages import Inbound
from bot.metrics import ServiceMetrics
from bot.settings import Settings

logger = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]

# The commands Telegram clients offer, answered by the brain as if the user had typed these words.
COMMAND_TEXTS = {"start": "你好", "help": "帮助"}


class TelegramChannel:
    """Handlers that turn a Telegram text message into an Inbound and send back the brain's full answer."""

    def __init__(self, responder: AsyncResponder, metrics: ServiceMetrics) -> None:
        self._responder = responder
        self._metrics = metrics

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a plain text message."""
        message = update.effective_message
        if message is not None and message.text:
            await self._answer(update, message.text)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer /start and /help with the brain's greeting and help."""
        message = update.effective_message
        if message is None or not message.text:
            return
        command = message.text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower()
        await self._answer(update, COMMAND_TEXTS.get(command, "帮助"))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a handler failure without the update, which may carry personal data."""
        logger.error("telegram handler failed: %r", context.error, exc_info=context.error)

    async def _answer(self, update: Update, text: str) -> None:
        chat = update.effective_chat
        message = update.effective_message
        if chat is None or message is None:
            return
        self._metrics.messages_in.inc(channel="telegram")
        reply = await self._responder.answer(Inbound("telegram", str(chat.id), text))
        for part in split_text(reply.text):
            await message.reply_text(part)
        self._metrics.replies.inc(channel="telegram", intent=reply.intent)
        logger.info("telegram chat %s: intent %s (%.2f)", chat.id, reply.intent, reply.confidence)


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut ``text`` into Telegram-sized parts, at line breaks where possible."""
    parts: list[str] = []
    rest = text or "…"
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    parts.append(rest)
    return parts


def file_url(api_url: str) -> str | None:
    """The Bot API file URL that goes with ``api_url`` (``…/bot`` → ``…/file/bot``), if it can be derived."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("bot")] + "file/bot"
    return None


def uses_webhook(settings: Settings) -> bool:
    """Telegram updates come by webhook exactly when a webhook secret is configured."""
    return bool(settings.telegram_webhook_secret)


def build_application(settings: Settings, responder: AsyncResponder, metrics: ServiceMetrics) -> TelegramApp:
    """Build the PTB Application: polling via its Updater, or (webhook secret set) fed by our HTTP route."""
    if not settings.telegram_token:
        raise ValueError(
            "Telegram is not configured: set JXJY_TELEGRAM_TOKEN to the bot token from @BotFather"
        )
    # Reminders are scheduled by our own scheduler, not PTB's JobQueue.
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .job_queue(None)
    )
    files = file_url(settings.telegram_api_url)
    if files:
        builder = builder.base_file_url(files)
    if uses_webhook(settings):
        builder = builder.updater(None)
    application: TelegramApp = builder.build()
    channel = TelegramChannel(responder, metrics)
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(list(COMMAND_TEXTS), channel.on_command, filters=private))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, channel.on_text))
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


async def feed_update(application: TelegramApp, data: dict[str, Any]) -> Update:
    """Queue one webhook Update (decoded JSON) for the running application; raise ValueError if malformed."""
    if not isinstance(data.get("update_id"), int):
        raise ValueError('not a Telegram Update: "update_id" must be an integer')
    try:
        update = Update.de_json(data, application.bot)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a Telegram Update: {exc!r}") from exc
    await application.update_queue.put(update)
    return update
