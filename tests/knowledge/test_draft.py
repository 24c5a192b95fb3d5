"""`jxjy kb draft`: the 2023 notice gives back today's campaign; reworded variants give every change."""

import datetime as dt
import gc
import time
from pathlib import Path

import pytest
import yaml

from knowledge.campaign import DEFAULT_CAMPAIGN, Campaign, load_campaign
from knowledge.check import check_campaign_file
from knowledge.drafting.command import run_draft
from knowledge.drafting.draft import draft_campaign
from knowledge.drafting.report import label, show
from tests.knowledge.notices.build import FIXTURES, build_docx, build_pdf

NOTICE_2023 = FIXTURES / "notice-2023.txt"  # a copy of shared/notice-2023.txt, the packaged campaign's source
POSTS_2023 = load_campaign().facts.posts

CHANGES_2024 = {
    "campaign.id": "yueyang-2024",
    "campaign.basis": (),  # names no documents
    "campaign.title": "岳阳市2024年度住房和城乡建设领域施工现场专业人员继续教育",
    "campaign.document_no": "岳房培函〔2024〕5号",
    "campaign.issued_on": dt.date(2024, 7, 8),
    "period.start": dt.date(2024, 7, 15),
    "period.end": dt.date(2024, 12, 20),
    "audience": "2023年培训新取证及2023年以前取得电子证书的现场专业人员",
    "posts": (*POSTS_2023, "测量员"),
    "hours.yearly": 36,
    "hours.online_min": 24,
    "fee.amount": 120,
    "confirmation.days": "每月25—28日中的工作日",
    "confirmation.first_day": 25,
    "confirmation.last_day": 28,
    "confirmation.place": "岳阳市岳阳楼区金鹗中路128号建设大厦402室",
    "contact.name": "李先生",
    "contact.phone": "0730-8226688",
    "contact.mobile": "13907301234",
}
CHANGES_2025 = {
    "campaign.id": "yueyang-2025",
    "campaign.basis": (),  # names no documents
    "campaign.attachments": (  # lists two attachments only
        "附件1《住房和城乡建设领域施工现场专业人员继续教育线上培训流程》",
        "附件4《学员自主学习培训证明》",
    ),
    "campaign.title": "岳阳市2025年度住房和城乡建设领域施工现场专业人员继续教育",
    "campaign.document_no": "岳房培函〔2025〕2号",
    "campaign.issued_on": dt.date(2025, 7, 20),
    "period.start": dt.date(2025, 8, 1),
    "period.end": dt.date(2025, 12, 25),
    "audience": "2024年培训新取证及2024年以前取得电子证书的现场专业人员",
    "posts": (*POSTS_2023[:-1], "质量检测员"),
    "hours.online_min": 24,
    "hours.offline_proof_min": 8,
    "fee.amount": 90,
    "confirmation.days": "每月24—27日中的工作日",
    "confirmation.first_day": 24,
    "confirmation.last_day": 27,
    "confirmation.place": "岳阳市巴陵中路88号市民服务中心3楼",
    "confirmation.supervisor": "岳阳市住房和城乡建设局",
    "websites.pc": "www.hnjspx.com",
    "contact.name": "王女士",
    "contact.phone": "0730-8123456",
    "contact.mobile": "15873012345",
}
CHANGES_2027 = {
    "campaign.id": "yueyang-2027",
    "campaign.basis": (),  # names no documents
    "campaign.attachments": ("附件4《学员自主学习培训证明》",),  # lists one attachment only
    "campaign.title": "岳阳市2027年度住房和城乡建设领域施工现场专业人员继续教育",
    "campaign.document_no": "岳房培函〔2027〕1号",
    "campaign.issued_on": dt.date(2027, 2, 10),
    "period.start": dt.date(2027, 3, 1),
    "period.end": dt.date(2027, 11, 30),
    "audience": "2026年培训新取证及2026年以前取得电子证书的现场专业人员",
    "qualification.audit_by": "培训机构",
    "fee.amount": 150,
    "confirmation.days": "每月20—25日中的工作日",
    "confirmation.first_day": 20,
    "confirmation.last_day": 25,
    "websites.wechat_account": "湖南住建培训",
    "contact.mobile": "13974012345",
}


def _notice(kind: str, tmp_path: Path) -> Path:
    if kind == "txt-2024":
        return FIXTURES / "notice-2024.txt"
    if kind == "docx-2025":
        return build_docx(FIXTURES / "notice-2025.docx.txt", tmp_path / "岳房培函2025-2.docx")
    return build_pdf(FIXTURES / "notice-2027.pdf.txt", tmp_path / "岳房培函2027-1.pdf")


def _reviewed(path: Path) -> Campaign:
    """What a reviewer leaves: the draft with its review list emptied."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["review"] = []
    return Campaign.model_validate(raw)


def test_2023_notice_reproduces_the_packaged_facts_exactly(tmp_path):
    outcome = draft_campaign(NOTICE_2023, DEFAULT_CAMPAIGN, tmp_path / "draft.yaml")
    draft, packaged = load_campaign(outcome.path), load_campaign()
    assert draft.facts == packaged.facts
    assert draft.campaign.model_copy(update={"source": ""}) == packaged.campaign.model_copy(
        update={"source": ""}
    )
    assert (draft.answers, draft.personal, draft.reminders, draft.steps) == (
        packaged.answers,
        packaged.personal,
        packaged.reminders,
        packaged.steps,
    )
    assert outcome.draft.changed == [] and outcome.draft.missing == [] and draft.review == ()
    assert draft.sources["fee.amount"].startswith("网上继续教育培训费100元/人")
    assert check_campaign_file(outcome.path) == []


def test_2023_notice_over_a_later_base_gives_back_every_2023_fact(tmp_path):
    later = _reviewed(
        draft_campaign(FIXTURES / "notice-2024.txt", DEFAULT_CAMPAIGN, tmp_path / "b.yaml").path
    )
    base = tmp_path / "yueyang-2024.yaml"
    base.write_text(yaml.safe_dump(later.model_dump(mode="json", by_alias=True), allow_unicode=True), "utf-8")
    outcome = draft_campaign(NOTICE_2023, base, tmp_path / "draft.yaml")
    assert load_campaign(outcome.path).facts == load_campaign().facts
    assert {c.path for c in outcome.draft.changed} == set(CHANGES_2024)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("txt-2024", CHANGES_2024), ("docx-2025", CHANGES_2025), ("pdf-2027", CHANGES_2027)],
)
def test_a_reworded_notice_yields_every_change_and_only_those(tmp_path, kind, expected):
    # CPU time of this thread, with what earlier tests left on the heap set aside (a full collection over the
    # whole suite's objects is not the draft's work), so a busy machine or a long session cannot stretch it
    notice = _notice(kind, tmp_path)
    gc.collect()
    gc.freeze()
    try:
        started = time.thread_time()
        outcome = draft_campaign(notice, DEFAULT_CAMPAIGN, tmp_path / "draft.yaml")
        spent = time.thread_time() - started
    finally:
        gc.unfreeze()
    assert spent < 2
    changes = {c.path: c.new for c in outcome.draft.changed}
    assert changes == expected
    assert outcome.draft.missing == []
    draft = _reviewed(outcome.path)
    for path, value in expected.items():
        assert draft.fact(path) == value, path
        assert draft.sources[path]  # the sentence it came from
    for change in outcome.draft.changed:  # old → new, with the sentence, in the report
        assert f"{label(change.path)}：{show(change.old)} → {show(change.new)}" in outcome.report
        assert f"原文：{change.sentence}" in outcome.report


def test_a_new_rule_in_the_notice_is_listed_for_review(tmp_path):
    outcome = draft_campaign(FIXTURES / "notice-2024.txt", DEFAULT_CAMPAIGN, tmp_path / "draft.yaml")
    assert "自2024年起，在岗单位可为本单位学员统一办理资格确认。" in [s.text for s in outcome.draft.unused]
    assert "可能是新规定" in outcome.report


def test_wording_that_states_a_changed_fact_is_flagged(tmp_path):
    outcome = draft_campaign(FIXTURES / "notice-2024.txt", DEFAULT_CAMPAIGN, tmp_path / "draft.yaml")
    stale = {(lit.where, lit.path) for lit in outcome.draft.literals if lit.stale}
    assert ("answers.ask_posts.full", "posts") in stale  # "13个" while the notice lists 14
    assert ("answers.ask_confirmation_time.short", "confirmation.first_day") in stale  # "26-30日"
    assert ("answers.ask_fee.short", "fee.amount") not in stale  # written {fee.amount}元
    review = load_campaign(outcome.path).review
    assert any(item.startswith("answers.ask_posts.full：写死了“13个”") for item in review)


def test_a_draft_fails_kb_check_until_reviewed_then_answers_with_the_new_facts(tmp_path):
    outcome = draft_campaign(FIXTURES / "notice-2024.txt", DEFAULT_CAMPAIGN, tmp_path / "draft.yaml")
    assert any(p.startswith("review：还没核对") for p in check_campaign_file(outcome.path))
    raw = yaml.safe_load(outcome.path.read_text(encoding="utf-8"))
    raw["review"] = []
    for answer in raw["answers"].values():  # what the reviewer fixes after reading the report
        for form in ("full", "short"):
            answer[form] = (
                answer[form].replace("13个", "14个").replace("26-30日", "25-28日").replace("2022年", "2023年")
            )
    outcome.path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert check_campaign_file(outcome.path) == []


def test_a_year_no_calendar_covers_is_reported_and_a_calendar_section_covers_it(tmp_path):
    outcome = draft_campaign(_notice("pdf-2027", tmp_path), DEFAULT_CAMPAIGN, tmp_path / "draft.yaml")
    assert "2027年：chinesecalendar 没有节假日数据" in outcome.report
    raw = yaml.safe_load(outcome.path.read_text(encoding="utf-8"))
    raw["review"] = []
    for answer in [*raw["answers"].values(), *raw["personal"].values()]:
        for form in ("full", "short"):
            answer[form] = answer[form].replace("26-30日", "20-25日")
    outcome.path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = check_campaign_file(outcome.path)
    assert len(problems) == 1 and problems[0].startswith("calendar: 2027年")
    raw["calendar"] = {2027: {"holidays": [dt.date(2027, 5, 3), dt.date(2027, 10, 1)], "workdays": []}}
    outcome.path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert check_campaign_file(outcome.path) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notice.doc", b"x", "不支持的文件类型"),
        ("missing.txt", None, "文件不存在"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "无法读取"),
        ("empty.txt", "通知".encode(), "读不出通知正文"),
        ("scan.pdf", "blank", "读不出通知正文"),
    ],
)
def test_an_unreadable_notice_exits_2_with_one_chinese_line(tmp_path, name, content, message):
    path = tmp_path / name
    if content == "blank":
        from reportlab.pdfgen import canvas

        pdf = canvas.Canvas(str(path))
        pdf.rect(50, 50, 200, 200)
        pdf.save()
    elif content is not None:
        path.write_bytes(content)
    said: list[tuple[str, bool]] = []
    code = run_draft(path, None, tmp_path / "out.yaml", lambda text, err=False: said.append((text, err)))
    assert code == 2
    assert len(said) == 1 and said[0][1] and message in said[0][0] and "\n" not in said[0][0]
    assert not (tmp_path / "out.yaml").exists()
