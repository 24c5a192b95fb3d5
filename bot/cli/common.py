"""What every `jxjy` command shares: the composition root, built once, and its options."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.app import Runtime
    from knowledge.campaign import Campaign

EXIT_USAGE = 2

NowOption = Annotated[
    str | None,
    typer.Option(
        "--now", help="按这个时刻运行（ISO-8601），例如 2023-11-24T10:00:00+08:00；不给则用当前时间。"
    ),
]


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``错误：message`` on stderr and return the Exit to raise."""
    typer.echo(f"错误：{message}", err=True)
    return typer.Exit(code)


def runtime_or_exit(now: str | None) -> Runtime:
    """The composition root for a command; a bad --now or campaign file prints one line and exits 2."""
    from bot.app import Runtime
    from bot.terminal import announce_training
    from knowledge.campaign import CampaignError

    try:
        runtime = Runtime.create(now)
    except (ValueError, CampaignError) as exc:
        raise fail(str(exc)) from exc
    runtime.on_training = announce_training
    return runtime


def engine_or_exit(runtime: Runtime) -> Engine:
    """The runtime's database; a wrong JXJY_DATABASE_URL or a server that does not answer exits 2."""
    from bot.app import DatabaseUnavailable

    try:
        return runtime.engine()
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from exc


class RuntimeCache:
    """The runtime of the command being run: built on first use, shared for the rest of that command.

    A command group calls ``reset`` from its callback, so each invocation builds its own.
    """

    def __init__(self) -> None:
        self._runtime: Runtime | None = None

    def reset(self) -> None:
        """Forget the previous command's runtime."""
        self._runtime = None

    def get(self, now: str | None = None) -> Runtime:
        """The runtime, built now if this command has none yet."""
        if self._runtime is None:
            self._runtime = runtime_or_exit(now)
        return self._runtime


def mainland_sms_checks() -> list[Callable[[Campaign], list[str]]]:
    """`kb check`'s SMS template check, when an Aliyun/Tencent gateway or a templates file is configured."""
    from bot.channels.outbound import sms_templates
    from bot.channels.sms_check import check_sms_templates
    from bot.kernel.settings import Settings
    from reminders.gateways import GatewayError

    settings = Settings()
    if not settings.sms_templates and settings.sms_gateway.strip().lower() not in ("aliyun", "tencent"):
        return []
    try:
        templates = sms_templates(settings)
    except GatewayError as exc:
        problem = str(exc)
        return [lambda _campaign: [problem]]
    return [lambda campaign: check_sms_templates(templates, campaign)]
