import pytest
import yaml

from bot.kernel.yamlfile import load_yaml
from nlu.aspects import DEFAULT_ASPECTS_FILE, AspectDataError, AspectReader


@pytest.mark.parametrize("plain", [False, True])
def test_a_key_named_twice_is_refused_with_its_line(plain):
    with pytest.raises(yaml.YAMLError, match="duplicate key 'amount'") as caught:
        load_yaml("aspects:\n  amount: [多少钱]\n  pay: [缴费]\n  amount: [几块]\n", plain=plain)
    assert "line 4" in str(caught.value)


def test_merge_keys_and_distinct_keys_still_load():
    data = load_yaml("base: &b {full: 甲, short: 乙}\nother: {<<: *b, short: 丙}\n")
    assert data["other"] == {"full": "甲", "short": "丙"}


def test_the_cue_file_with_a_duplicate_cue_list_does_not_load(tmp_path, interpreter):
    text = DEFAULT_ASPECTS_FILE.read_text(encoding="utf-8")
    assert AspectReader.load(interpreter.normalizer)  # the packaged file names each cue list once
    broken = tmp_path / "aspects.yml"
    broken.write_text(text.replace("\naspects:\n", "\naspects:\n  amount: [几块]\n", 1), encoding="utf-8")
    with pytest.raises(AspectDataError, match="duplicate key 'amount'"):
        AspectReader.load(interpreter.normalizer, broken)
