"""The `jxjy` command line (see CONTRACTS.md); heavy imports wait until a command needs them."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.app import Runtime

app = typer.Typer(add_completion=False, no_args_is_help=True, help="岳阳市施工现场专业人员继续教育助手")
kb_app = typer.Typer(no_args_is_help=True, help="The campaign file (the notice as data).")
rasa_app = typer.Typer(no_args_is_help=True, help="Interoperate with Rasa.")
nlu_app = typer.Typer(no_args_is_help=True, help="Train and measure the NLU.")
app.add_typer(kb_app, name="kb")
app.add_typer(rasa_app, name="rasa")
app.add_typer(nlu_app, name="nlu")

NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Behave as at this ISO-8601 moment, e.g. 2023-11-24T10:00:00+08:00"),
]
INTENT_EVAL_NOW = "2023-11-24T10:00:00+08:00"
UserOption = Annotated[str, typer.Option("--user", help="Conversation id (context and binding).")]


def _setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def runtime_or_exit(now: str | None) -> Runtime:
    """The composition root for a command; a bad --now or campaign file prints why and exits 2."""
    from bot.app import Runtime
    from knowledge.campaign import CampaignError

    try:
        return Runtime.create(now)
    except (ValueError, CampaignError) as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def chat(user: UserOption = "terminal", now: NowOption = None) -> None:
    """Chat in the terminal with the same brain as every channel."""
    from bot.messages import Inbound

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
    from bot.messages import Inbound

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
    now: NowOption = None,
    errors: Annotated[bool, typer.Option("--errors", help="List every miss.")] = False,
    report: Annotated[
        bool, typer.Option("--report", help="95 % intervals, accuracy per slice, top confusions.")
    ] = False,
    answers: Annotated[
        bool, typer.Option("--answers", help="Score replies against an answer set instead of intents.")
    ] = False,
) -> None:
    """Measure intent accuracy (or, with --answers, reply quality) on labelled JSON lines."""
    from bot.evaluation import answer_report, intent_report
    from nlu.answer_eval import DEFAULT_NOW, AnswerSetError

    if answers:
        try:
            scored = answer_report(runtime_or_exit(None), files, now or DEFAULT_NOW)
        except (AnswerSetError, OSError) as exc:
            typer.echo(f"错误：{exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(scored.summary(errors=errors))
        return
    typer.echo(intent_report(runtime_or_exit(now or INTENT_EVAL_NOW), files, errors=errors, slices=report))


def main() -> None:
    """Entry point of the `jxjy` command."""
    _register_subcommands()
    app()


def _register_subcommands() -> None:
    import importlib.util

    if importlib.util.find_spec("ledger.cli"):
        from ledger.cli import app as ledger_app

        app.add_typer(ledger_app, name="ledger", help="Trainee ledger: import, export, status.")
    if importlib.util.find_spec("reminders.cli"):
        from reminders.cli import app as reminders_app

        app.add_typer(reminders_app, name="reminders", help="Reminders: plan and send.")
    from bot.serve_cli import serve

    app.command()(serve)
