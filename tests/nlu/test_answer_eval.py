import datetime as dt
import json

import pytest

from bot.kernel.messages import Inbound, Reply
from nlu.answer_eval import AnswerSetError, evaluate_answers, problems, read_cases

HOTLINES = ("0730-8981006", "13762061108")


def case(**fields):
    return read_cases([json.dumps({"id": "x", "kind": "fact", "text": "问", **fields}, ensure_ascii=False)])[
        0
    ]


def test_a_reply_passes_when_it_starts_and_includes_as_asked():
    c = case(
        expect_start=["可以", "能"], must_include=[["32"], ["审核", "审批"]], must_not_include=["没听懂"]
    )
    assert problems(c, "可以。线上学满32学时，再经培训点审核确认。", HOTLINES) == []
    assert problems(c, "线上学满32学时即可。", HOTLINES) == ["does not start with 可以/能", "lacks 审核/审批"]
    assert problems(c, "可以。32 审核。没听懂", HOTLINES) == ["says 没听懂"]


def test_silence_must_be_said_with_a_hotline_and_never_claimed_wrongly():
    silent = case(silent=True)
    assert problems(silent, "这个问题通知里没有说明，请咨询钟女士：0730-8981006。", HOTLINES) == []
    assert problems(silent, "请按提示操作。", HOTLINES) == [
        "does not say the notice is silent",
        "gives no hotline",
    ]
    covered = case(silent=False)
    assert problems(covered, "通知未说明，请咨询0730-8981006。", HOTLINES) == ["claims the notice is silent"]


def test_now_defaults_and_bad_lines_name_their_number():
    assert case().now == dt.datetime.fromisoformat("2023-11-20T10:00:00+08:00")
    assert case(now="2023-11-27T09:00:00+08:00").now.day == 27
    with pytest.raises(AnswerSetError, match="line 2"):
        read_cases(['{"text": "a"}', "not json"])
    with pytest.raises(AnswerSetError, match="must_include"):
        read_cases(['{"text": "a", "must_include": "32"}'])


class Parrot:
    """Answers with the text it was asked, and records the moment of each question."""

    def __init__(self, clock):
        self.clock = clock
        self.seen = []

    def handle(self, inbound: Inbound) -> Reply:
        self.seen.append((inbound.address, self.clock.now()))
        return Reply(f"可以。{inbound.text}", "x", 1.0)


def test_each_case_is_asked_in_its_own_conversation_at_its_moment():
    lines = [
        json.dumps(
            {"id": "a", "kind": "yesno", "text": "32", "expect_start": ["可以"], "must_include": [["32"]]}
        ),
        json.dumps(
            {
                "id": "b",
                "kind": "date",
                "text": "x",
                "now": "2023-12-01T08:00:00+08:00",
                "must_include": [["y"]],
            }
        ),
    ]
    parrots = []

    def factory(clock):
        parrots.append(Parrot(clock))
        return parrots[0]

    report = evaluate_answers(factory, read_cases(lines), HOTLINES)
    assert report.passed == 1 and len(report.results) == 2
    (first, at_first), (second, at_second) = parrots[0].seen
    assert first != second and at_second.day == 1 and at_first.day == 20
    summary = report.summary(errors=True)
    assert "answers passing:  50.0 % [" in summary and "[b date] x" in summary and "lacks y" in summary
