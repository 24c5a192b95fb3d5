"""`jxjy reminders`: plan, run and broadcast. Only typer and the standard library load at import time."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bot.settings import Settings
    from reminders.policy import QuietHours

app = typer.Typer(no_args_is_help=True, help="Reminders: plan, send, broadcast.")
log = logging.getLogger(__name__)

NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Behave as at this ISO-8601 moment, e.g. 2023-11-24T10:00:00+08:00"),
]


class _Context:
    """What every command needs, built once from the environment (the CLI's composition root)."""

    def __init__(self, now: str | None) -> None:
        from zoneinfo import ZoneInfo

        from bot.clock import parse_now
        from bot.settings import Settings
        from knowledge.campaign import DEFAULT_CAMPAIGN, CampaignError, load_campaign
        from ledger.db import open_database
        from reminders.policy import PlanError, QuietHours

        self.settings: Settings = Settings()
        try:
            self.clock = parse_now(now)
            self.campaign = load_campaign(self.settings.campaign_file or DEFAULT_CAMPAIGN)
            self.quiet: QuietHours = QuietHours.parse(
                self.settings.quiet_start, self.settings.quiet_end, ZoneInfo(self.settings.timezone)
            )
        except (ValueError, CampaignError, PlanError) as exc:
            typer.echo(f"错误：{exc}", err=True)
            raise typer.Exit(2) from exc
        self.engine = open_database(self.settings)

    def dispatch(self) -> Any:
        import asyncio

        from reminders.dispatcher import limits_from_settings
        from reminders.gateways import GatewayError, close_gateways, gateways_from_settings
        from reminders.outbox import DispatcherBusyError
        from reminders.service import dispatch

        try:
            gateways = gateways_from_settings(self.settings)
        except GatewayError as exc:
            typer.echo(f"错误：{exc}", err=True)
            raise typer.Exit(2) from exc

        async def go() -> Any:
            try:
                limits = limits_from_settings(self.settings)
                return await dispatch(self.engine, gateways, self.clock, self.quiet, limits)
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

    ctx = _Context(now)
    planned = plan_at(ctx.engine, ctx.campaign, ctx.clock.now(), ctx.quiet)
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
    ctx = _Context(now)
    planned, enqueued = enqueue_due(ctx.engine, ctx.campaign, ctx.clock.now(), ctx.quiet)
    summary = ctx.dispatch()
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
    ctx = _Context(now)
    try:
        recipients, enqueued = broadcast(
            ctx.engine,
            ctx.campaign,
            ctx.clock.now(),
            ctx.quiet,
            broadcast_id=ident,
            segment=parsed,
            text=text,
        )
    except PlanError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"broadcast {ident}: {recipients} recipient(s), {enqueued} newly queued")
    if send:
        summary = ctx.dispatch()
        typer.echo(f"sent {summary.sent}, retried {summary.retried}, deferred {summary.deferred}")


@app.command()
def status() -> None:
    """Count outbox messages by status."""
    from reminders.outbox import SqlOutbox

    ctx = _Context(None)
    for name, count in sorted(SqlOutbox(ctx.engine).counts().items()):
        typer.echo(f"{name:10} {count}")
