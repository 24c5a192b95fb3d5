"""Slips of the pinyin input read as the cue they sound like (nlu/typos.py), with a small sound table."""

from nlu.typos import SoundSlips

SOUNDS = {
    "锁": "suo",
    "所": "suo",
    "定": "ding",
    "通": "tong",
    "同": "tong",
    "过": "guo",
    "国": "guo",
    "没": "mei",
    "下": "xia",
    "载": "zai",
    "再": "zai",
    "多": "duo",
    "不": "bu",
    "年": "nian",
    "被": "bei",
    "号": "hao",
    "帐": "zhang",
    "份": "fen",
    "线": "xian",
}


def slips(vocabulary: str = "帐号被锁定 不同年份", keep: str = "") -> SoundSlips:
    return SoundSlips(["被锁定", "没通过", "下载"], vocabulary, lambda ch: SOUNDS.get(ch, ""), keep)


def test_a_slip_becomes_the_cue_it_sounds_like() -> None:
    assert slips().heal("帐号被所定") == "帐号被锁定"
    assert slips().heal("没通国") == "没通过"


def test_a_pair_the_vocabulary_uses_is_no_slip() -> None:
    assert slips().heal("不同年份") == "不同年份"  # 不同 sounds like 不通 but is a word of its own


def test_only_a_whole_cue_counts() -> None:
    assert slips().heal("通国") == "通国"  # 通过 alone is no cue here: 没通过 is


def test_kept_characters_are_never_replaced() -> None:
    assert slips().heal("线下再多") == "线下载多"  # without the keep list the slip reading is wrong
    assert slips(keep="再").heal("线下再多") == "线下再多"


def test_a_character_known_on_its_other_side_stays() -> None:
    # 再多 is a pair of the vocabulary and 载多 is not: 再 is not read as a slip of 下载's 载
    assert slips(vocabulary="线下 再多").heal("线下再多") == "线下再多"
    # …unless the new character is as known on that side as the old one
    assert slips(vocabulary="线下 再多 载多").heal("线下再多") == "线下载多"
