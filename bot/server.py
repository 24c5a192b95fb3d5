"""`jxjy serve`: the HTTP app, Telegram and background work (scheduler, dispatcher) in one process."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import signal
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.channels.common import ServerServices
from bot.channels.telegram_webhook import WEBHOOK_PATH, passport_left_out
from bot.http import build_app

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080

# aiohttp's cleanup-context shape: start work, yield while the server runs, stop it after.
CleanupContext = Callable[[web.Application], AsyncIterator[None]]


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Log each request without its query string: push URLs carry the callback token, OpenIDs, signatures."""

    @property
    def enabled(self) -> bool:
        """Whether to log at all: `jxjy serve` keeps aiohttp.access at WARNING, so aiohttp skips the timing too."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %d %.0f ms", request.method, request.path, response.status, time * 1000)


def build_server_app(
    services: ServerServices,
    *,
    background: Sequence[CleanupContext] = (),
    telegram_webhook_url: str | None = None,
    poll_timeout: float = 10.0,
) -> web.Application:
    """The whole service as one aiohttp app: endpoints, Telegram (when a token is set), then ``background``.

    Each ``background`` item is an aiohttp cleanup context (an async generator taking the app): it starts
    its work before the first request and stops it, in reverse order, when the server shuts down.
    In webhook mode the webhook is registered with Telegram at start-up at ``telegram_webhook_url``, by
    default ``JXJY_PUBLIC_URL`` + ``/telegram/webhook`` (without either, it is assumed registered already);
    in polling mode it is removed. Telegram starts in the background: when its Bot API does not answer,
    the rest serves and Telegram is retried.
    """
    settings = services.settings
    if not settings.telegram_token:  # python-telegram-bot is not even imported
        logger.info("telegram: off (JXJY_TELEGRAM_TOKEN is not set)")
        app = build_app(services)
        app.cleanup_ctx.extend(background)
        return app
    with passport_left_out():
        from bot.channels.telegram import TelegramChannel, build_application, supervise, uses_webhook

    telegram = build_application(settings, TelegramChannel(services))
    if telegram_webhook_url is None and settings.public_url:
        telegram_webhook_url = settings.public_url + WEBHOOK_PATH
        if not uses_webhook(settings):
            logger.warning(
                "telegram: JXJY_PUBLIC_URL is set but not JXJY_TELEGRAM_WEBHOOK_SECRET: long polling"
            )
    app = build_app(services, telegram_app=telegram)
    secret = settings.telegram_webhook_secret if uses_webhook(settings) else None
    url = telegram_webhook_url if secret else None

    async def telegram_ctx(app: web.Application) -> AsyncIterator[None]:
        # In the background: a Bot API that does not answer is retried while everything else serves.
        stop, tried = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            supervise(
                telegram,
                stop,
                webhook_url=url,
                secret_token=secret,
                poll_timeout=poll_timeout,
                tried=tried,
            )
        )
        await tried.wait()  # the first attempt, whatever its outcome: usually Telegram is up before serving
        yield
        stop.set()
        await task

    app.cleanup_ctx.append(telegram_ctx)
    app.cleanup_ctx.extend(background)
    return app


async def serve(
    services: ServerServices,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    background: Sequence[CleanupContext] = (),
    telegram_webhook_url: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT (or ``stop`` is set), then shut down gracefully."""
    app = build_server_app(services, background=background, telegram_webhook_url=telegram_webhook_url)
    runner = web.AppRunner(app, handle_signals=False, access_log_class=PathOnlyAccessLogger)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        logger.info("serving on http://%s:%d", host, port)
        await stop.wait()
        logger.info("shutting down")
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        await runner.cleanup()


_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _compact_memory() -> None:
    """On glibc: two malloc arenas for all threads (not eight per core), start-up's freed memory returned.

    The service answers on a pool of threads; with an arena each, every one keeps its own freed memory.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def run(
    services: ServerServices,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    background: Sequence[CleanupContext] = (),
    telegram_webhook_url: str | None = None,
) -> None:
    """Run ``serve`` in a fresh event loop: the entry point for ``jxjy serve``."""
    # What start-up built (the NLU model, the campaign, the tables) lives as long as the process: keep it
    # out of the collector's full passes, which stop every thread, the event loop's too, while they run.
    gc.collect()
    gc.freeze()
    _compact_memory()
    main = serve(
        services, host=host, port=port, background=background, telegram_webhook_url=telegram_webhook_url
    )
    with asyncio.Runner(loop_factory=_fast_loop_factory()) as runner:
        runner.run(main)


def _fast_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (not on Windows): the same asyncio, a fifth less CPU."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
