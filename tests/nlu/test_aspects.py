import datetime as dt

import pytest

from knowledge.reading import DATES, HOURS, YESNO
from nlu.aspects import AspectReader, CueScanner, aspect_names

MONDAY = dt.date(2023, 11, 20)


@pytest.fixture(scope="module")
def reader(interpreter):
    return AspectReader.load(interpreter.normalizer)


def test_cue_scanner_finds_overlapping_and_nested_cues():
    scanner = CueScanner({"face": ["人脸识别", "人脸"], "fail": ["失败", "识别不"], "where": ["哪里"]}, str)
    assert scanner.aspects("人脸识别不了") == {"face", "fail"}
    assert scanner.aspects("在哪里") == {"where"}
    assert scanner.aspects("") == set()


@pytest.mark.parametrize(
    ("text", "aspects"),
    [
        ("在哪交钱", {"pay", "where"}),  # 交钱 is read as 缴费 (a synonym in the Rasa data)
        ("岗位汇总表在哪里拿", {"summary_table", "fetch"}),
        ("人脸识别一直失败怎么办", {"face", "fail", "trouble"}),
        ("刷脸通不过咋办", {"face", "fail"}),  # 刷脸 → 人脸识别
        ("两个岗位要交两次钱吗", {"two_posts", "repeat", YESNO}),
        ("资料员和安全员要交几次", {"two_posts"}),
        ("2022年考的证今年要参加吗", {"certificate_year", YESNO}),
        ("今年刚拿的证要参加吗", {"this_year_certificate"}),
        ("线上学了20学时够吗", {HOURS, "online", YESNO}),
        ("明天能去确认吗", {DATES, "confirmation", YESNO}),
        ("是先交钱再去确认吗", {"pay_first"}),
        ("可以让同事帮我去确认吗", {"proxy"}),
    ],
)
def test_aspects_named(reader, text, aspects):
    found = reader.read(text, MONDAY).aspects
    assert aspects <= found, sorted(found)


@pytest.mark.parametrize(
    ("text", "yes", "no"),
    [
        ("手机能学吗", "可以", "不可以"),
        ("線上學習最少要20學時對嗎", "是的", "不是"),  # the tag at the end is what is asked
        ("线上学了40个学时，合格冇", "够", "不够"),  # 冇 read once, not as 没有没有
        ("在线学够32学时还用上传线下证明吗", "要", "不用"),
        ("只学线上20学时够吗", "够", "不够"),
        ("线上学了35学时还要传证明吗", "要", "不用"),
        ("今天截止了吗", "是的", "还没有"),
        ("有考试吗", "有", "没有"),
        ("线下培训算学时吗", "算", "不算"),
        ("资格确认必须是工作日吗", "是的", "不是"),
    ],
)
def test_yes_no_questions_choose_the_reply_words(reader, text, yes, no):
    polarity = reader.read(text, MONDAY).polarity
    assert polarity is not None and (polarity.yes, polarity.no) == (yes, no)


@pytest.mark.parametrize(
    "text", ["资格确认在哪里", "交多少钱", "电脑上怎么学", "我的学习进度", "不参加有什么后果", "能学什么"]
)
def test_other_questions_are_not_yes_no(reader, text):
    assert reader.read(text, MONDAY).polarity is None


def test_every_aspect_is_named_in_the_file(reader):
    assert reader.names == aspect_names()


def test_no_cue_is_swallowed_by_a_synonym(reader):
    """A cue is scanned as typed and as the classifier folds it: a cue that folds to a much shorter word
    ("app" → 手机, "客服微信" → 微信) would fire on every message naming that word."""
    from bot.kernel.yamlfile import load_yaml
    from nlu.aspects import DEFAULT_ASPECTS_FILE

    raw = load_yaml(DEFAULT_ASPECTS_FILE.read_text(encoding="utf-8"), plain=True)
    swallowed = [
        (aspect, cue, reader.fold(cue))
        for aspect, cues in raw["aspects"].items()
        for cue in map(str, cues)
        if reader.fold(cue) and reader.fold(cue) != cue.lower() and len(reader.fold(cue)) < len(cue)
    ]
    assert swallowed == []
