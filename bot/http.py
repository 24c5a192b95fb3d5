"""The HTTP app of `jxjy serve`: it only routes; each channel's endpoints live in its own module."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import Engine, text

from bot.channels import sms_aliyun, sms_http, sms_tencent, telegram_webhook, wechat
from bot.channels.common import BACKGROUND, SERVICES, BackgroundTasks, HealthCheck, ServerServices
from bot.channels.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramApp

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 5.0
DRAIN_TIMEOUT = 10.0


def engine_health(engine: Engine) -> HealthCheck:
    """A health check that asks the database ``SELECT 1``."""

    def check() -> bool:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True

    return check


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    check = request.app[SERVICES].health
    try:
        healthy = await asyncio.wait_for(asyncio.to_thread(check), HEALTH_TIMEOUT)
    except Exception as exc:
        logger.warning("health check failed: %s", type(exc).__name__)
        healthy = False
    if healthy:
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable", "error": "the database does not answer"}, status=503)


async def metrics(request: web.Request) -> web.Response:
    """The counters in the Prometheus text format."""
    body = request.app[SERVICES].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


@web.middleware
async def count_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count every response with status >= 400 by route (not raw path, to bound the label values)."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    errors = request.app[SERVICES].metrics.http_errors
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            errors.labels(route=route, status=str(exc.status)).inc()
        raise
    except Exception:
        errors.labels(route=route, status="500").inc()
        raise
    if response.status >= 400:
        errors.labels(route=route, status=str(response.status)).inc()
    return response


async def _background_ctx(app: web.Application) -> AsyncIterator[None]:
    app[BACKGROUND] = BackgroundTasks()
    yield
    await app[BACKGROUND].join(DRAIN_TIMEOUT)
    app[SERVICES].answerer.close()


def build_app(services: ServerServices, *, telegram_app: TelegramApp | None = None) -> web.Application:
    """The aiohttp application; ``telegram_app`` (already started elsewhere) receives webhook updates."""
    app = web.Application(middlewares=[count_errors])
    app[SERVICES] = services
    app.cleanup_ctx.append(_background_ctx)
    telegram_webhook.add_routes(app, telegram_app)
    wechat.add_routes(app, services)
    sms_http.add_routes(app)
    sms_aliyun.add_routes(app)
    sms_tencent.add_routes(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for install in services.extra_routes:  # the staff console, when the composition root adds it
        install(app)
    return app
