"""The `jxjy` command line (see CONTRACTS.md); heavy imports wait until a command needs them."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import NowOption, runtime_or_exit

app = typer.Typer(add_completion=False, no_args_is_help=True, help="岳阳市施工现场专业人员继续教育助手")
kb_app = typer.Typer(no_args_is_help=True, help="The campaign file (the notice as data).")
rasa_app = typer.Typer(no_args_is_help=True, help="Interoperate with Rasa.")
nlu_app = typer.Typer(no_args_is_help=True, help="Train and measure the NLU.")
app.add_typer(kb_app, name="kb")
app.add_typer(rasa_app, name="rasa")
app.add_typer(nlu_app, name="nlu")

UserOption = Annotated[str, typer.Option("--user", help="Conversation id (context and binding).")]


def _setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def chat(user: UserOption = "terminal", now: NowOption = None) -> None:
    """Chat in the terminal with the same brain as every channel."""
    from bot.kernel.messages import Inbound

    _setup_logging()
    brain = runtime_or_exit(now).brain(log_messages=True)
    typer.echo("继续教育助手：您好！请输入问题（输入“退出”或按 Ctrl-D 结束）。")
    while True:
        try:
            text = input("你：").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if text in {"退出", "exit", "quit"}:
            return
        if text:
            typer.echo("助手：" + brain.handle(Inbound("terminal", user, text)).text)


@app.command()
def ask(
    text: Annotated[str | None, typer.Argument(help="The message to answer.")] = None,
    user: UserOption = "cli",
    now: NowOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the parse result and the answer as JSON.")
    ] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Read JSON lines {user, text} from stdin.")] = False,
) -> None:
    """Answer one message, or a stream of JSON lines with --jsonl."""
    from bot.kernel.messages import Inbound

    _setup_logging()
    if jsonl:
        from bot.jsonl import answer_stream

        answer_stream(runtime_or_exit(now).brain(), sys.stdin, sys.stdout)
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
    file: Annotated[Path | None, typer.Argument(help="Campaign YAML (default: the packaged one).")] = None,
) -> None:
    """Validate a campaign file: missing facts, over-long answers, broken references."""
    from knowledge.campaign import DEFAULT_CAMPAIGN
    from knowledge.check import check_campaign_file
    from reminders.templates import check_wording

    problems = check_campaign_file(file or DEFAULT_CAMPAIGN, [check_wording])
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo("ok")


@kb_app.command("draft")
def kb_draft(
    notice: Annotated[Path, typer.Argument(help="The new notice: .txt, .docx or .pdf.")],
    base: Annotated[
        Path | None,
        typer.Option("--base", help="Campaign to carry wording from (default: the packaged one)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Where to write the draft (default: <id>.yaml here).")
    ] = None,
) -> None:
    """Draft a campaign file from a new notice and print a review report (Chinese)."""
    from knowledge.drafting.command import run_draft

    raise typer.Exit(run_draft(notice, base, out, typer.echo))


@rasa_app.command("export")
def rasa_export(directory: Annotated[Path, typer.Argument(help="Where to write the Rasa project.")]) -> None:
    """Write a Rasa 3.6 project (config, domain, nlu, rules) that `rasa train` accepts."""
    from nlu.export import export_rasa_project
    from nlu.training_data import load_training_data

    campaign = runtime_or_exit(None).campaign  # the configured campaign file (JXJY_CAMPAIGN_FILE)
    written = export_rasa_project(directory, load_training_data(), campaign)
    for path in written:
        typer.echo(str(path))


@nlu_app.command("train")
def nlu_train() -> None:
    """Train the NLU model now and cache it in the data dir (a deploy step; otherwise the first use does it)."""
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
    files: Annotated[list[Path], typer.Argument(help="Labelled JSONL files.")],
    now: NowOption = "2023-11-24T10:00:00+08:00",
    errors: Annotated[bool, typer.Option("--errors", help="List every miss.")] = False,
) -> None:
    """Measure intent accuracy on labelled JSON lines (single messages and conversations)."""
    from nlu.evaluate import evaluate_files

    runtime = runtime_or_exit(now)

    def brain() -> Any:
        from bot.dialogue.brain import Brain

        return Brain(runtime.campaign, runtime.interpreter(), runtime.clock)

    report = evaluate_files(brain, files)
    typer.echo(report.summary(errors=errors))


def main() -> None:
    """Entry point of the `jxjy` command: a database that cannot be opened is one line and exit 2."""
    from bot.app import DatabaseUnavailable

    _register_subcommands()
    try:
        app()
    except DatabaseUnavailable as exc:
        typer.echo(f"错误：{exc}", err=True)
        sys.exit(2)


def _register_subcommands() -> None:
    from bot.cli.ledger import app as ledger_app
    from bot.cli.reminders import app as reminders_app
    from bot.cli.serve import serve
    from bot.cli.staff import app as staff_app

    app.add_typer(ledger_app, name="ledger", help="Trainee ledger: import, export, status.")
    app.add_typer(reminders_app, name="reminders", help="Reminders: plan and send.")
    app.add_typer(staff_app, name="staff", help="Staff accounts of the web console.")

    app.command()(serve)
