"""click's own lines (usage errors, help headings) come out in Chinese from the `jxjy` command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.chinese import chinese_help


def jxjy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JXJY_DATA_DIR": str(tmp_path / "data")}
    env.pop("JXJY_DATABASE_URL", None)
    command = [sys.executable, "-c", "from bot.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("ledger", "import"), "错误：缺少参数 file"),
        (("ledger", "import", "台账.csv", "--bogus"), "错误：没有 --bogus 这个选项"),
        (("ledgr",), "错误：没有“ledgr”这个命令（是不是 ledger？）"),
        (("reminders", "plan", "多余"), "错误：多出了参数：多余"),
    ],
)
def test_usage_errors_are_chinese(tmp_path: Path, args: tuple[str, ...], error: str) -> None:
    result = jxjy(tmp_path, *args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("用法：jxjy ") and "[选项]" in lines[0]
    assert lines[1] == error
    assert lines[-1].startswith("查看用法：jxjy ") and lines[-1].endswith(" --help")
    assert not [line for line in lines if line.startswith(("Usage:", "Error:", "Try "))]


def test_an_option_without_its_value(tmp_path: Path) -> None:
    # click knows no command here (the parser raises it), so there is no usage line: the error alone.
    result = jxjy(tmp_path, "ledger", "export", "x.xlsx", "--now")
    assert (result.returncode, result.stderr) == (2, "错误：选项 --now 后面要跟一个值\n")


def test_help_headings_are_chinese(tmp_path: Path) -> None:
    result = jxjy(tmp_path, "ledger", "import", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("用法：jxjy ledger import [选项]")
    assert "选项：" in result.stdout and "--help              显示本帮助并退出。" in result.stdout
    assert "Show this message" not in result.stdout and "Options:" not in result.stdout


def test_a_message_of_our_own_is_left_as_it_is() -> None:
    assert chinese_help("Usage: jxjy [OPTIONS] COMMAND [ARGS]...") == "用法：jxjy [选项] 命令 [参数]..."
