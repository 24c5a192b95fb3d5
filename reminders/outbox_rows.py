"""The outbox's rows as written: a reply to queue, a row claimed for sending, their column values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from reminders.claiming import REPLY_KIND
from reminders.policy import Reminder, end_of_day

# An answer that could not go out within a few hours answers a question nobody is waiting on any more.
REPLY_TTL = dt.timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for sending: marked ``sending`` and committed before the gateway is called."""

    id: int
    trainee_id: int | None
    channel: str
    address: str
    text: str
    attempts: int
    kinds: str = ""
    expires_at: dt.datetime | None = None

    @property
    def is_reply(self) -> bool:
        """An answer to a message the person just sent, not a reminder."""
        return self.kinds == REPLY_KIND


@dataclass(frozen=True, slots=True)
class ReplyRow:
    """An answer to queue: its key (e.g. ``reply:sms:<provider id>``), where it goes, what it says."""

    idempotency_key: str
    channel: str
    address: str
    text: str
    now: dt.datetime
    ttl: dt.timedelta = REPLY_TTL


def wall_now() -> dt.datetime:
    """The real time, for liveness only (claims)."""
    return dt.datetime.now(dt.UTC)


def reply_row(reply: ReplyRow, owner: str | None = None) -> dict[str, Any]:
    """The outbox row of ``reply``: queued, or (``owner``) already claimed by that dispatcher."""
    return {
        "idempotency_key": reply.idempotency_key,
        "trainee_id": None,
        "channel": reply.channel,
        "address": reply.address,
        "text": reply.text,
        "kinds": REPLY_KIND,
        "send_at": reply.now,
        "status": "queued" if owner is None else "sending",
        "attempts": 0 if owner is None else 1,
        "next_attempt_at": reply.now,
        "created_at": reply.now,
        "expires_at": reply.now + reply.ttl,
        "claimed_by": owner,
        "claimed_at": None if owner is None else wall_now(),
    }


def outbox_row(reminder: Reminder, now: dt.datetime) -> dict[str, object]:
    """The outbox row of a planned reminder, queued for its ``send_at``."""
    return {
        "idempotency_key": reminder.idempotency_key,
        "trainee_id": reminder.trainee_id,
        "channel": reminder.channel,
        "address": reminder.address,
        "text": reminder.text,
        "kinds": ",".join(reminder.kinds),
        "send_at": reminder.send_at,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": reminder.send_at,
        "created_at": now,
        "expires_at": reminder.expires_at or end_of_day(reminder.send_at),
    }
