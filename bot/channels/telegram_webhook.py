"""The Telegram webhook route, without python-telegram-bot: `jxjy serve` imports PTB only when Telegram is on.

The route is always there (a request without the channel configured gets a 404 saying what is missing);
the channel itself (``bot.channels.telegram``, PTB and httpx, about 7 MB) is loaded with the Application
that a token starts.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import sys
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from bot.channels.common import BACKGROUND, SERVICES, BadRequest, Refused, json_object
from bot.channels.telegram_update import read_private_message

logger = logging.getLogger(__name__)

# The running python-telegram-bot Application (typed in bot.channels.telegram as TelegramApp).
TELEGRAM: web.AppKey[Any] = web.AppKey("telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"


async def telegram_webhook(request: web.Request) -> web.Response:
    """Answer a Telegram Update before saying 200 (the reply is queued); 403 without the configured secret."""
    services = request.app[SERVICES]
    secret = services.settings.telegram_webhook_secret
    if secret and not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
        logger.warning("telegram webhook refused: wrong or missing %s", SECRET_HEADER)
        raise Refused(403, f"wrong or missing {SECRET_HEADER}")
    if request.app.get(TELEGRAM) is None or not secret:
        raise Refused(
            404, "Telegram webhook is off: needs JXJY_TELEGRAM_TOKEN and JXJY_TELEGRAM_WEBHOOK_SECRET"
        )
    data = json_object(await request.read())
    try:
        message = read_private_message(data)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    from bot.channels.telegram import TelegramChannel  # loaded already: the Application needs it

    if await TelegramChannel(services).process(message):
        services.wake_dispatcher(request.app[BACKGROUND])
    return web.json_response({"ok": True})


@contextlib.contextmanager
def passport_left_out() -> Iterator[None]:
    """Import python-telegram-bot within this block without the cryptography package (6 MB of memory).

    PTB loads cryptography for Telegram Passport, which the bot never uses, and works without it: it
    imports it under ``try ... except ImportError``. So the package is hidden while PTB loads; it loads
    later (ledger.crypto) only if an ID number is sealed. Nothing is hidden once it is loaded already.
    """
    hide = "cryptography" not in sys.modules
    if hide:
        sys.modules["cryptography"] = None  # type: ignore[assignment]  # import gives ImportError
    try:
        yield
    finally:
        if hide and sys.modules.get("cryptography", "") is None:
            del sys.modules["cryptography"]


def add_routes(app: web.Application, application: object | None) -> None:
    """Route the webhook; ``application`` (PTB's, started elsewhere) reads the updates."""
    if application is not None:
        app[TELEGRAM] = application
    app.router.add_post(WEBHOOK_PATH, telegram_webhook)
