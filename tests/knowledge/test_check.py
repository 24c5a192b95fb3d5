from pathlib import Path

import yaml

from knowledge.campaign import DEFAULT_CAMPAIGN
from knowledge.check import check_campaign_file
from nlu.campaign_check import check_detail_cues


def _variant(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_packaged_campaign_is_clean():
    assert check_campaign_file(DEFAULT_CAMPAIGN) == []


def test_missing_fact_is_reported(tmp_path):
    path = _variant(tmp_path, lambda raw: raw["facts"].pop("fee"))
    problems = check_campaign_file(path)
    assert len(problems) == 1 and "facts.fee" in problems[0]


def test_broken_reference_is_reported(tmp_path):
    def change(raw):
        raw["answers"]["ask_fee"]["full"] = "费用{fee.amout}元"

    problems = check_campaign_file(_variant(tmp_path, change))
    assert any("answers.ask_fee.full：引用了不存在的事实" in p for p in problems)


def test_overlong_short_answer_is_reported(tmp_path):
    def change(raw):
        raw["answers"]["ask_hours"]["short"] = "学时" * 40

    problems = check_campaign_file(_variant(tmp_path, change))
    assert any(p.startswith("answers.ask_hours.short：2023-") and "有 80 个字" in p for p in problems)


def test_missing_answer_is_reported(tmp_path):
    problems = check_campaign_file(_variant(tmp_path, lambda raw: raw["answers"].pop("ask_contact")))
    assert problems == ["answers：缺少答复 ask_contact"]


def test_unreadable_file_is_one_problem(tmp_path):
    problems = check_campaign_file(tmp_path / "absent.yaml")
    assert len(problems) == 1 and "无法读取" in problems[0]


def test_personal_template_reference_is_checked(tmp_path):
    def change(raw):
        raw["personal"]["hours"]["full"] = "{name}：线上{online}学时"

    problems = check_campaign_file(_variant(tmp_path, change))
    assert any(p.startswith("personal.hours.full：引用了不存在的事实") for p in problems)


def test_an_unknown_aspect_in_a_detail_is_reported(tmp_path):
    def change(raw):
        raw["details"][0]["aspects"] = ["fase", "fail"]

    problems = check_campaign_file(_variant(tmp_path, change), [check_detail_cues])
    assert problems == ["details.face_fail：没有这个方面 fase（方面写在 nlu/data/aspects.yml）"]


def test_a_broken_reference_in_composed_wording_is_reported(tmp_path):
    def change(raw):
        raw["composed"]["confirmation_day_yes"]["full"] = "{lead}{day}是确认日，地点：{confirmation.plase}。"

    problems = check_campaign_file(_variant(tmp_path, change))
    assert any(
        p.startswith("details.confirmation_on_date.full（") and "引用了不存在的事实" in p for p in problems
    )


def test_a_composed_sms_reply_over_two_segments_is_reported(tmp_path):
    def change(raw):
        raw["composed"]["silent"]["short"] = "{topic}" + "通知未说明。" * 25

    problems = check_campaign_file(_variant(tmp_path, change))
    assert any("超过两条短信的上限 134" in p for p in problems)


def test_rules_may_name_each_other_in_any_order(tmp_path):
    def change(raw):
        raw["rules"] = dict(reversed(list(raw["rules"].items())))

    assert check_campaign_file(_variant(tmp_path, change)) == []


def test_a_detail_id_used_twice_is_reported(tmp_path):
    def change(raw):
        raw["details"][1]["id"] = raw["details"][0]["id"]

    problems = check_campaign_file(_variant(tmp_path, change))
    assert any(p.startswith("details.face_fail：这个 id 出现了不止一次") for p in problems), problems
