"""Broadcasts: compose for a segment, preview (counts, sample text, SMS parts), send now or later, cancel, report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
from functools import partial
from typing import Any

from aiohttp import web

from bot.console.web import ConsoleServices, back, in_thread, render, services, staff
from bot.kernel.personal_data import mask_address
from reminders.audience import CHANNELS, OUTCOME_LABELS, PLACEHOLDERS, STATUS_LABELS, Audience, AudienceError
from reminders.broadcasts import (
    OUTCOMES,
    cancel_broadcast,
    delivery_report,
    delivery_rows,
    get_broadcast,
    list_broadcasts,
    preview,
    send_broadcast,
)
from reminders.policy import PlanError
from reminders.templates import SMS_LIMIT

_IDENT = re.compile(r"[\w-]{1,40}")


def _ident(request: web.Request) -> str:
    ident = request.match_info["broadcast_id"]
    if not _IDENT.fullmatch(ident):
        raise web.HTTPNotFound()
    return ident


class FormError(ValueError):
    """A composer field that cannot be used; the message names it."""


def audience_from_form(form: Any) -> Audience:
    """The audience the composer's fields describe."""
    statuses = tuple(s for s in form.getall("status", []) if isinstance(s, str) and s)
    hours_text = str(form.get("hours_below", "")).strip()
    hours = None
    if hours_text:
        try:
            hours = float(hours_text)
        except ValueError as exc:
            raise FormError(f"“总学时低于”填的是 {hours_text!r}，应为数字，例如 20") from exc
    try:
        return Audience(
            statuses=statuses,
            post=str(form.get("post", "")).strip() or None,
            employer=str(form.get("employer", "")).strip() or None,
            hours_below=hours,
            channel=str(form.get("channel", "")).strip() or None,
        )
    except AudienceError as exc:
        raise FormError(str(exc)) from exc


def send_time(form: Any, console: ConsoleServices) -> dt.datetime | None:
    """The chosen sending time (local), or None for now."""
    text = str(form.get("send_at", "")).strip()
    if not text or form.get("when") != "later":
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=console.current().tz)
    except ValueError as exc:
        raise FormError(f"发送时间 {text!r} 看不懂，请用日期时间选择器，例如 2023-11-27 09:00") from exc


def _composer(request: web.Request, console: ConsoleServices, **extra: Any) -> dict[str, Any]:
    return {
        "title": "群发",
        "status_labels": STATUS_LABELS,
        "channels": CHANNELS,
        "posts": console.current().facts.posts,
        "placeholders": PLACEHOLDERS,
        "sms_limit": SMS_LIMIT,
        "form": {},
        "chosen": (),
        "error": "",
        "pv": None,
        **extra,
    }


async def broadcasts(request: web.Request) -> web.Response:
    console = services(request)
    recent = await in_thread(list_broadcasts, console.engine, 30)
    return render(request, "broadcasts.html", recent=recent, **_composer(request, console))


async def compose(request: web.Request) -> web.Response:
    """Preview the composed broadcast, or send it (action=send)."""
    console = services(request)
    form = await request.post()
    text = str(form.get("text", "")).strip()
    fields = {
        k: str(form.get(k, "")) for k in ("post", "employer", "hours_below", "channel", "send_at", "when")
    }
    fields["text"] = text
    chosen = tuple(form.getall("status", []))
    recent = await in_thread(list_broadcasts, console.engine, 30)
    context = _composer(request, console, form=fields, chosen=chosen, recent=recent)
    try:
        audience = audience_from_form(form)
        at = send_time(form, console)
        if form.get("action") == "send":
            return await _send(request, console, audience, text, at)
        context["pv"] = await in_thread(preview, console.engine, console.current(), audience, text)
        context["audience"] = audience.describe()
    except (FormError, PlanError) as exc:
        context["error"] = str(exc)
        return render(request, "broadcasts.html", status=400, **context)
    return render(request, "broadcasts.html", **context)


async def _send(
    request: web.Request, console: ConsoleServices, audience: Audience, text: str, at: dt.datetime | None
) -> web.Response:
    now = console.clock.now()
    ident = now.astimezone(console.current().tz).strftime("%Y%m%d%H%M") + "-" + secrets.token_hex(3)
    who = staff(request).name
    recipients, queued = await in_thread(
        send_broadcast,
        console.engine,
        console.current(),
        now,
        console.quiet,
        broadcast_id=ident,
        audience=audience,
        text=text,
        created_by=who,
        send_at=at,
    )
    when = f"，定时 {at:%Y-%m-%d %H:%M}" if at else ""
    detail = f"群发 {ident} 给 {audience.describe()}：{recipients} 人{when}。内容：{text}"
    await in_thread(console.audit.record, who, "broadcast", detail)
    if console.dispatch_soon is not None and at is None:
        await console.dispatch_soon()
    raise back(f"/broadcasts/{ident}", f"已排入发送队列：{queued} 条")


async def report(request: web.Request) -> web.Response:
    console = services(request)
    ident = _ident(request)
    record = await in_thread(get_broadcast, console.engine, ident)
    if record is None:
        return render(request, "error.html", status=404, message="没有这次群发。", title="群发")
    read = partial(delivery_report, console.engine, ident, console.clock.now())
    result = await in_thread(console.caches.reports.get, ident, read)
    return render(
        request,
        "broadcast.html",
        title="群发报告",
        b=record,
        report=result,
        outcomes=OUTCOMES,
        outcome_labels=OUTCOME_LABELS,
        channels=CHANNELS,
        report_ttl=console.caches.reports.ttl,
    )


async def cancel(request: web.Request) -> web.Response:
    console = services(request)
    ident = _ident(request)
    who = staff(request).name
    count = await in_thread(cancel_broadcast, console.engine, ident, who, console.clock.now())
    console.caches.reports.forget(ident)
    await in_thread(console.audit.record, who, "cancel", f"取消群发 {ident}：{count} 条未发出的已取消")
    raise back(f"/broadcasts/{ident}", f"已取消 {count} 条未发出的消息")


async def export(request: web.Request) -> web.Response:
    """Every recipient's outcome as CSV (UTF-8 with BOM, for Excel)."""
    console = services(request)
    ident = _ident(request)
    rows = await in_thread(delivery_rows, console.engine, ident, console.clock.now())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身份证号", "渠道", "地址", "结果", "原因", "发送时间"])
    for row in rows:
        sent = (
            row["sent_at"].astimezone(console.current().tz).strftime("%Y-%m-%d %H:%M")
            if row["sent_at"]
            else ""
        )
        writer.writerow(
            [
                row["name"],
                row["id_masked"],
                CHANNELS.get(row["channel"], row["channel"]),
                mask_address(row["channel"], row["address"]),
                OUTCOME_LABELS[row["outcome"]],
                row["last_error"] or "",
                sent,
            ]
        )
    await in_thread(
        console.audit.record, staff(request).name, "export", f"导出群发 {ident} 的送达报告（{len(rows)} 条）"
    )
    response = web.Response(body=("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="broadcast-{ident}.csv"'
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/broadcasts", broadcasts)
    app.router.add_post("/broadcasts", compose)
    app.router.add_get("/broadcasts/{broadcast_id}", report)
    app.router.add_post("/broadcasts/{broadcast_id}/cancel", cancel)
    app.router.add_get("/broadcasts/{broadcast_id}/export", export)
