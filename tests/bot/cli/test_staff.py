"""`jxjy staff add/list/disable` through the real command line, on SQLite and PostgreSQL."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import _register_subcommands
from bot.cli import app as jxjy

runner = CliRunner()
_register_subcommands()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    monkeypatch.setenv("JXJY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JXJY_DATABASE_URL", database_url)
    return tmp_path


def test_add_list_disable(env: Path) -> None:
    added = runner.invoke(jxjy, ["staff", "add", "王芳", "--password-stdin"], input="correct-horse-1\n")
    assert added.exit_code == 0, added.output
    assert "已创建账号 王芳" in added.stdout
    again = runner.invoke(jxjy, ["staff", "add", "王芳", "--password-stdin"], input="correct-horse-1\n")
    assert again.exit_code == 1 and "已存在" in again.stderr
    short = runner.invoke(jxjy, ["staff", "add", "李四", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "至少 8 位" in short.stderr
    listed = runner.invoke(jxjy, ["staff", "list"])
    assert listed.stdout.startswith("王芳\t启用\t")
    assert runner.invoke(jxjy, ["staff", "disable", "王芳"]).exit_code == 0
    assert "\t停用\t" in runner.invoke(jxjy, ["staff", "list"]).stdout
    missing = runner.invoke(jxjy, ["staff", "disable", "nobody"])
    assert missing.exit_code == 1 and "没有用户 nobody" in missing.stderr
