"""The Telegram channel: a python-telegram-bot Application answering private text messages via the brain."""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

import telegram
from aiohttp import web
from telegram import Update, error
from telegram.constants import MessageLimit
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.common import SERVICES, AsyncResponder, BadRequest, Refused, json_object
from bot.channels.metrics import ServiceMetrics
from bot.kernel.messages import Inbound
from bot.kernel.personal_data import mask_address
from bot.kernel.settings import Settings
from reminders.gateways import OutboundMessage, SendResult

logger = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
TELEGRAM = web.AppKey("telegram", TelegramApp)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

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
        self._metrics.messages_in.labels(channel="telegram").inc()
        reply = await self._responder.answer(Inbound("telegram", str(chat.id), text))
        for part in split_text(reply.text):
            await message.reply_text(part)
        self._metrics.replies.labels(channel="telegram", intent=reply.intent).inc()
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


async def telegram_webhook(request: web.Request) -> web.Response:
    """Queue a Telegram Update for the PTB application; 403 without the configured secret."""
    secret = request.app[SERVICES].settings.telegram_webhook_secret
    if secret and not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
        logger.warning("telegram webhook refused: wrong or missing %s", SECRET_HEADER)
        raise Refused(403, f"wrong or missing {SECRET_HEADER}")
    application = request.app.get(TELEGRAM)
    if application is None or not secret:
        raise Refused(
            404, "Telegram webhook is off: needs JXJY_TELEGRAM_TOKEN and JXJY_TELEGRAM_WEBHOOK_SECRET"
        )
    data = json_object(await request.read())
    try:
        await feed_update(application, data)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return web.json_response({"ok": True})


def add_routes(app: web.Application, application: TelegramApp | None) -> None:
    """Route the webhook; ``application`` (started elsewhere) receives the updates."""
    if application is not None:
        app[TELEGRAM] = application
    app.router.add_post("/telegram/webhook", telegram_webhook)


class TelegramGateway:
    """Send through the Bot API (``sendMessage``) at ``JXJY_TELEGRAM_API_URL``."""

    def __init__(self, token: str, base_url: str) -> None:
        self._token = token
        self._base_url = base_url
        self._bot: telegram.Bot | None = None

    async def _client(self) -> telegram.Bot:
        if self._bot is None:
            bot = telegram.Bot(self._token, base_url=self._base_url)
            await bot.initialize()
            self._bot = bot
        return self._bot

    async def aclose(self) -> None:
        """Shut the Bot's HTTP client down."""
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None

    async def send(self, msg: OutboundMessage) -> SendResult:
        who = mask_address("telegram", msg.to)
        try:
            bot = await self._client()
            sent = await bot.send_message(chat_id=msg.to, text=msg.text)
        except error.RetryAfter as exc:
            logger.warning("telegram to %s (%s): rate limited for %s", who, msg.id, exc.retry_after)
            return SendResult.failed(f"rate limited, retry after {exc.retry_after}", retryable=True)
        except (error.Forbidden, error.BadRequest, error.InvalidToken) as exc:
            logger.warning("telegram to %s (%s): refused: %s", who, msg.id, exc.message)
            return SendResult.failed(f"refused: {exc.message}", retryable=False)
        except error.TelegramError as exc:  # TimedOut and NetworkError: transient
            logger.warning("telegram to %s (%s): %s", who, msg.id, exc.message)
            return SendResult.failed(f"network: {exc.message}", retryable=True)
        logger.info("telegram to %s sent as %s", who, msg.id)
        return SendResult.sent(provider_id=str(sent.message_id))
