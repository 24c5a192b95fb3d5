"""Reminders go to the trainees of the campaign being planned, not to last year's records."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.kernel.clock import FixedClock
from knowledge.campaign import Campaign
from reminders.policy import QuietHours
from reminders.service import plan
from tests.reminders.support import insert_trainees, record


def test_plan_reads_only_the_campaigns_records(
    engine: Engine, campaign: Campaign, quiet: QuietHours, clock: FixedClock
) -> None:
    insert_trainees(engine, [record(1), record(2)])
    insert_trainees(engine, [record(3)], campaign="yueyang-2022")
    assert [r.trainee_id for r in plan(engine, campaign, clock.now(), quiet)] == [1, 2]
    older = campaign.model_copy(
        update={"campaign": campaign.campaign.model_copy(update={"id": "yueyang-2022"})}
    )
    assert [r.trainee_id for r in plan(engine, older, clock.now(), quiet)] == [3]
