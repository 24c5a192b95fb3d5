"""`jxjy ledger ...`: import, export (附件3), status, who is behind, key rotation, unanswered questions.

Only typer and the standard library are imported here; the database, Excel and rich load inside commands.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import NowOption, RuntimeCache

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.app import Runtime
    from bot.kernel.settings import Settings
    from ledger.crypto import IdVault
    from ledger.import_report import ImportReport
    from ledger.reading import ReadAhead

app = typer.Typer(
    rich_markup_mode=None, no_args_is_help=True, help="学员台账：导入、导出附件3、统计、谁还没完成。"
)

EXIT_UNREADABLE = 2
log = logging.getLogger(__name__)


def _say(line: str, err: bool = False) -> None:
    from bot.kernel.personal_data import mask_personal_data

    typer.echo(mask_personal_data(line), err=err)


_RUNTIME = RuntimeCache()


@app.callback()
def _fresh_runtime() -> None:
    _RUNTIME.reset()


def _runtime(now: str | None = None) -> Runtime:
    """The one composition root (bot.app.Runtime), built once per command."""
    return _RUNTIME.get(now)


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


# `jxjy ledger import`'s options that take a value (the file is the first argument that is none of them).
_VALUED = ("--report",)


def read_ahead(args: list[str]) -> ReadAhead | None:
    """When ``args`` (the command line after `jxjy`) import a workbook, start reading it now (ReadAhead), so
    that it is parsed while the command line and the database libraries load; otherwise None. Reads
    nothing the command would not: it takes the file only if it is the same (``_import_file`` checks)."""
    if args[:2] != ["ledger", "import"] or "--help" in args:
        return None
    rest = iter(args[2:])
    for arg in rest:
        if arg in _VALUED:
            next(rest, None)
        elif not arg.startswith("-"):
            from ledger.reading import ReadAhead

            return ReadAhead(arg)
    return None


def _import_file(
    file: Path, dry_run: bool, accept_decreases: bool, allow_duplicates: bool, early: ReadAhead | None
) -> ImportReport:
    """Import ``file`` as `jxjy ledger import` does (``early``: the file as read since the start, if it is
    this one); its report."""
    from ledger.reading import ReadAhead

    # the workbook is parsed while what follows loads and opens the database
    reading = early if early is not None and early.path == file else ReadAhead(file)
    from ledger.importer import import_ledger
    from ledger.locks import LockBusyError
    from ledger.reading import LedgerFileError
    from ledger.rotation import key_use

    settings, engine, vault = _open()
    campaign = _campaign(settings)  # the campaign of today: next year's import keeps this year's records
    bar, progress = _progress_bar()
    try:
        if bar is not None:
            bar.start()
        with key_use(engine):
            return import_ledger(
                engine,
                vault,
                reading,
                campaign.facts.posts,
                _runtime().clock.now(),
                dry_run=dry_run,
                accept_decreases=accept_decreases,
                allow_duplicates=allow_duplicates,
                progress=progress,
                campaign=campaign.campaign.id,
            )
    except LedgerFileError as exc:
        _say(f"错误：{exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from exc
    except LockBusyError as exc:
        _say(f"错误：{exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        if bar is not None:
            bar.stop()
        engine.dispose()


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="台账文件：.xlsx、.xls 或 .csv（UTF-8 或 GBK）。")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示将会怎样改，不写入。")] = False,
    accept_decreases: Annotated[
        bool,
        typer.Option("--accept-decreases", help="学时比已存的少时也按文件保存（默认保留原值并列出）。"),
    ] = False,
    allow_duplicates: Annotated[
        bool,
        typer.Option(
            "--allow-duplicates", help="身份证号是新的、但姓名和手机号与已有学员相同的行，也作为新学员导入。"
        ),
    ] = False,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="把导入报告另存到这个文本文件。")
    ] = None,
) -> None:
    """导入台账：按身份证号新增或更新；空白单元格不会清掉已存的数据；拒绝的行列出行号、列、内容和改法。"""
    # The cyclic collector stays off, as import_ledger keeps it (a ledger is many small objects, no cycles),
    # from the start: the file is read while the database libraries load.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from ledger.reading import ReadAhead

        early = ctx.find_object(ReadAhead)
        report = _import_file(file, dry_run, accept_decreases, allow_duplicates, early)
    finally:
        if collecting:
            gc.enable()
    from bot.kernel.personal_data import mask_personal_data

    lines = [mask_personal_data(line) for line in report.lines()]
    for line in lines:
        typer.echo(line)
    if report_file is not None:
        report_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _has_key(settings: Settings) -> bool:
    return bool(settings.secret_key) or (settings.data_dir / "secret.key").is_file()


def _audit(settings: Settings, action: str, **details: object) -> Path:
    """Append one line to the data dir's audit log (who did what, when) and return its path."""
    import datetime as dt
    import getpass
    import json

    path = settings.ensure_data_dir() / "audit.log"
    entry: dict[str, object] = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    entry |= {"user": getpass.getuser(), "action": action, **details}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    log.info("%s: %s", action, details)
    return path


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="导出到：.xlsx（可直接打印的附件3）或 .csv。")],
    employer: Annotated[
        str | None, typer.Option("--employer", help="只导出这个在岗单位的学员，并作为表头的填报单位。")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="表头的填报单位（默认：--employer 的单位，否则留空手填）。")
    ] = None,
    full_ids: Annotated[
        bool,
        typer.Option(
            "--full-ids",
            help="写入完整的身份证号和手机号（交培训点的那份）；须有密钥，每次都记入数据目录的 audit.log。",
        ),
    ] = False,
    now: NowOption = None,
) -> None:
    """导出汇总表（附件3）：标题、填报单位、日期、合计，A4横向打印；身份证号和手机号默认打码。"""
    from knowledge.status import HoursRules
    from ledger.crypto import KeyMismatchError
    from ledger.exporter import ExportError, SummaryHead, export_summary, full_id_numbers

    runtime = _runtime(now)
    today = runtime.clock.now().date()
    if full_ids and not _has_key(runtime.settings):
        _say(
            "错误：--full-ids 需要解密身份证号的密钥（JXJY_SECRET_KEY 或数据目录中的 secret.key），现在没有：未导出",
            err=True,
        )
        raise typer.Exit(1)
    settings, engine, vault = _open()
    rules = HoursRules.from_campaign(_campaign(settings))
    head = SummaryHead(unit if unit is not None else employer or "", today)
    try:
        records = [r for r in _store(engine, vault).records() if not employer or r.employer == employer]
        id_numbers = full_id_numbers(engine, vault, runtime.campaign.campaign.id) if full_ids else None
        count = export_summary(records, rules, file, head=head, id_numbers=id_numbers)
    except KeyMismatchError as exc:
        _say("错误：密钥与数据库中加密身份证号所用的不一致（检查 JXJY_SECRET_KEY）：未导出", err=True)
        raise typer.Exit(1) from exc
    except ExportError as exc:
        _say(f"错误：{exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if full_ids:
        audit = _audit(settings, "ledger export --full-ids", file=str(file.resolve()), trainees=count)
        typer.echo(f"注意：文件中是完整的身份证号和手机号，请妥善保管；本次导出已记入 {audit}", err=True)
    typer.echo(
        f"已导出 {count} 人到 {file}"
        + ("（身份证号、手机号完整）" if full_ids else "（身份证号、手机号已打码）")
    )


@app.command()
def status() -> None:
    """按状态、岗位、在岗单位统计人数。"""
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
            help="只看还差这一步的人。可填：报名 资格确认 缴费 线上学时 线下证明 审核，"
            "或英文 register confirm pay study_online upload_proof audit",
        ),
    ] = None,
    employer: Annotated[str | None, typer.Option("--employer", help="只看这个在岗单位。")] = None,
    post: Annotated[str | None, typer.Option("--post", help="只看这个岗位。")] = None,
    show_phone: Annotated[
        bool, typer.Option("--show-phone", help="显示完整手机号，方便打电话（身份证号仍打码）。")
    ] = False,
) -> None:
    """谁还没合格、各还差什么（身份证号打码；手机号默认打码）。"""
    from knowledge.status import HoursRules
    from ledger.report import behind, behind_table, parse_step

    try:
        wanted = parse_step(step) if step else None
    except ValueError as exc:
        _say(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    settings, engine, vault = _open()
    rules = HoursRules.from_campaign(_campaign(settings))
    try:
        rows = behind(_store(engine, vault).records(), rules, step=wanted, employer=employer, post=post)
    finally:
        engine.dispose()
    from rich.console import Console

    Console().print(behind_table(rows, show_phone=show_phone))


@app.command("rotate-key")
def rotate_key(
    new_key: Annotated[str, typer.Option("--new-key", help="新的密钥。", prompt="新的密钥", hide_input=True)],
) -> None:
    """换密钥：用新密钥重新加密所有身份证号（一个事务内完成，失败则不改动）。"""
    from ledger.crypto import IdVault, KeyMismatchError
    from ledger.locks import LockBusyError
    from ledger.rotation import replace_key_file
    from ledger.rotation import rotate_key as rotate

    settings, engine, vault = _open()
    try:
        with replace_key_file(settings, new_key) as commit_key_file:
            count = rotate(engine, vault, IdVault(new_key), then=commit_key_file)
    except (KeyMismatchError, ValueError, LockBusyError) as exc:
        _say(f"错误：{exc}（未做任何修改）", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    _say(f"re-encrypted {count} trainees（已用新密钥重新加密 {count} 人）")
    if settings.secret_key:
        _say("请把环境变量 JXJY_SECRET_KEY 改为新密钥，再重启服务。")


@app.command()
def unanswered(
    limit: Annotated[int, typer.Option("--limit", min=1, help="最多显示多少条。")] = 50,
) -> None:
    """助手没听懂、或通知里没有答案的问题，最新的在前，供工作人员跟进。"""
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
    table.add_column("时间", no_wrap=True, min_width=16)
    for column in ("渠道", "地址", "类型"):
        table.add_column(column, overflow="fold")
    table.add_column("内容", overflow="fold", ratio=2)
    kinds = {"nlu_fallback": "没听懂", "ask_not_in_notice": "通知未说明"}
    for message in messages:
        at = message.at.astimezone(_runtime().clock.tz).strftime("%Y-%m-%d %H:%M")
        kind = kinds.get(message.intent or "", message.intent or "")
        table.add_row(
            at, message.channel, mask_personal_data(message.address), kind, mask_personal_data(message.text)
        )
    Console().print(table)
