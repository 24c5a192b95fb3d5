"""Reminder fixtures: the campaign, quiet hours and a clock stopped on a Monday morning."""

from __future__ import annotations

import pytest

from bot.kernel.clock import FixedClock
from knowledge.campaign import Campaign, load_campaign
from reminders.policy import QuietHours
from tests.reminders.support import shanghai
from tests.timezone import SHANGHAI


@pytest.fixture
def campaign() -> Campaign:
    return load_campaign()


@pytest.fixture
def quiet() -> QuietHours:
    return QuietHours.parse("21:00", "08:00", SHANGHAI)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(shanghai("2023-11-20T09:00"))
