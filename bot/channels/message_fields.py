"""What a template variable may show: the message text, the trainee's name and status, the campaign's facts.

Mainland SMS and WeChat template messages carry variables, not free text. Each variable is configured as a
format string, e.g. ``"{text}"``, ``"{name}"``, ``"{short_online}"`` or ``"{contact.phone}"``:

- ``text``: the message as the outbox holds it; ``kinds``: what it is (``reply``, ``hours_shortfall``, …);
- ``name`` and, for a message to a trainee, every value a personal answer may name (``short_online``,
  ``short_offline``, ``next_step``, ``hours_gap``, …), computed from the ledger when it is sent;
- ``days_left`` until the campaign's end, and every fact of the campaign file by its dotted path.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from bot.kernel.clock import Clock
from knowledge.answers import FactFormatter, local_date
from knowledge.campaign import Campaign
from knowledge.personal import record_values
from knowledge.status import HoursRules, TraineeRecord, assess
from reminders.gateways import OutboundMessage

RecordLookup = Callable[[int], TraineeRecord | None]
FIELD_ERRORS = (KeyError, AttributeError, ValueError, IndexError, TypeError)


class MessageFields(Protocol):
    """Render one variable's format string for one message; raise one of FIELD_ERRORS when it cannot."""

    def render(self, spec: str, msg: OutboundMessage) -> str: ...


def base_values(msg: OutboundMessage) -> dict[str, str]:
    """The values every message has, trainee or not."""
    return {"text": msg.text, "kinds": ",".join(msg.kinds), "name": ""}


class PlainFields:
    """Only ``text``, ``kinds`` and ``name`` (empty): for a gateway run without a campaign."""

    def render(self, spec: str, msg: OutboundMessage) -> str:
        return string.Formatter().vformat(spec, (), base_values(msg))


class CampaignFields:
    """The message, the trainee's status from the ledger and the campaign's facts, as of the clock's now."""

    def __init__(self, campaign: Campaign, records: RecordLookup, clock: Clock) -> None:
        self._campaign = campaign
        self._records = records
        self._clock = clock
        self._rules = HoursRules.from_campaign(campaign)

    def values(self, msg: OutboundMessage) -> dict[str, Any]:
        """Every value a variable of ``msg`` may name."""
        now = self._clock.now()
        values: dict[str, Any] = {}
        record = self._records(msg.trainee_id) if msg.trainee_id is not None else None
        if record is not None:
            values.update(record_values(self._campaign, record, assess(record, self._rules), now))
        values.update(base_values(msg))
        if record is not None:
            values["name"] = record.name
        values["days_left"] = str(days_left(self._campaign, now))
        return values

    def render(self, spec: str, msg: OutboundMessage) -> str:
        return FactFormatter(self._campaign, self.values(msg)).format(spec)


def days_left(campaign: Campaign, now: dt.datetime) -> int:
    """Days from the local date to the campaign's last day (0 on it, negative after)."""
    return (campaign.facts.period.end - local_date(campaign, now)).days


def render_fields(fields: MessageFields, specs: Mapping[str, str], msg: OutboundMessage) -> dict[str, str]:
    """Render each named variable for ``msg``, in order."""
    return {name: fields.render(spec, msg) for name, spec in specs.items()}
