"""`jxjy ledger ...`: import, export, status, key rotation and the questions the bot could not answer.

Only typer and the standard library are imported here; the database, Excel and rich load inside commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import RuntimeCache

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.app import Runtime
    from bot.kernel.settings import Settings
    from ledger.crypto import IdVault

app = typer.Typer(no_args_is_help=True, help="The trainee ledger (台账): import, export, status.")

EXIT_UNREADABLE = 2


def _say(line: str, err: bool = False) -> None:
    from bot.kernel.personal_data import mask_personal_data

    typer.echo(mask_personal_data(line), err=err)


_RUNTIME = RuntimeCache()


@app.callback()
def _fresh_runtime() -> None:
    _RUNTIME.reset()


def _runtime() -> Runtime:
    """The one composition root (bot.app.Runtime), built once per command."""
    return _RUNTIME.get()


def _open() -> tuple[Settings, Engine, IdVault]:
    from bot.cli.common import engine_or_exit

    runtime = _runtime()
    return runtime.settings, engine_or_exit(runtime), runtime.id_vault()


def _campaign(settings: Settings) -> Any:
    return _runtime().campaign


def _store(engine: Engine, vault: IdVault) -> Any:
    """The ledger of the campaign of today."""
    from ledger.store import SQLAlchemyLedgerStore

    return SQLAlchemyLedgerStore(engine, vault, campaign=_runtime().campaign.campaign.id)


def _progress_bar() -> tuple[Any, Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("导入台账", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Ledger as .csv (UTF-8 or GBK) or .xlsx.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
) -> None:
    """Load a ledger file: upsert by ID number; rejected rows are listed with row, column and reason."""
    from ledger.importer import import_ledger
    from ledger.reading import LedgerFileError

    settings, engine, vault = _open()
    campaign = _campaign(settings)  # the campaign of today: next year's import keeps this year's records
    bar, progress = _progress_bar()
    try:
        if bar is not None:
            bar.start()
        report = import_ledger(
            engine,
            vault,
            file,
            campaign.facts.posts,
            _runtime().clock.now(),
            dry_run=dry_run,
            progress=progress,
            campaign=campaign.campaign.id,
        )
    except LedgerFileError as exc:
        _say(f"错误：{exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from exc
    finally:
        if bar is not None:
            bar.stop()
        engine.dispose()
    prefix = "（试运行，未写入）" if dry_run else ""
    _say(
        f"{prefix}inserted {report.inserted}, updated {report.updated}, unchanged {report.unchanged}, "
        f"rejected {report.rejected}（新增 {report.inserted}，更新 {report.updated}，"
        f"未变 {report.unchanged}，拒绝 {report.rejected}）"
    )
    for error in report.errors:
        _say(str(error))
    for warning in report.warnings:
        _say(f"注意：{warning}")


@app.command()
def export(file: Annotated[Path, typer.Argument(help="Where to write: .xlsx or .csv.")]) -> None:
    """Write the summary table (附件3 汇总表) with ID numbers masked."""
    from knowledge.status import HoursRules
    from ledger.exporter import ExportError, export_summary

    settings, engine, vault = _open()
    rules = HoursRules.from_campaign(_campaign(settings))
    try:
        count = export_summary(_store(engine, vault).records(), rules, file)
    except ExportError as exc:
        _say(f"错误：{exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    _say(f"exported {count} trainees to {file}（已导出 {count} 人）")


@app.command()
def status() -> None:
    """Counts by status, by post and by employer."""
    from knowledge.status import HoursRules
    from ledger.report import status_tables

    settings, engine, vault = _open()
    rules = HoursRules.from_campaign(_campaign(settings))
    try:
        records = list(_store(engine, vault).records())
    finally:
        engine.dispose()
    from rich.console import Console

    console = Console()
    for table in status_tables(records, rules):
        console.print(table)


@app.command("behind")
def behind_command(
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            help="Only who still lacks this: register, confirm, pay, study_online, upload_proof, audit.",
        ),
    ] = None,
    employer: Annotated[str | None, typer.Option("--employer", help="Only this employer (在岗单位).")] = None,
    post: Annotated[str | None, typer.Option("--post", help="Only this post (岗位).")] = None,
) -> None:
    """Who is not yet qualified, and what each still lacks (IDs and phones masked)."""
    from knowledge.status import HoursRules, Step
    from ledger.report import behind, behind_table

    try:
        wanted = Step(step) if step else None
    except ValueError as exc:
        _say(f"错误：--step 应为 {', '.join(s.value for s in Step)} 之一", err=True)
        raise typer.Exit(2) from exc
    settings, engine, vault = _open()
    rules = HoursRules.from_campaign(_campaign(settings))
    try:
        rows = behind(_store(engine, vault).records(), rules, step=wanted, employer=employer, post=post)
    finally:
        engine.dispose()
    from rich.console import Console

    Console().print(behind_table(rows))


@app.command("rotate-key")
def rotate_key(
    new_key: Annotated[
        str, typer.Option("--new-key", help="The new secret key.", prompt=True, hide_input=True)
    ],
) -> None:
    """Re-encrypt every ID number and recompute its lookup hash under a new key, in one transaction."""
    from ledger.crypto import IdVault, KeyMismatchError
    from ledger.rotation import replace_key_file
    from ledger.rotation import rotate_key as rotate

    settings, engine, vault = _open()
    try:
        with replace_key_file(settings, new_key) as commit_key_file:
            count = rotate(engine, vault, IdVault(new_key))
            commit_key_file()
    except (KeyMismatchError, ValueError) as exc:
        _say(f"错误：{exc}（未做任何修改）", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    _say(f"re-encrypted {count} trainees（已用新密钥重新加密 {count} 人）")
    if settings.secret_key:
        _say("请把环境变量 JXJY_SECRET_KEY 改为新密钥，再重启服务。")


@app.command()
def unanswered(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many messages to show.")] = 50,
) -> None:
    """Messages the bot did not understand or the notice does not answer, newest first, for staff to follow up."""
    from rich.console import Console
    from rich.table import Table

    from bot.kernel.personal_data import mask_personal_data
    from ledger.store import SQLAlchemyLedgerStore

    _, engine, vault = _open()
    try:
        messages = SQLAlchemyLedgerStore(engine, vault).unanswered(limit)
    finally:
        engine.dispose()
    table = Table(title=f"未能回答的问题（最近 {len(messages)} 条）")
    for column in ("时间", "渠道", "地址", "类型", "内容"):
        table.add_column(column)
    kinds = {"nlu_fallback": "没听懂", "ask_not_in_notice": "通知未说明"}
    for message in messages:
        at = message.at.astimezone(_runtime().clock.tz).strftime("%Y-%m-%d %H:%M")
        kind = kinds.get(message.intent or "", message.intent or "")
        table.add_row(
            at, message.channel, mask_personal_data(message.address), kind, mask_personal_data(message.text)
        )
    Console().print(table)
