"""Dashboard, the trainee list (search, export) and a trainee's page."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.console import queries
from bot.console.queries import TraineeFilter
from bot.console.summary import LedgerSummary, current_summary
from bot.console.web import ConsoleServices, in_thread, render, services, staff
from bot.kernel.personal_data import mask_address, mask_phone
from knowledge.campaign import Campaign
from knowledge.status import HoursRules, TraineeRecord, assess
from ledger.report import STEP_LABELS
from reminders.audience import STAGES
from reminders.policy import QuietHours, Reminder, plan_reminders

PLAN_DAYS = 14
KIND_LABELS = {
    "registration": "报名",
    "confirmation_window": "资格确认",
    "payment_due": "缴费",
    "hours_shortfall": "学时",
    "deadline": "截止",
    "reply": "回复",
}
OUTBOX_LABELS = {
    "queued": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "失败",
    "parked": "已搁置",
}
OUTBOX_LABELS |= {"cancelled": "已取消"}


def page_number(request: web.Request) -> int:
    """The ``page`` query parameter (1 when absent or not a number)."""
    text = request.query.get("page", "1")
    return max(1, int(text)) if text.isdigit() else 1


async def dashboard(request: web.Request) -> web.Response:
    console = services(request)
    campaign, now = console.current(), console.clock.now()
    # The two scans run side by side (each on its own pooled connection) when neither is cached.
    glance = partial(queries.outbox_glance, console.engine, campaign, now)
    summary, outbox = await asyncio.gather(
        in_thread(ledger_summary, console),
        in_thread(console.caches.outbox.get, campaign.campaign.id, glance),
    )
    board = await in_thread(queries.dashboard, console.engine, campaign, now, summary, outbox)
    peak = max([count for _, count in board.hours] + [1])
    return render(
        request,
        "dashboard.html",
        board=board,
        stages=STAGES,
        peak=peak,
        title="仪表盘",
        outbox_ttl=console.caches.outbox.ttl,
    )


def ledger_summary(console: ConsoleServices) -> LedgerSummary:
    """The campaign's ledger by stage and hours, counted again only when it changed (``current_summary``)."""
    return current_summary(console.caches.summaries, console.engine, console.current())


async def trainees(request: web.Request) -> web.Response:
    console = services(request)
    flt = TraineeFilter.from_query(request.query, console.vault.lookup_hash)
    page = page_number(request)
    known = None
    if flt.by_stage_only:
        summary, employers = await asyncio.gather(in_thread(ledger_summary, console), _employers(console))
        known = flt.total_in(summary)
    else:
        employers = await _employers(console)
    rows, total = await in_thread(queries.search, console.engine, console.current(), flt, page, known)
    return render(
        request,
        "trainees.html",
        title="学员",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // queries.PER_PAGE)),
        flt=flt,
        query=urlencode(flt.as_query()),
        posts=console.current().facts.posts,
        employers=employers,
        stages=STAGES,
        mask_phone=mask_phone,
    )


def warm_caches(console: ConsoleServices) -> None:
    """Count the ledger and read the employers into the caches (at start-up, before anyone asks)."""
    campaign = console.current()
    ledger_summary(console)
    console.caches.employers.get(campaign.campaign.id, partial(queries.employers, console.engine, campaign))


async def _employers(console: ConsoleServices) -> list[str]:
    """The employers to suggest, read at most every few minutes (grouping 100,000 rows takes a while)."""
    campaign = console.current()
    read = partial(queries.employers, console.engine, campaign)
    return await in_thread(console.caches.employers.get, campaign.campaign.id, read)  # type: ignore[no-any-return]


async def export_list(request: web.Request) -> web.StreamResponse:
    """The filtered list in the summary table's columns, as CSV or XLSX (ID numbers masked)."""
    console = services(request)
    flt = TraineeFilter.from_query(request.query, console.vault.lookup_hash)
    suffix = ".xlsx" if request.query.get("fmt") == "xlsx" else ".csv"
    path, count = await in_thread(_write_list, console, flt, suffix)
    await in_thread(
        console.audit.record, staff(request).name, "export", f"导出学员名单 {count} 人（{_describe(flt)}）"
    )
    return download(path, f"学员名单{suffix}")


def _describe(flt: TraineeFilter) -> str:
    parts = [f"{k}={v}" for k, v in flt.as_query().items()]
    return "，".join(parts) or "全部"


def _write_list(console: ConsoleServices, flt: TraineeFilter, suffix: str) -> tuple[Path, int]:
    from ledger.exporter import export_summary

    rules = HoursRules.from_campaign(console.current())
    target = Path(tempfile.mkstemp(dir=console.work_dir, suffix=suffix)[1])
    count = export_summary(queries.matching_records(console.engine, console.current(), flt), rules, target)
    return target, count


def download(path: Path, filename: str) -> web.Response:
    """Send a file written for this request as an attachment, and delete it."""
    from urllib.parse import quote

    try:
        body = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    response = web.Response(body=body, content_type="application/octet-stream")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def planned_reminders(
    record: TraineeRecord,
    campaign: Campaign,
    now: dt.datetime,
    quiet: QuietHours,
    used: set[str],
    telegram: str | None,
    wechat: str | None = None,
) -> list[Reminder]:
    """The reminders this trainee would get over the next two weeks if nothing changed, one run a day."""
    sent = {record.trainee_id: set(used)}
    chats = {record.trainee_id: telegram} if telegram else {}
    openids = {record.trainee_id: wechat} if wechat else {}
    local = now.astimezone(campaign.tz)
    planned: list[Reminder] = []
    for offset in range(PLAN_DAYS):
        at = (
            local if offset == 0 else (local + dt.timedelta(days=offset)).replace(hour=10, minute=0, second=0)
        )
        for reminder in plan_reminders(
            [record], campaign, at, sent=sent, telegram=chats, wechat=openids, quiet=quiet
        ):
            if reminder.send_at.date() not in {r.send_at.date() for r in planned}:
                planned.append(reminder)
                sent[record.trainee_id].update(reminder.keys)
    return planned


async def trainee(request: web.Request) -> web.Response:
    console = services(request)
    try:
        trainee_id = int(request.match_info["trainee_id"])
    except ValueError as exc:
        raise web.HTTPNotFound() from exc
    detail = await in_thread(queries.trainee_detail, console.engine, trainee_id)
    if detail is None:
        return render(request, "error.html", status=404, message="没有这位学员。", title="学员")
    record: TraineeRecord = detail["record"]
    rules = HoursRules.from_campaign(console.current())
    assessment = assess(record, rules)
    now = console.clock.now()
    planned = planned_reminders(
        record,
        console.current(),
        now,
        console.quiet,
        detail["used_keys"],
        detail["telegram"],
        detail["wechat"],
    )
    steps = [
        ("报名", record.registered),
        ("资格确认", record.confirmed),
        ("缴费", record.paid),
        ("学时", assessment.hours_done),
        ("培训点审核", record.audited),
    ]
    return render(
        request,
        "trainee.html",
        title=record.name,
        r=record,
        a=assessment,
        steps=steps,
        step_labels=STEP_LABELS,
        planned=planned,
        kind_labels=KIND_LABELS,
        outbox_labels=OUTBOX_LABELS,
        mask_phone=mask_phone,
        mask_address=mask_address,
        rules=rules,
        **{k: detail[k] for k in ("bindings", "messages", "outbox")},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard)
    app.router.add_get("/trainees", trainees)
    app.router.add_get("/trainees/export", export_list)
    app.router.add_get("/trainees/{trainee_id}", trainee)
