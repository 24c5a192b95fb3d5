"""Linking a chat address to a trainee by ID number and name, with failed attempts rate-limited."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Literal

from bot.kernel.clock import Clock
from knowledge.status import TraineeRecord
from ledger.store import LedgerStore
from ledger.validate import FieldError, check_id_number

log = logging.getLogger(__name__)

BindReason = Literal["invalid_id", "no_match", "rate_limited"]


@dataclass(frozen=True)
class BindResult:
    """The outcome of a binding attempt: the record when linked, else why not."""

    ok: bool
    reason: BindReason | None = None
    record: TraineeRecord | None = None


def _same_name(given: str, stored: str) -> bool:
    return re.sub(r"\s+", "", given) == re.sub(r"\s+", "", stored)


class BindingService:
    """Bind, unbind and look up chat addresses; at most ``max_failures`` per address per ``window``."""

    def __init__(
        self,
        store: LedgerStore,
        clock: Clock,
        max_failures: int = 5,
        window: dt.timedelta = dt.timedelta(hours=1),
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_failures = max_failures
        self._window = window

    def bind(self, channel: str, address: str, id_number: str, name: str) -> BindResult:
        """Link ``(channel, address)`` to the trainee with this ID number and name.

        An unknown ID number and a wrong name give the same answer, so a refusal tells nothing about the
        ledger; every refusal counts towards the rate limit.
        """
        now = self._clock.now()
        if self._store.bind_failures_since(channel, address, now - self._window) >= self._max_failures:
            log.info("binding refused on %s: too many failed attempts", channel)
            return BindResult(ok=False, reason="rate_limited")
        try:
            id_number = check_id_number(id_number, now.astimezone(self._clock.tz).date())
        except FieldError:
            return self._fail(channel, address, now, "invalid_id")
        record = self._store.find_by_id_number(id_number)
        if record is None or not _same_name(name, record.name):
            return self._fail(channel, address, now, "no_match")
        self._store.bind(channel, address, record.trainee_id)
        log.info("bound a %s address to trainee %d", channel, record.trainee_id)
        return BindResult(ok=True, record=record)

    def unbind(self, channel: str, address: str) -> bool:
        """Remove the link of ``(channel, address)``; False when there was none."""
        return self._store.unbind(channel, address)

    def record_for(self, channel: str, address: str) -> TraineeRecord | None:
        """The trainee linked to ``(channel, address)``, if any."""
        trainee_id = self._store.binding(channel, address)
        return None if trainee_id is None else self._store.get(trainee_id)

    def _fail(self, channel: str, address: str, now: dt.datetime, reason: BindReason) -> BindResult:
        self._store.add_bind_failure(channel, address, now)
        log.info("binding failed on %s: %s", channel, reason)
        return BindResult(ok=False, reason=reason)
