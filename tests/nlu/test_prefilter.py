import itertools
import re

import pytest

from nlu.aspects import DEFAULT_ASPECTS_FILE
from nlu.prefilter import CharacterFilter, branches, needed_characters
from nlu.training_data import load_training_data


def test_what_a_match_needs():
    assert needed_characters("(?:不|没有?)(?:先)?(?:带|交钱)") == [frozenset("不没"), frozenset("带交")]
    assert needed_characters("ab?c") == [frozenset("a"), frozenset("c")]  # b may be left out
    assert needed_characters("[两二2]个?岗位") == [frozenset("两二2"), frozenset("岗"), frozenset("位")]
    assert needed_characters("(?<![有还])去") == [frozenset("去")]  # what a look-behind names is not needed
    assert needed_characters("x|.") == []  # one branch needs nothing in particular
    assert needed_characters("[^不]|[\u4e00-\u9fff]{2}") == []
    assert needed_characters("(?i)app") == []  # either case: nothing certain


def test_candidates_keep_the_order_and_drop_only_what_cannot_match():
    expressions = ["资格确认", "(?:不|没)(?:带|交)", "吗$", "(.)不\\1", "\\d+学时"]
    found = CharacterFilter(expressions, [frozenset("资格确认"), None, None, None, None])
    assert found.candidates("没带身份证能确认吗") == [1, 2]
    assert found.candidates("资格确认在哪") == [0]
    assert found.candidates("办不办") == [3]  # the group and its reference need nothing certain; 不 is needed
    assert found.candidates("学了20学时") == [4]
    assert found.candidates("") == []


@pytest.fixture(scope="module")
def cues():
    import yaml

    raw = yaml.safe_load(DEFAULT_ASPECTS_FILE.read_text(encoding="utf-8"))
    polarity = [item["cue"] for item in raw["polarity"]]
    return (
        [p for ps in raw["patterns"].values() for p in ps]
        + polarity
        + [b for cue in polarity for b in branches(cue)]
    )


def test_no_cue_that_matches_is_ever_filtered_out(cues):
    """Every expression of the aspects file, on every training question and pairs of them run together."""
    compiled = [re.compile(c) for c in cues]
    found = CharacterFilter(cues)
    texts = [text.lower() for text, _ in load_training_data().examples]
    texts += [a + b for a, b in itertools.islice(itertools.pairwise(texts), 0, None, 7)]
    matched = 0
    for text in texts:
        candidates = set(found.candidates(text))
        for n, expression in enumerate(compiled):
            if expression.search(text):
                matched += 1
                assert n in candidates, (cues[n], text)
    assert matched > 1000  # the check saw many matches


def test_an_expression_splits_into_its_top_level_alternatives_only():
    assert branches("能不能|可以(?:吗|不)|行.{0,6}吗$") == ["能不能", "可以(?:吗|不)", "行.{0,6}吗$"]
    assert branches(r"[|]a|b\|c|(?<![协社])会吗") == ["[|]a", r"b\|c", "(?<![协社])会吗"]
    assert branches("[]|]x|y") == ["[]|]x", "y"]  # a ] first in a class is a literal
    assert branches("(?:a|b)c") == ["(?:a|b)c"]  # nothing at the top level
    assert branches("资格确认") == ["资格确认"]
    # capturing groups keep the expression whole: alone, an alternative would number them otherwise
    assert branches("(办)不办|要不要") == ["(办)不办|要不要"]
    assert branches("([一-鿿])不\\1") == ["([一-鿿])不\\1"]


def test_alternatives_match_where_their_union_does(cues):
    """Searched one by one, the alternatives of every cue find a match exactly where the cue does."""
    texts = [text.lower() for text, _ in load_training_data().examples]
    for cue in cues:
        whole, parts = re.compile(cue), [re.compile(b) for b in branches(cue)]
        assert "|".join(p.pattern for p in parts) == cue
        assert [bool(whole.search(t)) for t in texts] == [any(p.search(t) for p in parts) for t in texts]
