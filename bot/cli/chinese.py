"""click's own lines in Chinese: usage errors, the help page's headings, "Show this message and exit."

typer's click prints these in English whatever the command's help says. Each command's context is given a
class that translates its help and usage, and `show_usage_error` prints a usage error as staff read it:

    用法：jxjy ledger import [选项] 文件
    错误：缺少参数 FILE
    查看用法：jxjy ledger import --help
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import typer
from typer import _click as click

# Whole words of click's help and usage, as it writes them.
_HELP_WORDS = (
    ("Show this message and exit.", "显示本帮助并退出。"),
    ("COMMAND [ARGS]...", "命令 [参数]..."),
    ("[OPTIONS]", "[选项]"),
    ("[default: ", "[默认："),
    ("[required]", "[必填]"),
)
_HEADINGS = {"Usage:": "用法：", "Options:": "选项：", "Commands:": "命令：", "Arguments:": "参数："}
_HEADING = re.compile(r"^( *)(Usage:|Options:|Commands:|Arguments:) ?", re.MULTILINE)


def chinese_help(text: str) -> str:
    """A help page or usage line of click, with its headings and fixed phrases in Chinese."""
    for english, chinese in _HELP_WORDS:
        text = text.replace(english, chinese)
    return _HEADING.sub(lambda m: m.group(1) + _HEADINGS[m.group(2)], text)


# click's error messages, most specific first: pattern → Chinese (groups kept as typed).
_MESSAGES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Missing argument '(.+)'\.?"), lambda m: f"缺少参数 {m[1]}"),
    (re.compile(r"Missing option '(.+)'\.?"), lambda m: f"缺少选项 {m[1]}"),
    (re.compile(r"Missing parameter: (.+)"), lambda m: f"缺少参数 {m[1]}"),
    (re.compile(r"Missing command\.?"), lambda m: "缺少命令"),
    (
        re.compile(r"No such command '(.+?)'\. Did you mean '(.+)'\?"),
        lambda m: f"没有“{m[1]}”这个命令（是不是 {m[2]}？）",
    ),
    (re.compile(r"No such command '(.+)'\.?"), lambda m: f"没有“{m[1]}”这个命令"),
    (
        re.compile(r"No such option: (\S+) \(Possible options: (.+)\)"),
        lambda m: f"没有 {m[1]} 这个选项（是不是：{m[2]}）",
    ),
    (re.compile(r"No such option: (\S+)"), lambda m: f"没有 {m[1]} 这个选项"),
    (re.compile(r"Option '(.+)' requires an argument\.?"), lambda m: f"选项 {m[1]} 后面要跟一个值"),
    (re.compile(r"Option '(.+)' does not take a value\.?"), lambda m: f"选项 {m[1]} 后面不能跟值"),
    (re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((.+)\)"), lambda m: f"多出了参数：{m[1]}"),
    (re.compile(r"(?:File|Path|Directory) '(.+)' does not exist\.?"), lambda m: f"“{m[1]}”不存在"),
    (re.compile(r"(?:File|Path) '(.+)' is a directory\.?"), lambda m: f"“{m[1]}”是文件夹，不是文件"),
    (re.compile(r"'(.+)' is not one of (.+)\."), lambda m: f"“{m[1]}”不在可选值中：{m[2]}"),
    (re.compile(r"(?:Value )?'(.+)' is not a valid (integer|float)\.?"), lambda m: f"“{m[1]}”不是数字"),
    (re.compile(r"Invalid value for (.+?): (.+)", re.DOTALL), lambda m: f"{m[1]} 的值不对：{_message(m[2])}"),
)


def _message(text: str) -> str:
    for pattern, chinese in _MESSAGES:
        match = pattern.fullmatch(text.strip())
        if match:
            return chinese(match)
    return text


def chinese_message(error: click.exceptions.ClickException) -> str:
    """The error's message in Chinese where click wrote it (messages of our own are Chinese already)."""
    return _message(error.format_message())


def show_usage_error(error: click.exceptions.ClickException) -> None:
    """Print a usage error on stderr in Chinese: the usage line, the error, where the help is."""
    lines = []
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        lines.append(chinese_help(ctx.get_usage()))
    lines.append(f"错误：{chinese_message(error)}")
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        lines.append(f"查看用法：{ctx.command_path} {ctx.help_option_names[0]}")
    typer.echo("\n".join(lines), err=True)


class ChineseContext(typer.Context):
    """A click context whose help page and usage line are in Chinese."""

    def get_help(self) -> str:
        return chinese_help(super().get_help())

    def get_usage(self) -> str:
        return chinese_help(super().get_usage())


def use_chinese(command: click.Command) -> None:
    """Give ``command`` and every command under it the Chinese context."""
    command.context_class = ChineseContext
    for child in getattr(command, "commands", {}).values():
        use_chinese(child)


def run(command: click.Command, obj: object = None) -> None:
    """Run ``command`` as `jxjy` and exit: click's errors and interruptions said in Chinese. ``obj`` is the
    context's object (what the commands may find with ``find_object``)."""
    try:
        code = command.main(prog_name="jxjy", standalone_mode=False, obj=obj)
    except click.exceptions.NoArgsIsHelpError as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.ClickException as error:
        show_usage_error(error)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("已取消。", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
