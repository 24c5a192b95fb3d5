"""The console's reads on both databases: the ledger summary and its cache, the trainee search and pages."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Engine, update

from bot.console.cache import TtlCache
from bot.console.queries import PER_PAGE, TraineeFilter, search
from bot.console.summary import LedgerSummary, current_summary, hour_buckets, ledger_summary
from knowledge.campaign import Campaign
from knowledge.status import HoursRules
from reminders.audience import STAGES, stage_of
from tests.reminders.support import TRAINEES, insert_trainees, record
from tests.reminders.test_broadcasts import every_kind


def test_the_summary_counts_stages_and_hours_with_the_pure_rules(engine: Engine, campaign: Campaign) -> None:
    records = every_kind()
    insert_trainees(engine, records)
    insert_trainees(engine, [record(9999, registered=True)], campaign="yueyang-2022")  # another year
    rules = HoursRules.from_campaign(campaign)
    summary = ledger_summary(engine, campaign)
    stages = Counter(stage_of(r, rules) for r in records)
    assert summary.stages == {stage: stages[stage] for stage in STAGES}
    assert summary.total == len(records) and summary.opted_out == sum(r.opted_out for r in records)
    labels, bucket = hour_buckets(rules)
    hours = Counter(bucket(r.online_hours + r.offline_hours) for r in records)
    assert summary.hours == [(label, hours[n]) for n, label in enumerate(labels)]
    assert labels == ["0", "0–8", "8–16", "16–24", "24–32", "≥32"]
    assert [bucket(h) for h in (0, 0.5, 8, 31.5, 32, 60)] == [0, 1, 2, 4, 5, 5]


def test_the_cached_summary_is_counted_again_when_the_ledger_changes(
    engine: Engine, campaign: Campaign
) -> None:
    insert_trainees(engine, [record(n) for n in range(1, 4)])
    now = [0.0]
    cache: TtlCache[LedgerSummary] = TtlCache(60, monotonic=lambda: now[0])
    first = current_summary(cache, engine, campaign)
    assert first.stages["not_registered"] == 3
    # Another process registers one trainee (every write moves updated_at): counted again at once.
    later = dt.datetime(2023, 11, 25, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(update(TRAINEES).where(TRAINEES.c.id == 1).values(registered=True, updated_at=later))
    second = current_summary(cache, engine, campaign)
    assert second.stages["not_registered"] == 2 and second.stages["not_confirmed"] == 1
    assert current_summary(cache, engine, campaign) is second  # unchanged ledger: the cached copy
    now[0] = 61.0
    assert current_summary(cache, engine, campaign) is not second  # too old: counted again


def test_ttl_cache_keeps_a_value_for_its_ttl() -> None:
    now = [0.0]
    cache: TtlCache[int] = TtlCache(10, monotonic=lambda: now[0])
    calls = iter(range(100))
    assert cache.get("a", lambda: next(calls)) == 0
    now[0] = 9.9
    assert cache.get("a", lambda: next(calls)) == 0 and cache.age("a") == 9.9
    now[0] = 10.0
    assert cache.get("a", lambda: next(calls)) == 1
    cache.forget("a")
    assert cache.age("a") is None and cache.get("a", lambda: next(calls)) == 2


def test_search_by_name_phone_employer_and_masked_id(engine: Engine, campaign: Campaign) -> None:
    insert_trainees(
        engine,
        [
            record(1, name="王伟", phone="13912345678", employer="岳阳建工集团"),
            record(
                2, name="王伟强", phone="13800005678", employer="平江路桥公司", id_masked="4306**********5678"
            ),
            record(3, name="李娜", phone=None, employer="华容100%建筑"),
            record(4, name="张_三", employer="临湘市政"),
        ],
    )

    def found(**query: str) -> list[int]:
        rows, total = search(engine, campaign, TraineeFilter(**query), 1)
        assert total == len(rows)
        return [row["record"].trainee_id for row in rows]

    assert found(q="王伟") == [1, 2]
    assert found(q="伟强") == [2]
    assert found(q="5678") == [1, 2]  # a phone's end, or a masked ID's
    assert found(q="4306**") == [1, 2, 3, 4]  # every masked ID starts so
    assert found(q="路桥") == [2]
    assert found(q="100%") == [3] and found(q="%") == [3]  # % and _ are plain characters
    assert found(q="_") == [4]
    assert found(q="王伟", employer="岳阳建工集团") == [1]
    assert found(q="没有这个人") == []


def test_pages_of_every_filter_in_id_order(engine: Engine, campaign: Campaign) -> None:
    insert_trainees(engine, [record(n, paid=n % 2 == 0) for n in range(1, 2 * PER_PAGE + 8)])
    everyone = TraineeFilter()
    first, total = search(engine, campaign, everyone, 1)
    assert total == 2 * PER_PAGE + 7 and [r["record"].trainee_id for r in first] == list(
        range(1, PER_PAGE + 1)
    )
    third, _ = search(engine, campaign, everyone, 3, total=total)
    assert [r["record"].trainee_id for r in third] == list(range(2 * PER_PAGE + 1, 2 * PER_PAGE + 8))
    assert search(engine, campaign, everyone, 9, total=total) == ([], total)
    texts, count = search(engine, campaign, TraineeFilter(q="学员1"), 1)
    ones = [1, *range(10, 20), *range(100, 108)]
    assert count == len(ones) and [r["record"].trainee_id for r in texts] == ones
    assert search(engine, campaign, TraineeFilter(q="学员1"), 2) == ([], len(ones))
    second, count = search(engine, campaign, TraineeFilter(status="not_registered"), 2)
    assert count == 2 * PER_PAGE + 7 and second[0]["record"].trainee_id == PER_PAGE + 1
    assert all(r["stage"] == "not_registered" for r in second)
