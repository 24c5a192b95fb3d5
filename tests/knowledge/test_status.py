import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.campaign import load_campaign
from knowledge.status import HoursRules, Shortfall, Step, TraineeRecord, assess, shortfall
from tests.records import trainee

RULES = HoursRules(yearly=32, online_min=20, offline_proof_min=12)
hours = st.floats(min_value=0, max_value=80, allow_nan=False).map(lambda h: round(h * 2) / 2)


def record(**changes: object) -> TraineeRecord:
    return trainee(**{"registered": True, "confirmed": True, "paid": True, **changes})


def test_rules_come_from_the_campaign() -> None:
    assert HoursRules.from_campaign(load_campaign()) == RULES


@pytest.mark.parametrize(
    ("online", "offline", "expected"),
    [
        (23.5, 4, Shortfall(online=0, offline=8)),
        (25, 0, Shortfall(online=7, offline=0)),
        (0, 0, Shortfall(online=32, offline=0)),
        (20, 0, Shortfall(online=12, offline=0)),
        (20, 1, Shortfall(online=0, offline=11)),
        (20, 12, Shortfall(online=0, offline=0)),
        (32, 0, Shortfall(online=0, offline=0)),
        (10, 12, Shortfall(online=10, offline=0)),
    ],
)
def test_shortfall_examples(online: float, offline: float, expected: Shortfall) -> None:
    assert shortfall(online, offline, RULES) == expected


def test_a_tie_prefers_online_only() -> None:
    # Path A: 0 online + 8 offline; path B: 8 online.
    assert shortfall(24, 4, RULES) == Shortfall(online=8, offline=0)


@given(online=hours, offline=hours)
def test_shortfall_is_the_cheaper_of_the_two_paths(online: float, offline: float) -> None:
    missing = shortfall(online, offline, RULES)
    path_a = max(0, 20 - online) + max(0, 12 - offline)
    path_b = max(0, 32 - online)
    assert missing.total == min(path_a, path_b)
    assert missing.online >= 0 and missing.offline >= 0
    # Closing the shortfall qualifies the hours.
    assert assess(
        record(online_hours=online + missing.online, offline_hours=offline + missing.offline), RULES
    ).hours_done


@given(online=hours, offline=hours, audited=st.booleans())
def test_qualified_follows_the_notice(online: float, offline: float, audited: bool) -> None:
    result = assess(record(online_hours=online, offline_hours=offline, audited=audited), RULES)
    expected_hours = (online >= 20 and offline >= 12) or online >= 32
    assert result.hours_done == expected_hours
    assert result.qualified == (expected_hours and audited)
    assert result.hours_done == (result.shortfall.total == 0)


@given(
    registered=st.booleans(),
    confirmed=st.booleans(),
    paid=st.booleans(),
    audited=st.booleans(),
    online=hours,
    offline=hours,
)
def test_next_steps_are_ordered_and_only_what_is_left(
    registered: bool, confirmed: bool, paid: bool, audited: bool, online: float, offline: float
) -> None:
    rec = record(
        registered=registered,
        confirmed=confirmed,
        paid=paid,
        audited=audited,
        online_hours=online,
        offline_hours=offline,
    )
    result = assess(rec, RULES)
    order = list(Step)
    assert list(result.next_steps) == sorted(result.next_steps, key=order.index)
    assert (Step.REGISTER in result.next_steps) == (not registered)
    assert (Step.CONFIRM in result.next_steps) == (not confirmed)
    assert (Step.PAY in result.next_steps) == (not paid)
    assert (Step.STUDY_ONLINE in result.next_steps) == (result.shortfall.online > 0)
    assert (Step.UPLOAD_PROOF in result.next_steps) == (result.shortfall.offline > 0)
    assert (Step.AUDIT in result.next_steps) == (result.hours_done and not audited)
    if registered and confirmed and paid:
        assert (result.next_steps == ()) == result.qualified


def test_next_steps_for_a_newcomer() -> None:
    result = assess(record(registered=False, confirmed=False, paid=False), RULES)
    assert result.next_steps == (Step.REGISTER, Step.CONFIRM, Step.PAY, Step.STUDY_ONLINE)


def test_next_steps_when_only_the_audit_is_left() -> None:
    result = assess(record(online_hours=23.5, offline_hours=12), RULES)
    assert result.next_steps == (Step.AUDIT,)
    assert not result.qualified
