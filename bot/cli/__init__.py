"""The `jxjy` command line (see CONTRACTS.md); heavy imports wait until a command needs them."""

from __future__ import annotations

import gc
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import NowOption, fail, runtime_or_exit

# Plain (click) help: rich's help tables cut long Chinese lines off with "…", click wraps them whole.
app = typer.Typer(
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    help="岳阳市施工现场专业人员继续教育助手：问答、台账、提醒。每个命令加 --help 看用法。",
)
kb_app = typer.Typer(
    rich_markup_mode=None, no_args_is_help=True, help="活动文件（把通知写成数据）：检查、起草。"
)
rasa_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="与 Rasa 互通。")
nlu_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="训练和评测语言理解模型。")
app.add_typer(kb_app, name="kb")
app.add_typer(rasa_app, name="rasa")
app.add_typer(nlu_app, name="nlu")

INTENT_EVAL_NOW = "2023-11-24T10:00:00+08:00"
UserOption = Annotated[str, typer.Option("--user", help="会话标识（上下文和绑定按它区分）。")]


def _setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def chat(user: UserOption = "terminal", now: NowOption = None) -> None:
    """在终端里对话（与各渠道同一个助手）；方向键可编辑、翻看输入过的话，输入“退出”结束。"""
    from bot.kernel.messages import Inbound
    from bot.terminal import GOODBYE, QUIT_WORDS, campaign_over_notice, enable_line_editing

    _setup_logging()
    runtime = runtime_or_exit(now)
    brain = runtime.brain(log_messages=True)
    enable_line_editing()
    typer.echo("继续教育助手：您好！请输入问题（输入“退出”或按 Ctrl-D 结束）。")
    if now is None:
        notice = campaign_over_notice(runtime.campaign, runtime.clock.now().date())
        if notice is not None:
            typer.echo(notice)
    while True:
        try:
            text = input("你：").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            break
        if text.casefold() in QUIT_WORDS:
            break
        if text:
            typer.echo("助手：" + brain.handle(Inbound("terminal", user, text)).text)
    typer.echo("助手：" + GOODBYE)


@app.command()
def ask(
    text: Annotated[str | None, typer.Argument(help="要回答的问题。")] = None,
    user: UserOption = "cli",
    now: NowOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出意图、置信度和回答。")] = False,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="从标准输入逐行读 JSON {user, text[, now]}，逐行输出。")
    ] = False,
) -> None:
    """回答一个问题；加 --jsonl 则回答标准输入里的每一行。"""
    from bot.kernel.messages import Inbound

    _setup_logging()
    if jsonl:
        from bot.jsonl import answer_stream

        runtime = runtime_or_exit(now)
        answer_stream(runtime.brain(), sys.stdin, sys.stdout, runtime.clock)
        return
    if text is None:
        typer.echo("错误：请给出要回答的问题，或使用 --jsonl。", err=True)
        raise typer.Exit(2)
    reply = runtime_or_exit(now).brain().handle(Inbound("cli", user, text))
    if as_json:
        out = {"user": user, "text": text, "intent": reply.intent, "confidence": reply.confidence}
        out["answer"] = reply.text
        typer.echo(json.dumps(out, ensure_ascii=False))
    else:
        typer.echo(reply.text)


@kb_app.command("check")
def kb_check(
    file: Annotated[Path | None, typer.Argument(help="活动文件 YAML（默认：内置的2023年文件）。")] = None,
) -> None:
    """检查活动文件：缺少的事实、过长的回答、失效的引用、短信模板。"""
    from bot.cli.common import mainland_sms_checks
    from knowledge.campaign import DEFAULT_CAMPAIGN
    from knowledge.check import check_campaign_file
    from nlu.campaign_check import check_detail_cues
    from reminders.templates import check_wording

    problems = check_campaign_file(
        file or DEFAULT_CAMPAIGN, [check_wording, check_detail_cues, *mainland_sms_checks()]
    )
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"共 {len(problems)} 个问题，请改好后再运行 jxjy kb check", err=True)
        raise typer.Exit(1)
    typer.echo("ok")


@kb_app.command("draft")
def kb_draft(
    notice: Annotated[Path, typer.Argument(help="新的通知：.txt、.docx 或 .pdf。")],
    base: Annotated[
        Path | None,
        typer.Option("--base", help="沿用哪个活动文件的措辞（默认：内置的那个）。"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="草稿写到哪里（默认：当前目录的 <id>.yaml）。")
    ] = None,
) -> None:
    """从新通知起草活动文件，并打印审阅报告。"""
    from knowledge.drafting.command import run_draft

    raise typer.Exit(run_draft(notice, base, out, typer.echo))


@rasa_app.command("export")
def rasa_export(directory: Annotated[Path, typer.Argument(help="Rasa 项目写到这个目录。")]) -> None:
    """导出 Rasa 3.6 项目（config、domain、nlu、rules），可直接 `rasa train`。"""
    from nlu.export import export_rasa_project
    from nlu.training_data import load_training_data

    campaign = runtime_or_exit(None).campaign  # the configured campaign file (JXJY_CAMPAIGN_FILE)
    written = export_rasa_project(directory, load_training_data(), campaign)
    for path in written:
        typer.echo(str(path))


@nlu_app.command("train")
def nlu_train() -> None:
    """现在训练语言理解模型并缓存到数据目录（部署时做；否则第一次使用时才训练）。"""
    import time

    from nlu.model import fingerprint, load_or_train
    from nlu.training_data import load_training_data

    runtime = runtime_or_exit(None)
    data = load_training_data()
    started = time.perf_counter()
    load_or_train(data, runtime.cache_dir)
    seconds = time.perf_counter() - started
    typer.echo(
        f"model {fingerprint(data)}: {len(data.examples)} examples, {len(data.intents)} intents, {seconds:.1f} s"
    )


@nlu_app.command("evaluate")
def nlu_evaluate(
    files: Annotated[list[Path], typer.Argument(help="带标注的 JSONL 文件。")],
    now: NowOption = None,
    errors: Annotated[bool, typer.Option("--errors", help="列出每个判错的句子。")] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report", help="给出 95% 置信区间、各类句子（错别字、繁体、方言……）的准确率和最常混淆的意图。"
        ),
    ] = False,
    answers: Annotated[
        bool,
        typer.Option(
            "--answers", help="按回答评分（问答集：开头、必含、不得含、通知未说明），而不是按意图。"
        ),
    ] = False,
) -> None:
    """在带标注的 JSON 行上测意图准确率（单句和多轮对话）；加 --answers 则给回答评分。"""
    from bot.cli.evaluation import answer_report, intent_report
    from nlu.answer_eval import DEFAULT_NOW, AnswerSetError

    if answers:
        try:
            scored = answer_report(runtime_or_exit(None), files, now or DEFAULT_NOW)
        except (AnswerSetError, OSError) as exc:
            raise fail(str(exc)) from exc
        typer.echo(scored.summary(errors=errors))
        return
    typer.echo(intent_report(runtime_or_exit(now or INTENT_EVAL_NOW), files, errors=errors, slices=report))


def main() -> None:
    """Entry point of the `jxjy` command: a database that cannot be opened is one line and exit 2; click's
    usage errors and help headings in Chinese."""
    from bot.cli.ledger import read_ahead

    # `jxjy ledger import BOOK.xlsx`: the workbook is parsed on a thread from here on, while the rest loads.
    reading = read_ahead(sys.argv[1:])
    if reading is not None:
        gc.disable()  # as the import command keeps it for its whole run (see there), from now on
    from bot.app import DatabaseUnavailable
    from bot.cli.chinese import run, use_chinese

    _register_subcommands()
    command = typer.main.get_command(app)
    use_chinese(command)
    try:
        run(command, obj=reading)
    except DatabaseUnavailable as exc:
        typer.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    finally:
        # The process ends now. The collector's last pass at exit would walk every object still alive (after
        # an import, the ledger's rows: 0.1-0.3 s at 100,000 rows) to find no garbage: frozen, they are left out.
        gc.freeze()


def _register_subcommands() -> None:
    from bot.cli.db import app as db_app
    from bot.cli.ledger import app as ledger_app
    from bot.cli.reminders import app as reminders_app
    from bot.cli.serve import serve
    from bot.cli.staff import app as staff_app

    app.add_typer(ledger_app, name="ledger", help="学员台账：导入、导出附件3、统计、谁还没完成。")
    app.add_typer(reminders_app, name="reminders", help="提醒：预览、发送、群发。")
    app.add_typer(db_app, name="db", help="数据库：升级表结构（部署时单独执行）。")
    app.add_typer(staff_app, name="staff", help="网页控制台的工作人员账号：新建、列出、停用。")

    app.command()(serve)
