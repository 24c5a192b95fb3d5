from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.ledger import app
from tests.ledger.conftest import SAMPLE

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    monkeypatch.setenv("JXJY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JXJY_DATABASE_URL", database_url)
    monkeypatch.delenv("JXJY_SECRET_KEY", raising=False)
    return tmp_path


def test_import_prints_counts_and_rejected_rows(env: Path) -> None:
    result = runner.invoke(app, ["import", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "共 13 行：新增 12 人，更新 0 人，未变 0 人，拒绝 1 行"
    assert lines[2] == (
        "  第14行 手机号列：“12345”——手机号应为11位大陆手机号码（1开头，第二位3-9）。改法：只填一个11位手机号，没有就留空"
    )
    assert len(lines) == 6
    report = env / "report.txt"
    again = runner.invoke(app, ["import", str(SAMPLE), "--dry-run", "--report", str(report)])
    assert again.stdout.startswith(
        "（试运行，未写入）共 13 行：将新增 0 人，将更新 0 人，未变 12 人，拒绝 1 行"
    )
    assert report.read_text(encoding="utf-8") == again.stdout
    # The generated key was kept, mode 0600.
    assert (env / "data" / "secret.key").stat().st_mode & 0o777 == 0o600


def test_unreadable_file_exits_2(env: Path) -> None:
    missing = runner.invoke(app, ["import", str(env / "nope.csv")])
    assert missing.exit_code == 2
    assert "文件不存在" in missing.stderr
    bad = env / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(bad)]).exit_code == 2


def test_export_status_and_unanswered_never_show_full_numbers(env: Path) -> None:
    runner.invoke(app, ["import", str(SAMPLE)])
    out = env / "summary.xlsx"
    result = runner.invoke(app, ["export", str(out)])
    assert result.exit_code == 0 and out.exists()
    assert "已导出 12 人" in result.stdout and "已打码" in result.stdout
    status = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert status.exit_code == 0
    assert "台账人数" in status.stdout and "资料员" in status.stdout and "岳阳建工集团" in status.stdout
    unanswered = runner.invoke(app, ["unanswered"])
    assert unanswered.exit_code == 0
    for result in (status, unanswered):
        assert "430621199208284985" not in result.output and "13207425393" not in result.output


def test_full_ids_are_refused_without_a_key_and_audited_with_one(env: Path) -> None:
    out = env / "附件3.xlsx"
    refused = runner.invoke(app, ["export", str(out), "--full-ids"])
    assert refused.exit_code == 1 and "需要解密身份证号的密钥" in refused.stderr
    assert not out.exists() and not (env / "data" / "secret.key").exists()  # no key made up for it
    runner.invoke(app, ["import", str(SAMPLE)])
    result = runner.invoke(app, ["export", str(out), "--full-ids", "--employer", "平江路桥公司"])
    assert result.exit_code == 0, result.output
    assert "已导出 3 人" in result.stdout and "audit.log" in result.stderr
    audit = (env / "data" / "audit.log").read_text(encoding="utf-8")
    assert '"action": "ledger export --full-ids"' in audit and '"trainees": 3' in audit
    from openpyxl import load_workbook

    sheet = load_workbook(out).active
    assert sheet is not None
    assert sheet["A2"].value == "填报单位：平江路桥公司"
    assert sheet["D4"].value == "430681199301125862" and sheet["G4"].value == "13829501637"


def test_a_wrong_key_refuses_full_ids(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner.invoke(app, ["import", str(SAMPLE)])
    monkeypatch.setenv("JXJY_SECRET_KEY", "not-the-key")
    result = runner.invoke(app, ["export", str(env / "x.xlsx"), "--full-ids"])
    assert result.exit_code == 1 and "密钥与数据库" in result.stderr
    assert not (env / "data" / "audit.log").exists()


def test_rotate_key_replaces_the_generated_key_file(env: Path) -> None:
    runner.invoke(app, ["import", str(SAMPLE)])
    result = runner.invoke(app, ["rotate-key", "--new-key", "the-new-key"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 12 trainees" in result.stdout
    assert (env / "data" / "secret.key").read_text(encoding="ascii").strip() == "the-new-key"
    # Everything still matches under the new key.
    assert "未变 12 人" in runner.invoke(app, ["import", str(SAMPLE)]).stdout


def test_rotate_key_with_an_environment_key_says_to_update_it(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JXJY_SECRET_KEY", "old-key")
    runner.invoke(app, ["import", str(SAMPLE)])
    result = runner.invoke(app, ["rotate-key", "--new-key", "new-key"])
    assert result.exit_code == 0
    assert "JXJY_SECRET_KEY" in result.stdout
    assert not (env / "data" / "secret.key").exists()
    monkeypatch.setenv("JXJY_SECRET_KEY", "new-key")
    assert "未变 12 人" in runner.invoke(app, ["import", str(SAMPLE)]).stdout


def test_the_command_module_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = "import sys, bot.cli.ledger; print(sorted({'sqlalchemy', 'openpyxl', 'rich'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_rotate_key_refuses_while_a_service_uses_the_key(env: Path, database_url: str) -> None:
    from ledger.db import make_engine
    from ledger.rotation import key_user_lock

    runner.invoke(app, ["import", str(SAMPLE)])
    key_file = env / "data" / "secret.key"
    before = key_file.read_text(encoding="ascii")
    engine = make_engine(database_url)
    service = key_user_lock(engine)  # what a running `jxjy serve` holds
    try:
        result = runner.invoke(app, ["rotate-key", "--new-key", "the-new-key"])
        assert result.exit_code == 1
        assert "请先停止所有服务实例" in result.stderr and "未做任何修改" in result.stderr
        assert key_file.read_text(encoding="ascii") == before
        assert "未变 12 人" in runner.invoke(app, ["import", str(SAMPLE)]).stdout  # imports still run
    finally:
        service.release()
        engine.dispose()
    assert runner.invoke(app, ["rotate-key", "--new-key", "the-new-key"]).exit_code == 0


def test_import_uses_the_workbook_read_since_the_start_and_only_that_one(env: Path) -> None:
    from bot.cli.ledger import read_ahead
    from tests.ledger.workbooks import platform_workbook

    book = platform_workbook(env / "台账.xlsx")
    args = ["ledger", "import", "--report", str(env / "报告.txt"), "--dry-run", str(book)]
    reading = read_ahead(args)
    assert reading is not None and reading.path == book
    reading.table()  # read whole; what the file holds from now on is not read again
    book.write_bytes(b"")
    result = runner.invoke(app, args[1:], obj=reading)
    assert result.stdout.startswith("（试运行，未写入）共 12 行：将新增 12 人"), result.output
    other = runner.invoke(app, ["import", "--dry-run", str(SAMPLE)], obj=reading)  # another file: read itself
    assert other.stdout.startswith("（试运行，未写入）共 13 行：将新增 12 人"), other.output
    assert runner.invoke(app, ["import", str(book)]).exit_code == 2  # what the file holds now: nothing
    for not_an_import in (
        ["ledger", "export", str(book)],
        ["ledger", "import", "--help", str(book)],
        ["ledger"],
    ):
        assert read_ahead(not_an_import) is None
