"""Year after year, as staff run it: draft next year's campaign, review, check, deploy; answers follow the date."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.campaign import DEFAULT_CAMPAIGN
from tests.knowledge.notices.build import FIXTURES


@pytest.fixture
def jxjy(tmp_path, nlu_cache, interpreter):
    """Run `jxjy …` in a subprocess with a fresh data dir that already holds the trained model."""
    data_dir = tmp_path / "data"
    (data_dir / "cache").mkdir(parents=True)
    for model in nlu_cache.glob("nlu-*.pickle"):
        (data_dir / "cache" / model.name).write_bytes(model.read_bytes())
    base_env = {**os.environ, "JXJY_DATA_DIR": str(data_dir)}
    for name in ("JXJY_DATABASE_URL", "JXJY_CAMPAIGN_FILE", "JXJY_CAMPAIGN_DIR"):
        base_env.pop(name, None)

    def run(*args, env=None, cwd=None):
        return subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; main()", *args],
            capture_output=True,
            text=True,
            env={**base_env, **(env or {})},
            cwd=cwd,
            timeout=60,
        )

    return run


def _review(path: Path) -> None:
    """What staff do with the report: fix the wording it flags, then empty the review list."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert raw["review"], "a draft with changes asks for review"
    raw["review"] = []
    for answer in raw["answers"].values():
        for form in ("full", "short"):
            text = answer[form].replace("13个", "14个").replace("26-30日", "25-28日")
            answer[form] = text.replace("2022年", "2023年")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _ask(jxjy, text, now, env):
    result = jxjy("ask", text, "--json", "--now", now, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_yearly_routine_draft_review_check_deploy(jxjy, tmp_path):
    draft = tmp_path / "yueyang-2024.yaml"
    made = jxjy("kb", "draft", str(FIXTURES / "notice-2024.txt"), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "fee.amount（培训费（元））：100 → 120" in made.stdout and draft.exists()
    assert jxjy("kb", "check", str(draft)).returncode == 1  # not reviewed yet
    _review(draft)
    checked = jxjy("kb", "check", str(draft))
    assert (checked.returncode, checked.stdout.strip()) == (0, "ok"), checked.stderr
    answer = _ask(jxjy, "培训费多少钱", "2024-08-01T10:00:00+08:00", {"JXJY_CAMPAIGN_FILE": str(draft)})
    assert answer["intent"] == "ask_fee" and "120元" in answer["answer"]


def test_a_campaign_folder_answers_by_date_across_the_boundary(jxjy, tmp_path):
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "yueyang-2023.yaml").write_text(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"), encoding="utf-8")
    assert (
        jxjy(
            "kb", "draft", str(FIXTURES / "notice-2024.txt"), "-o", str(folder / "yueyang-2024.yaml")
        ).returncode
        == 0
    )
    _review(folder / "yueyang-2024.yaml")
    env = {"JXJY_CAMPAIGN_DIR": str(folder)}

    def fee(now):
        return _ask(jxjy, "培训费多少钱", now, env)["answer"]

    assert "100元" in fee("2023-12-31T20:00:00+08:00")  # the last day of 2023's campaign
    between = fee("2024-01-02T10:00:00+08:00")  # 2023 ended, 2024's notice (7月8日) not out yet
    assert between.startswith("2023年度继续教育已于2023年12月31日结束，下一年度的通知还没有发布")
    assert "钟女士 0730-8981006" in between
    hotline = _ask(jxjy, "咨询电话是多少", "2024-01-02T10:00:00+08:00", env)["answer"]
    assert "0730-8981006" in hotline and "结束" not in hotline
    assert "120元" in fee("2024-07-10T10:00:00+08:00")  # the notice is out, the period starts on the 15th
    place = _ask(jxjy, "资格确认在哪里", "2024-09-02T10:00:00+08:00", env)["answer"]
    assert "金鹗中路128号" in place
    after = fee("2025-01-05T10:00:00+08:00")
    assert after.startswith("2024年度继续教育已于2024年12月20日结束") and "李先生 0730-8226688" in after


def test_a_notice_that_cannot_be_read_exits_2_with_a_chinese_line(jxjy, tmp_path):
    bad = tmp_path / "通知.docx"
    bad.write_bytes(b"not a word file")
    result = jxjy("kb", "draft", str(bad), "-o", str(tmp_path / "out.yaml"))
    assert result.returncode == 2
    assert result.stderr.startswith("错误：通知.docx：无法读取") and result.stderr.count("\n") == 1
