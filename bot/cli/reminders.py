"""`jxjy reminders`: plan, run and broadcast. Only typer and the standard library load at import time."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from bot.cli.common import NowOption

if TYPE_CHECKING:
    from bot.app import Runtime

app = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="提醒：预览、发送、群发。")
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
    from reminders.ownership import DispatcherBusyError
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


# Outbox states as staff read them.
STATUS_NAMES = {
    "queued": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "失败",
    "parked": "多次失败已搁置",
    "cancelled": "已取消",
}


def _setup_logging() -> None:
    # The summary says what happened; per-message lines and migration chatter stay off the terminal.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def summary_text(planned: int, enqueued: int, summary: Any) -> str:
    """A `reminders run` in one Chinese line: what was due, queued, sent, and anything unusual."""
    line = f"本次提醒：应发 {planned} 条，新加入发送队列 {enqueued} 条；已发出 {summary.sent} 条"
    extras = (
        ("retried", "稍后重试 {} 条"),
        ("failed", "发送失败 {} 条"),
        ("parked", "多次失败已搁置 {} 条（待人工处理）"),
        ("deferred", "推迟 {} 条（静默时段或每个号码的条数上限）"),
        ("cancelled", "取消 {} 条（已退订或已不需要）"),
        ("recovered", "接续上次中断的 {} 条"),
        ("expired", "过期作废 {} 条（没能在有效期内发出）"),
        ("rerouted", "微信或 Telegram 送不到、改发短信 {} 条"),
    )
    for name, text in extras:
        count = getattr(summary, name)
        if count:
            line += "，" + text.format(count)
    return line


def write_json_array(items: Iterable[Any], out: TextIO) -> None:
    """Write a JSON array, one item per line: readable, and encoded by the C encoder (``indent`` is not)."""
    out.write("[")
    separator = "\n"
    for item in items:
        out.write(separator + json.dumps(item, ensure_ascii=False))
        separator = ",\n"
    out.write("\n]\n")


@app.command()
def plan(
    now: NowOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="以 JSON 数组输出（格式见 CONTRACTS.md）。")
    ] = False,
) -> None:
    """预览：在 --now 这个时刻运行会发哪些提醒（不入队、不发送）。"""
    from reminders.service import plan as plan_at

    rt = _runtime(now)
    planned = plan_at(rt.engine(), rt.campaign, rt.clock.now(), rt.quiet_hours())
    if as_json:
        write_json_array((r.to_json() for r in planned), sys.stdout)
        return
    for r in planned:
        typer.echo(f"{r.send_at:%Y-%m-%d %H:%M} {r.channel:8} #{r.trainee_id} {','.join(r.kinds)}: {r.text}")
    typer.echo(f"共 {len(planned)} 条")


@app.command()
def run(now: NowOption = None) -> None:
    """计算、入队并发送到期的提醒，最后打印中文小结。"""
    from reminders.service import enqueue_due

    _setup_logging()
    rt = _runtime(now)
    planned, enqueued = enqueue_due(rt.engine(), rt.campaign, rt.clock.now(), rt.quiet_hours())
    summary = _dispatch(rt)
    typer.echo(summary_text(planned, enqueued, summary))


@app.command("broadcast")
def broadcast_command(
    segment: Annotated[
        str,
        typer.Option(
            "--segment",
            help="发给谁：all（全部）、not_registered（未报名）、unconfirmed（未资格确认）、unpaid（未缴费）、"
            "not_qualified（未合格）、post:<岗位> 或 employer:<单位>。",
        ),
    ],
    text: Annotated[str, typer.Option("--text", help="短信内容，原样发送。")],
    broadcast_id: Annotated[
        str | None,
        typer.Option("--id", help="群发编号；同一编号不会重复发送（默认按对象和内容生成）。"),
    ] = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help="是否立即发送到期的消息。")] = True,
    now: NowOption = None,
) -> None:
    """群发：给一类学员各发一条（经发送队列，尊重退订和夜间静默时段）。"""
    import datetime as dt

    from reminders.policy import PlanError, Segment
    from reminders.service import broadcast

    _setup_logging()
    try:
        parsed = Segment.parse(segment)
    except PlanError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    if not text.strip():
        typer.echo("错误：--text 不能为空", err=True)
        raise typer.Exit(2)
    ident = broadcast_id or hashlib.sha256(f"{segment}\n{text}".encode()).hexdigest()[:12]
    rt = _runtime(now)
    hours = rt.settings.broadcast_valid_hours
    try:
        recipients, enqueued = broadcast(
            rt.engine(),
            rt.campaign,
            rt.clock.now(),
            rt.quiet_hours(),
            broadcast_id=ident,
            segment=parsed,
            text=text,
            valid_for=dt.timedelta(hours=hours) if hours else None,
            created_by=f"cli:{getpass.getuser()}",
        )
    except PlanError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"群发 {ident}：共 {recipients} 人，新加入发送队列 {enqueued} 条")
    if send:
        summary = _dispatch(rt)
        typer.echo(f"已发出 {summary.sent} 条，稍后重试 {summary.retried} 条，推迟 {summary.deferred} 条")


@app.command()
def status() -> None:
    """发送队列里各状态的条数。"""
    from reminders.outbox import SqlOutbox

    for name, count in sorted(SqlOutbox(_runtime(None).engine()).counts().items()):
        typer.echo(f"{STATUS_NAMES.get(name, name)}（{name}）：{count}")


@app.command()
def failed(limit: Annotated[int, typer.Option("--limit", help="最多列出几条，最新的在前。")] = 50) -> None:
    """列出发送失败、多次失败已搁置或未送达的消息，以及短信平台给出的原因。"""
    from bot.kernel.personal_data import mask_address
    from reminders.failures import failures as find_failures

    failures = find_failures(_runtime(None).engine(), limit)
    for f in failures:
        state = STATUS_NAMES.get(f.status, f.status) if f.status != "sent" else "未送达"
        who = mask_address(f.channel, f.address)
        typer.echo(f"#{f.id} {f.channel} {who} {f.kinds or '-'} {state}：{f.reason or '-'}")
    if not failures:
        typer.echo("没有发送失败的消息。")
