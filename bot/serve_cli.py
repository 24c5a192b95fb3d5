"""`jxjy serve`: the HTTP endpoints, Telegram and the reminder scheduler in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

import typer

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", help="Port to listen on.")]


def serve(host: HostOption = "127.0.0.1", port: PortOption = 8080) -> None:
    """Run the service: HTTP endpoints, Telegram (when a token is set), reminders on schedule."""
    from aiohttp import web

    from bot.app import Runtime
    from bot.http import ServerServices, engine_health
    from bot.inbound import SqlInboundStore
    from bot.server import run
    from reminders.dispatcher import limits_from_settings
    from reminders.gateways import close_gateways, gateways_from_settings
    from reminders.outbox import SqlOutbox
    from reminders.scheduler import ReminderScheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs each Bot API URL, which contains the bot token; telegram's debug lines carry message text.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    runtime = Runtime.create()
    engine = runtime.engine()
    outbox = SqlOutbox(engine)
    gateways = gateways_from_settings(runtime.settings)
    scheduler = ReminderScheduler(
        engine,
        runtime.campaign,
        runtime.clock,
        runtime.quiet_hours(),
        gateways,
        limits_from_settings(runtime.settings),
    )

    def on_delivery_status(message_id: str, status: str, error: str | None) -> None:
        if not outbox.record_receipt(message_id, status):
            logging.getLogger(__name__).info("receipt for unknown message %s: %s", message_id, status)

    # SMS replies are queued in the outbox and sent by the scheduler's dispatcher, at once.
    services = ServerServices(
        settings=runtime.settings,
        responder=runtime.brain(log_messages=True),
        health=engine_health(engine),
        inbound_store=SqlInboundStore(engine, runtime.clock),
        outbox=outbox,
        dispatch_soon=scheduler.dispatch_now,
        clock=runtime.clock,
        on_delivery_status=on_delivery_status,
    )

    async def reminders_ctx(app: web.Application) -> AsyncIterator[None]:
        scheduler.start()
        yield
        scheduler.shutdown()
        await close_gateways(gateways)

    run(services, host=host, port=port, background=[reminders_ctx])
