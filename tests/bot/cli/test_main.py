"""The command line as staff scripts call it (CONTRACTS.md), in a subprocess with its own data dir."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOW = "2023-11-24T10:00:00+08:00"
SAMPLE = Path(__file__).resolve().parents[2] / "ledger" / "data" / "ledger-sample.csv"


@pytest.fixture
def jxjy(tmp_path, nlu_cache, interpreter):
    """Run `jxjy …` with a fresh data dir that already holds the trained model."""
    data_dir = tmp_path / "data"
    (data_dir / "cache").mkdir(parents=True)
    for model in nlu_cache.glob("nlu-*.npz"):
        (data_dir / "cache" / model.name).write_bytes(model.read_bytes())
    env = {**os.environ, "JXJY_DATA_DIR": str(data_dir)}
    env.pop("JXJY_DATABASE_URL", None)

    def run(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; main()", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    return run


def test_ask_jsonl_answers_in_order_and_survives_bad_lines(jxjy):
    lines = [
        {"user": "a", "text": "电脑上怎么学习"},
        "not json",
        {"user": "a", "text": "那手机呢"},
        {"user": 5, "text": "费用"},
        {"user": "b", "text": "今天天气怎么样"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    result = jxjy("ask", "--jsonl", "--now", NOW, stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["intent"] == "ask_pc_learning" and set(out[0]) == {
        "user",
        "text",
        "intent",
        "confidence",
        "answer",
    }
    assert "error" in out[1] and "error" in out[3]
    assert out[2]["intent"] == "ask_mobile_learning"
    assert out[4]["intent"] == "nlu_fallback" and "0730-8981006" in out[4]["answer"]


def test_ask_jsonl_asks_each_line_at_its_own_moment(jxjy):
    lines = [
        {"user": "a", "text": "什么时候去资格确认", "now": "2023-09-20T10:00:00+08:00"},
        {"user": "b", "text": "什么时候去资格确认", "now": "2023-11-20T10:00:00+08:00"},
        {"user": "c", "text": "什么时候去资格确认"},
        {"user": "d", "text": "费用", "now": "yesterday"},
    ]
    stdin = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    out = [json.loads(x) for x in jxjy("ask", "--jsonl", "--now", NOW, stdin=stdin).stdout.splitlines()]
    assert "9月26、27、28日" in out[0]["answer"]
    assert "11月27" in out[1]["answer"] and "9月26" not in out[1]["answer"]
    assert "11月27" in out[2]["answer"]  # no moment of its own: the clock stays where the last line set it
    assert "ISO-8601" in out[3]["error"]
    without_now = jxjy("ask", "--jsonl", stdin=stdin).stdout.splitlines()
    assert "--now" in json.loads(without_now[0])["error"]


def test_binding_conversation_through_jsonl(jxjy):
    assert jxjy("ledger", "import", str(SAMPLE)).returncode == 0
    stdin = "\n".join(
        json.dumps({"user": "w", "text": t}, ensure_ascii=False)
        for t in ("绑定 430621199208284985 刘洋", "我还差几个学时")
    )
    out = [json.loads(x) for x in jxjy("ask", "--jsonl", "--now", NOW, stdin=stdin).stdout.splitlines()]
    assert out[0]["intent"] == "bind" and "430621199208284985" not in out[0]["answer"]
    assert out[1]["intent"] == "my_hours" and "还差线下证明6学时" in out[1]["answer"]


def test_ask_json_and_date_awareness(jxjy):
    result = jxjy("ask", "什么时候去资格确认", "--json", "--now", "2023-09-20T10:00:00+08:00")
    answer = json.loads(result.stdout)
    assert answer["intent"] == "ask_confirmation_time"
    assert "9月26、27、28日" in answer["answer"] and "29" not in answer["answer"]


def test_bad_now_is_a_clear_error(jxjy):
    result = jxjy("ask", "费用", "--now", "yesterday")
    assert result.returncode == 2 and "ISO-8601" in result.stderr


def test_kb_check_passes_and_fails(jxjy, tmp_path):
    assert jxjy("kb", "check").stdout.strip() == "ok"
    broken = tmp_path / "broken.yaml"
    broken.write_text("campaign: {}\n", encoding="utf-8")
    result = jxjy("kb", "check", str(broken))
    assert result.returncode == 1 and "broken.yaml" in result.stderr


def test_rasa_export_writes_the_project(jxjy, tmp_path):
    result = jxjy("rasa", "export", str(tmp_path / "rasa"))
    assert result.returncode == 0
    assert (tmp_path / "rasa" / "domain.yml").exists() and (tmp_path / "rasa" / "data" / "rules.yml").exists()


def test_nlu_train_reports_the_cached_model(jxjy):
    result = jxjy("nlu", "train")
    assert result.returncode == 0 and "38 intents" in result.stdout


def test_nlu_evaluate_answers_scores_replies_per_kind(jxjy, tmp_path):
    answers = tmp_path / "answers.jsonl"
    cases = [
        {
            "id": "1",
            "kind": "yesno",
            "text": "可以32学时全部在线上学吗",
            "expect_start": ["可以"],
            "must_include": [["32"]],
        },
        {"id": "2", "kind": "silent", "text": "人脸识别一直失败怎么办", "must_include": [], "silent": True},
        {
            "id": "3",
            "kind": "date",
            "text": "明天能去确认吗",
            "now": "2023-11-26T10:00:00+08:00",
            "expect_start": ["可以"],
        },
        {"id": "4", "kind": "fact", "text": "交多少钱", "must_include": [["200元"]]},
    ]
    answers.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    result = jxjy("nlu", "evaluate", str(answers), "--answers", "--errors")
    assert result.returncode == 0, result.stderr
    assert "answers passing:  75.0 % [" in result.stdout and "(3/4)" in result.stdout
    assert (
        "silent   100.0 %" in result.stdout
        and "[4 fact] 交多少钱" in result.stdout
        and "lacks 200元" in result.stdout
    )
    answers.write_text('{"text": "a", "must_include": 5}\n', encoding="utf-8")
    bad = jxjy("nlu", "evaluate", str(answers), "--answers")
    assert bad.returncode == 2 and "line 1" in bad.stderr


def test_nlu_evaluate_report_gives_intervals_slices_and_confusions(jxjy, tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    lines = [
        {"text": "資格確認在哪裡", "intent": "ask_confirmation_place"},
        {"text": "要交好多钱咯", "intent": "ask_fee"},
        {"text": "明天能去确认吗", "intent": "ask_confirmation_time"},
        {"text": "费用", "intent": "ask_fee", "tags": ["one or two words"]},
        {"text": "今天天气怎么样", "intent": "ask_fee"},
    ]
    labelled.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    result = jxjy("nlu", "evaluate", str(labelled), "--report")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "accuracy:                 80.0 % [" in out and "unseen in training" in out
    for slice_name in ("traditional", "dialect", "relative dates", "yes/no", "one or two words"):
        assert f"  {slice_name} " in out, slice_name
    assert "ask_fee → nlu_fallback  ×1" in out


def test_chat_says_goodbye_and_that_the_campaign_is_over(jxjy):
    # The real clock is past 2023-12-31: the packaged campaign is over, and chat says so once, with --now.
    result = jxjy("chat", stdin="资格确认在哪里\n退出\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("提示：岳阳市2023年度") and "已于2023年12月31日结束" in lines[1]
    assert lines[2].startswith("想按活动期间的某一天试用，可以这样启动：jxjy chat --now 2023-")
    assert result.stdout.count("已于2023年12月31日结束") == 1
    assert "岳阳日报社305室" in result.stdout
    assert lines[-1].endswith(
        "助手：再见！祝学习顺利，有问题随时再来问。"
    )  # after the prompt: stdin is no tty
    inside = jxjy("chat", "--now", NOW, stdin="")  # Ctrl-D at once, inside the campaign
    assert "提示：" not in inside.stdout and inside.stdout.rstrip().endswith(
        "再见！祝学习顺利，有问题随时再来问。"
    )


def test_help_is_in_chinese(jxjy):
    for command in (["--help"], ["ledger", "import", "--help"], ["ledger", "behind", "--help"]):
        out = jxjy(*command).stdout
        assert "台账" in out or "合格" in out, out
    behind = jxjy("ledger", "behind", "--help").stdout
    assert "资格确认" in behind and "--show-phone" in behind
    assert "提醒" in jxjy("reminders", "run", "--help").stdout
    assert "监听的端口" in jxjy("serve", "--help").stdout


def test_serve_on_a_busy_port_says_so_in_one_line(jxjy):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = jxjy("serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"错误：端口 {port} 已被占用（127.0.0.1:{port}）：可能 jxjy serve 已在运行；换一个 --port，或先停掉占用它的程序"
    ]


@pytest.mark.slow
def test_the_first_start_says_it_prepares_the_model(tmp_path):
    env = {**os.environ, "JXJY_DATA_DIR": str(tmp_path / "fresh")}
    run = [sys.executable, "-c", "from bot.cli import main; main()", "ask", "你好", "--now", NOW]
    first = subprocess.run(run, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith("首次启动，正在准备模型，约 ")
    second = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert "首次启动" not in second.stderr and second.stdout == first.stdout
