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
