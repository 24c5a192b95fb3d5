"""`jxjy reminders`: plan, run and broadcast. Only typer and the standard library load at import time."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import NowOption

if TYPE_CHECKING:
    from bot.app import Runtime

app = typer.Typer(no_args_is_help=True, help="Reminders: plan, send, broadcast.")
log = logging.getLogger(__name__)


def _runtime(now: str | None) -> Runtime:
    """The composition root for a command; a bad --now, campaign file or quiet hours exits 2."""
    from bot.cli.common import engine_or_exit, runtime_or_exit
    from reminders.policy import PlanError

    runtime = runtime_or_exit(now)
    engine_or_exit(runtime)
    try:
        runtime.quiet_hours()
    except PlanError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    return runtime


def _dispatch(runtime: Runtime) -> Any:
    """Send what is due now through the configured gateways; exit 1 if another dispatcher holds SQLite."""
    import asyncio

    from reminders.gateways import GatewayError, close_gateways
    from reminders.outbox import DispatcherBusyError
    from reminders.service import dispatch

    try:
        gateways = runtime.gateways()
    except GatewayError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc

    async def go() -> Any:
        try:
            limits = runtime.dispatch_limits()
            return await dispatch(runtime.engine(), gateways, runtime.clock, runtime.quiet_hours(), limits)
        finally:
            await close_gateways(gateways)

    try:
        return asyncio.run(go())
    except DispatcherBusyError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(1) from exc


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def plan(
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON array, as in CONTRACTS.md.")] = False,
) -> None:
    """Show the reminders a run at --now would send (nothing is queued or sent)."""
    from reminders.service import plan as plan_at

    rt = _runtime(now)
    planned = plan_at(rt.engine(), rt.campaign, rt.clock.now(), rt.quiet_hours())
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in planned], ensure_ascii=False, indent=2))
        return
    for r in planned:
        typer.echo(f"{r.send_at:%Y-%m-%d %H:%M} {r.channel:8} #{r.trainee_id} {','.join(r.kinds)}: {r.text}")
    typer.echo(f"共 {len(planned)} 条")


@app.command()
def run(now: NowOption = None) -> None:
    """Plan, enqueue and send what is due; print a summary."""
    from reminders.service import enqueue_due

    _setup_logging()
    rt = _runtime(now)
    planned, enqueued = enqueue_due(rt.engine(), rt.campaign, rt.clock.now(), rt.quiet_hours())
    summary = _dispatch(rt)
    typer.echo(
        f"planned {planned}, enqueued {enqueued}, sent {summary.sent}, retried {summary.retried}, "
        f"failed {summary.failed}, parked {summary.parked}, deferred {summary.deferred}, "
        f"cancelled {summary.cancelled}, recovered {summary.recovered}"
    )


@app.command("broadcast")
def broadcast_command(
    segment: Annotated[
        str,
        typer.Option(
            "--segment",
            help="all, not_registered, unconfirmed, unpaid, not_qualified, post:<岗位> or employer:<单位>",
        ),
    ],
    text: Annotated[str, typer.Option("--text", help="The message, sent as written.")],
    broadcast_id: Annotated[
        str | None,
        typer.Option("--id", help="Broadcast id; the same id never sends twice (default: from text)."),
    ] = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help="Send what is due right away.")] = True,
    now: NowOption = None,
) -> None:
    """Send one message to every trainee of a segment, through the outbox (opt-outs and quiet hours apply)."""
    from reminders.policy import PlanError, Segment
    from reminders.service import broadcast

    _setup_logging()
    try:
        parsed = Segment.parse(segment)
    except PlanError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    if not text.strip():
        typer.echo("错误：--text is empty", err=True)
        raise typer.Exit(2)
    ident = broadcast_id or hashlib.sha256(f"{segment}\n{text}".encode()).hexdigest()[:12]
    rt = _runtime(now)
    try:
        recipients, enqueued = broadcast(
            rt.engine(),
            rt.campaign,
            rt.clock.now(),
            rt.quiet_hours(),
            broadcast_id=ident,
            segment=parsed,
            text=text,
            created_by=f"cli:{getpass.getuser()}",
        )
    except PlanError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"broadcast {ident}: {recipients} recipient(s), {enqueued} newly queued")
    if send:
        summary = _dispatch(rt)
        typer.echo(f"sent {summary.sent}, retried {summary.retried}, deferred {summary.deferred}")


@app.command()
def status() -> None:
    """Count outbox messages by status."""
    from reminders.outbox import SqlOutbox

    for name, count in sorted(SqlOutbox(_runtime(None).engine()).counts().items()):
        typer.echo(f"{name:10} {count}")
