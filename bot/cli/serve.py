"""`jxjy serve`: the HTTP endpoints, Telegram and the reminder scheduler in one process."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", help="Port to listen on.")]


def serve(host: HostOption = "127.0.0.1", port: PortOption = 8080) -> None:
    """Run the service: HTTP endpoints, Telegram (when a token is set), reminders on schedule."""
    from bot.app import build_service
    from bot.cli.common import engine_or_exit, runtime_or_exit
    from bot.server import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs each Bot API URL, which contains the bot token; telegram's debug lines carry message text.
    for noisy in ("httpx", "telegram", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    runtime = runtime_or_exit(None)
    engine_or_exit(runtime)
    services, background = build_service(runtime)
    run(services, host=host, port=port, background=background)
