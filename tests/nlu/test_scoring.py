import pytest

from nlu.scoring import per_group, rate, top_confusions, wilson


def test_wilson_interval_matches_known_values():
    low, high = wilson(196, 204)
    assert low == pytest.approx(0.9245, abs=1e-4) and high == pytest.approx(0.9800, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(10, 10)
    assert high == pytest.approx(1.0) and low == pytest.approx(0.7225, abs=1e-4)


def test_rate_and_groups():
    assert rate(3, 4).startswith("75.0 % [")
    assert rate(0, 0) == "n/a (0)"
    assert per_group([(("a", "b"), True), (("a",), False)]) == {"a": (1, 2), "b": (1, 1)}
    assert top_confusions([("x", "y"), ("x", "y"), ("x", "x"), ("z", "y")], 1) == [("x", "y", 2)]
