"""The whole brain (real classifier, aspect reader, campaign file) asked at a fixed moment, for the reply tests."""

import datetime as dt

import pytest

from bot.dialogue.brain import Brain
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Inbound

TZ = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2023, 11, 20, 10, tzinfo=TZ)  # the next confirmation days are 27-30 Nov


@pytest.fixture(scope="module")
def ask(campaign, interpreter):
    """The reply's text to ``text`` asked at ``now`` (default: Monday 2023-11-20 10:00), from a fresh brain.
    Modules that need the whole outbound message define their own ``ask``."""

    def run(text, now=MONDAY):
        return Brain(campaign, interpreter, FixedClock(now)).handle(Inbound("cli", "u1", text)).text

    return run
