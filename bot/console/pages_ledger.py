"""Import a ledger file (upload, dry-run preview, confirm) and export the summary table (附件3)."""

from __future__ import annotations

import dataclasses
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.console.accounts import AccountError
from bot.console.pages_overview import download
from bot.console.web import ConsoleServices, client_address, in_thread, render, services, staff
from bot.kernel.personal_data import mask_personal_data
from knowledge.status import HoursRules

SUFFIXES = (".csv", ".xlsx", ".xls")
UPLOAD_TTL = 24 * 3600  # seconds a previewed upload is kept for its confirmation
SHOWN = 500  # report lines shown per list; the rest are counted
# Known report fields; any other the importer adds is shown under its own name.
REPORT_LABELS = {
    "rows": "总行数",
    "inserted": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "rejected": "拒绝",
    "errors": "被拒绝的行（行号、列、原因）",
    "warnings": "注意",
    "unknown_columns": "未识别的列（已忽略）",
    "blank_rows": "跳过的空行",
}
OPTIONS = ("accept_decreases", "allow_duplicates")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
NO_KEY = "本服务的密钥（JXJY_SECRET_KEY 或数据目录中的 secret.key）与数据库中加密身份证号所用的不一致，解不开身份证号"


def report_view(report: Any) -> dict[str, list[Any]]:
    """The import report as counts, plus its own lines (as `jxjy ledger import` prints them) when it has
    them, else every list it holds; so a richer report shows without changes here."""
    text: list[str] = []
    if callable(getattr(report, "lines", None)):
        text = [mask_personal_data(str(line)) for line in report.lines()][: SHOWN * 4]
    values: dict[str, Any] = {}
    if dataclasses.is_dataclass(report):
        values = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    else:
        values = dict(vars(report))
    if "rows" not in values and isinstance(getattr(report, "rows", None), int):
        values = {"rows": report.rows, **values}
    counts, lists = [], []
    for name, value in values.items():
        if name.startswith("_") or isinstance(value, bool):
            continue
        label = REPORT_LABELS.get(name, name)
        if isinstance(value, int | float):
            counts.append((label, value))
        elif text:
            continue  # the report's own lines already say it
        elif isinstance(value, list | tuple | set | frozenset) and value:
            items = [str(item) for item in value]
            lists.append((label, items[:SHOWN], max(0, len(items) - SHOWN)))
        elif isinstance(value, dict) and value:
            lists.append((label, [f"{k}: {v}" for k, v in list(value.items())[:SHOWN]], 0))
        elif isinstance(value, str) and value:
            lists.append((label, [value], 0))
    return {"counts": counts, "lists": lists, "text": text}


async def import_page(request: web.Request) -> web.Response:
    return render(request, "import.html", title="导入导出", stage="upload", error="")


def _upload_path(console: ConsoleServices, token: str, suffix: str) -> Path:
    return console.work_dir / f"upload-{token}{suffix}"


async def upload(request: web.Request) -> web.Response:
    """Keep the uploaded file and show what importing it would do (nothing is written yet)."""
    console = services(request)
    form = await request.post()
    field = form.get("file")
    if not isinstance(field, web.FileField) or not field.filename:
        return render(
            request,
            "import.html",
            title="导入导出",
            stage="upload",
            error="请选择要导入的 CSV 或 XLSX 文件。",
        )
    suffix = Path(field.filename).suffix.lower()
    if suffix not in SUFFIXES:
        error = f"文件 {field.filename} 不是 .xlsx、.xls 或 .csv；请在 Excel 中“另存为”其中一种格式。"
        return render(request, "import.html", title="导入导出", stage="upload", error=error)
    await in_thread(_forget_old_uploads, console.work_dir)
    token = secrets.token_urlsafe(18)
    path = _upload_path(console, token, suffix)
    await in_thread(path.write_bytes, field.file.read())
    return await _run(request, console, path, field.filename, token, dry_run=True, options=_options(form))


def _forget_old_uploads(folder: Path) -> None:
    """Delete previews nobody confirmed within a day (they hold personal data)."""
    cutoff = time.time() - UPLOAD_TTL
    for path in folder.glob("upload-*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


async def confirm(request: web.Request) -> web.Response:
    """Import the file previewed before, for real."""
    console = services(request)
    form = await request.post()
    token, suffix, name = (
        str(form.get("token", "")),
        str(form.get("suffix", "")),
        str(form.get("filename", "")),
    )
    path = _upload_path(console, token, suffix)
    if not _TOKEN.fullmatch(token) or suffix not in SUFFIXES or not path.exists():
        error = "预览已失效（文件不在了），请重新上传。"
        return render(request, "import.html", title="导入导出", stage="upload", error=error)
    try:
        return await _run(request, console, path, name, token, dry_run=False, options=_options(form))
    finally:
        path.unlink(missing_ok=True)


def _options(form: Any) -> dict[str, bool]:
    """The importer's choices ticked on the form (keep lower hours, skip suspected duplicates by default)."""
    return {name: form.get(name) == "1" for name in OPTIONS}


async def _run(
    request: web.Request,
    console: ConsoleServices,
    path: Path,
    name: str,
    token: str,
    *,
    dry_run: bool,
    options: dict[str, bool],
) -> web.Response:
    from ledger.importer import import_ledger
    from ledger.reading import LedgerFileError

    campaign = console.current()
    try:
        report = await in_thread(
            import_ledger,
            console.engine,
            console.vault,
            path,
            campaign.facts.posts,
            console.clock.now(),
            dry_run=dry_run,
            campaign=campaign.campaign.id,
            **{key: True for key, ticked in options.items() if ticked},
        )
    except LedgerFileError as exc:
        path.unlink(missing_ok=True)
        return render(request, "import.html", title="导入导出", stage="upload", error=f"无法读取文件：{exc}")
    view = report_view(report)
    if not dry_run:
        console.caches.ledger_changed()
        summary = "，".join(f"{label} {value}" for label, value in view["counts"])
        await in_thread(console.audit.record, staff(request).name, "import", f"导入台账 {name}：{summary}")
    return render(
        request,
        "import.html",
        title="导入导出",
        stage="preview" if dry_run else "done",
        error="",
        view=view,
        token=token,
        suffix=path.suffix,
        filename=name,
        options=options,
    )


async def export_summary_file(request: web.Request) -> web.Response:
    """附件3 汇总表 of the whole ledger, as XLSX (or CSV)."""
    console = services(request)
    suffix = ".csv" if request.query.get("fmt") == "csv" else ".xlsx"
    path, count = await in_thread(_write_summary, console, suffix)
    await in_thread(
        console.audit.record, staff(request).name, "export", f"导出附件3汇总表（{count} 人，{suffix}）"
    )
    return download(path, f"附件3汇总表{suffix}")


async def export_full_ids(request: web.Request) -> web.Response:
    """附件3 with the full ID and phone numbers (the copy the training point needs), as
    `jxjy ledger export --full-ids`: refused unless the service's key opens the stored ID numbers, and
    every export is in the audit log. The staff member types their password again first."""
    from ledger.crypto import KeyMismatchError

    console = services(request)
    form = await request.post()
    who = staff(request).name
    suffix = ".csv" if form.get("fmt") == "csv" else ".xlsx"
    password = str(form.get("password", ""))
    try:
        await in_thread(console.accounts.authenticate, who, password, client_address(request))
    except AccountError as exc:
        reason = str(exc).replace("用户名或密码不正确", "密码不正确")
        return _refused(request, f"{reason}：请再输入您本人的登录密码")
    try:
        path, count = await in_thread(_write_summary, console, suffix, True)
    except KeyMismatchError:
        await in_thread(console.audit.record, who, "export", "导出附件3完整身份证号版：密钥不符，未导出")
        return _refused(request, NO_KEY)
    detail = f"导出附件3汇总表（完整身份证号和手机号，{count} 人，{suffix}）"
    await in_thread(console.audit.record, who, "export", detail)
    return download(path, f"附件3汇总表（完整身份证号）{suffix}")


def _refused(request: web.Request, reason: str) -> web.Response:
    error = f"完整身份证号版未导出：{reason}。"
    return render(
        request, "import.html", status=403, title="导入导出", stage="upload", error=error, full_ids_open=True
    )


def _write_summary(console: ConsoleServices, suffix: str, full_ids: bool = False) -> tuple[Path, int]:
    from ledger.exporter import export_summary, full_id_numbers
    from ledger.store import SQLAlchemyLedgerStore

    campaign = console.current()
    rules = HoursRules.from_campaign(campaign)
    # Decrypted before any file exists: with the wrong key, nothing is written.
    ids = full_id_numbers(console.engine, console.vault, campaign.campaign.id) if full_ids else None
    target = Path(tempfile.mkstemp(dir=console.work_dir, suffix=suffix)[1])
    records = SQLAlchemyLedgerStore(
        console.engine, console.vault, console.clock, campaign.campaign.id
    ).records()
    try:
        return target, export_summary(records, rules, target, id_numbers=ids)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def add_routes(app: web.Application) -> None:
    app.router.add_get("/import", import_page)
    app.router.add_post("/import", upload)
    app.router.add_post("/import/confirm", confirm)
    app.router.add_get("/export/summary", export_summary_file)
    app.router.add_post("/export/summary-full", export_full_ids)
