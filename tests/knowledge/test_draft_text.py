"""The text layer of `kb draft`: one way of writing, paragraphs rejoined, wording compared."""

import pytest

from knowledge.drafting.merge import same_wording
from knowledge.drafting.text import paragraphs, regular, sentences


@pytest.mark.parametrize(
    ("raw", "regular_form"),
    [
        ("在线学习不少于 20 学时", "在线学习不少于20学时"),
        ("2023 年 7 月 13 日", "2023年7月13日"),
        ("资料:身份证复印件(见附件2)", "资料：身份证复印件（见附件2）"),
        ("人力资源网(www.hnjsrcw.com),首页", "人力资源网（www.hnjsrcw.com），首页"),
        ("２０２４年８月１日", "2024年8月1日"),
        ("钟女士 0730-8981006 13762061108", "钟女士0730-8981006 13762061108"),
    ],
)
def test_regular_writes_one_way(raw, regular_form):
    assert regular(raw) == regular_form


def test_a_line_cut_mid_word_is_rejoined_but_headings_stay_apart():
    lines = [
        "一、继续教育对象",
        "继续教育岗位：土建施工员、设备安装施工员、市政工程施",
        "",
        "工员、土建质量员等。",
        "二、流程",
    ]
    assert paragraphs(lines) == [
        "一、继续教育对象",
        "继续教育岗位：土建施工员、设备安装施工员、市政工程施工员、土建质量员等。",
        "二、流程",
    ]


def test_page_width_lines_are_rejoined_but_a_short_last_line_ends_the_paragraph():
    width = "根据省建设人力资源协会工作安排定于二零二七年三月一日至十一月三十日组织开展继续"
    lines = [
        width,
        "教育。",
        "关于开展岳阳市2027年度住房和城乡建设领域施工现场专业人员继续教育的通",
        "知",
        "各单位：",
    ]
    assert paragraphs(lines)[1:] == [
        "关于开展岳阳市2027年度住房和城乡建设领域施工现场专业人员继续教育的通知",
        "各单位：",
    ]


def test_sentences_keep_an_aside_whole_and_know_their_heading():
    found = sentences(["四、合格条件", "1. 在线学习32学时。（审核后次日可更新。）下一句。"])
    assert [(s.text, s.heading) for s in found[1:]] == [
        ("1. 在线学习32学时。", "四、合格条件"),
        ("（审核后次日可更新。）", "四、合格条件"),
        ("下一句。", "四、合格条件"),
    ]


@pytest.mark.parametrize(
    ("notice", "base", "same"),
    [
        ("按要求填写签字盖章后上传平台", "按要求填写、签字盖章后上传平台", True),
        ("后台下载", "在继续教育平台后台下载", True),
        ("网上生成报名登记表（附件2）", "网上生成的报名登记表（附件2）", True),
        ("一人多岗需分别缴纳", "一人多岗只用缴纳一次", False),
        ("在现场缴费", "不在现场缴费", False),  # the base may elaborate, never negate
        ("每月20日", "每月26日", False),
    ],
)
def test_same_wording_allows_elaboration_not_new_meaning(notice, base, same):
    assert same_wording(notice, base) is same
