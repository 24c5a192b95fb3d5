"""`jxjy staff`: accounts of the web console (add, list, disable)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import RuntimeCache, fail

if TYPE_CHECKING:
    from bot.console.accounts import AuditLog, StaffAccounts

app = typer.Typer(no_args_is_help=True, help="Staff accounts of the web console (/console).")
_RUNTIME = RuntimeCache()


@app.callback()
def _fresh_runtime() -> None:
    _RUNTIME.reset()


@contextmanager
def _accounts() -> Iterator[tuple[StaffAccounts, AuditLog]]:
    from bot.cli.common import engine_or_exit
    from bot.console.accounts import AuditLog, StaffAccounts

    runtime = _RUNTIME.get()
    engine = engine_or_exit(runtime)
    try:
        yield StaffAccounts(engine, runtime.clock), AuditLog(engine, runtime.clock)
    finally:
        engine.dispose()


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise fail("两次输入的密码不一致")
    return first


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="The staff member's user name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (one line).")
    ] = False,
) -> None:
    """Create an account; the password is prompted for (or read from standard input)."""
    from bot.console.accounts import AccountError

    password = _read_password(password_stdin)
    with _accounts() as (accounts, audit):
        try:
            accounts.add(name, password)
        except AccountError as exc:
            raise fail(str(exc), 1) from exc
        audit.record(_operator(), "staff", f"新建工作人员账号 {name.strip()}")
    typer.echo(f"已创建账号 {name.strip()}")


@app.command("list")
def list_() -> None:
    """List the accounts."""
    with _accounts() as (accounts, _):
        found = accounts.list()
    for info in found:
        state = "启用" if info.active else "停用"
        typer.echo(f"{info.name}\t{state}\t{info.created_at:%Y-%m-%d}")


@app.command()
def disable(name: Annotated[str, typer.Argument(help="The account to disable.")]) -> None:
    """Disable an account and sign it out everywhere."""
    from bot.console.accounts import AccountError

    with _accounts() as (accounts, audit):
        try:
            accounts.disable(name)
        except AccountError as exc:
            raise fail(str(exc), 1) from exc
        audit.record(_operator(), "staff", f"停用工作人员账号 {name}")
    typer.echo(f"已停用账号 {name}")
