"""What a yes/no question asks that the notice never says: ``nlu.claims.Known``."""

from nlu.claims import Known


def _known(said: str) -> Known:
    return Known(said, "能可以吗的", sound=lambda ch: {"证": "zheng", "正": "zheng"}.get(ch, ch))


def test_a_pair_the_notice_never_puts_together_is_new() -> None:
    known = _known("继续教育学时；职业培训合格证；称号")
    # each character is known, 职称 never stands together in it
    assert known.novel_pairs("继续教育学时能抵职称吗", "继续教育学时") == ["抵职", "职称"]


def test_pairs_the_reply_or_the_notice_hold_are_not_new() -> None:
    known = _known("职业培训合格证")
    assert known.novel_pairs("合格证", "") == []
    assert known.novel_pairs("职称", "评职称") == []  # the reply holds it
    assert known.novel_pairs("能吗", "") == []  # function characters are no content


def test_a_slip_of_the_pinyin_input_is_no_new_pair() -> None:
    known = _known("职业培训合格证")
    assert known.novel_pairs("合格正", "") == []  # 正 sounds like 证, beside the same 格


def _sounding(said: str) -> Known:
    sounds = {"件": "jian", "见": "jian", "间": "jian", "报": "bao", "保": "bao", "宝": "bao"}
    return Known(said, "的", sound=lambda ch: sounds.get(ch, ch))


def test_a_slip_is_read_as_the_reply_character_beside_the_same_neighbour() -> None:
    known = _sounding("")
    assert known.heal("身份证复印见", "带身份证复印件。") == "身份证复印件"
    assert known.heal("岳阳日保社", "岳阳日报社305室") == "岳阳日报社"
    # no neighbour in common: 见 stays (间 sounds the same, but stands beside nothing of the question)
    assert known.heal("复印见", "时间") == "复印见"
    assert known.heal("复印见", "复印见") == "复印见"  # the reply has the character itself


def test_the_first_place_in_the_reply_that_fits_wins() -> None:
    known = _sounding("")
    # 宝 (before 社, like 保 in the question) stands before 报 (after 日) in the reply: the first place read wins
    assert known.heal("日保社", "宝社，日报") == "日宝社"
    assert known.heal("日保社", "日报，宝社") == "日报社"
    assert known.heal("日保社", "日报，宝社", keep="保") == "日保社"  # a kept character is never replaced
    # the same reply again (its places kept) gives the same reading
    assert known.heal("日保社", "日报，宝社") == "日报社"
