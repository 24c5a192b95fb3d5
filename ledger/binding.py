"""Linking a chat address to a trainee by ID number and name, with failed attempts rate-limited.

Knowing someone's ID number and name is not enough to take over their reminders: from any address but
their own phone, binding finishes only with a one-time code sent by SMS to the phone in the ledger.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Literal

from bot.kernel.clock import Clock
from bot.kernel.personal_data import normalize_phone
from knowledge.status import TraineeRecord
from ledger.bind_codes import BindCodeStore, MemoryBindCodeStore, PendingCode, hash_code
from ledger.store import LedgerStore
from ledger.validate import FieldError, check_id_number

log = logging.getLogger(__name__)

BindReason = Literal["invalid_id", "no_match", "rate_limited", "code_sent", "wrong_code", "code_expired"]
# Channels typed on the server itself (`jxjy chat`, `jxjy ask`): whoever types there can read the ledger.
LOCAL_CHANNELS = frozenset({"terminal", "jsonl", "cli", "eval"})
CODE_TTL = dt.timedelta(minutes=10)
# A second request within this time does not send a second SMS: the first code still holds.
RESEND_AFTER = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class BindResult:
    """The outcome of a binding attempt: the record when linked (or a code is due), else why not.

    With ``reason`` "code_sent" and a ``code``, that code must be sent by SMS to ``record.phone``; without
    a code, the one sent a moment ago still holds.
    """

    ok: bool
    reason: BindReason | None = None
    record: TraineeRecord | None = None
    code: str | None = field(default=None, repr=False)


def _same_name(given: str, stored: str) -> bool:
    return re.sub(r"\s+", "", given) == re.sub(r"\s+", "", stored)


class BindingService:
    """Bind, unbind and look up chat addresses; at most ``max_failures`` per address per ``window``.

    Wrong codes count as failures. ``code_key`` (see ``ledger.bind_codes.code_key``) must be the same on
    every instance that shares ``codes``.
    """

    def __init__(
        self,
        store: LedgerStore,
        clock: Clock,
        max_failures: int = 5,
        window: dt.timedelta = dt.timedelta(hours=1),
        *,
        codes: BindCodeStore | None = None,
        code_key: bytes | None = None,
        code_ttl: dt.timedelta = CODE_TTL,
        local_channels: frozenset[str] = LOCAL_CHANNELS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_failures = max_failures
        self._window = window
        self._codes = MemoryBindCodeStore() if codes is None else codes
        self._code_key = code_key or os.urandom(32)
        self.code_ttl = code_ttl
        self._local_channels = local_channels

    def bind(self, channel: str, address: str, id_number: str, name: str) -> BindResult:
        """Link ``(channel, address)`` to the trainee with this ID number and name.

        An unknown ID number and a wrong name give the same answer, so a refusal tells nothing about the
        ledger; every refusal counts towards the rate limit.
        """
        now = self._clock.now()
        if self._rate_limited(channel, address, now):
            return BindResult(ok=False, reason="rate_limited")
        try:
            id_number = check_id_number(id_number, now.astimezone(self._clock.tz).date())
        except FieldError:
            return self._fail(channel, address, now, "invalid_id")
        record = self._store.find_by_id_number(id_number)
        if record is None or not _same_name(name, record.name):
            return self._fail(channel, address, now, "no_match")
        if self.needs_code(channel, address, record):
            return self._issue_code(channel, address, record, now)
        return self._link(channel, address, record)

    def needs_code(self, channel: str, address: str, record: TraineeRecord) -> bool:
        """A code is due unless the ledger has no phone, the SMS comes from that phone, or the channel is local."""
        if not record.phone or channel in self._local_channels:
            return False
        return not (channel == "sms" and normalize_phone(address) == normalize_phone(record.phone))

    def confirm(self, channel: str, address: str, code: str) -> BindResult:
        """Finish a binding with the code sent by SMS; a wrong code counts as a failed attempt."""
        now = self._clock.now()
        if self._rate_limited(channel, address, now):
            self._codes.delete(channel, address)
            return BindResult(ok=False, reason="rate_limited")
        pending = self._codes.get(channel, address)
        if pending is None or pending.expires_at <= now:
            return BindResult(ok=False, reason="code_expired")
        given = hash_code(self._code_key, channel, address, code.strip())
        if not hmac.compare_digest(given, pending.code_hash):
            result = self._fail(channel, address, now, "wrong_code")
            if self._rate_limited(channel, address, now):
                self._codes.delete(channel, address)  # no more guesses at this code
            return result
        self._codes.delete(channel, address)
        record = self._store.get(pending.trainee_id)
        if record is None:  # removed from the ledger meanwhile
            return BindResult(ok=False, reason="no_match")
        return self._link(channel, address, record)

    def unbind(self, channel: str, address: str) -> bool:
        """Remove the link of ``(channel, address)`` (and any code it waits for); False when there was none."""
        self._codes.delete(channel, address)
        return self._store.unbind(channel, address)

    def record_for(self, channel: str, address: str) -> TraineeRecord | None:
        """The trainee linked to ``(channel, address)``, if any."""
        trainee_id = self._store.binding(channel, address)
        return None if trainee_id is None else self._store.get(trainee_id)

    def _link(self, channel: str, address: str, record: TraineeRecord) -> BindResult:
        self._store.bind(channel, address, record.trainee_id)
        log.info("bound a %s address to trainee %d", channel, record.trainee_id)
        return BindResult(ok=True, record=record)

    def _issue_code(self, channel: str, address: str, record: TraineeRecord, now: dt.datetime) -> BindResult:
        held = self._codes.get(channel, address)
        if (
            held is not None
            and held.trainee_id == record.trainee_id
            and now - held.created_at < RESEND_AFTER
            and held.expires_at > now
        ):
            return BindResult(ok=False, reason="code_sent", record=record)
        code = f"{secrets.randbelow(1_000_000):06d}"
        code_hash = hash_code(self._code_key, channel, address, code)
        self._codes.put(channel, address, PendingCode(record.trainee_id, code_hash, now, now + self.code_ttl))
        log.info("binding a %s address to trainee %d: code sent by SMS", channel, record.trainee_id)
        return BindResult(ok=False, reason="code_sent", record=record, code=code)

    def _rate_limited(self, channel: str, address: str, now: dt.datetime) -> bool:
        if self._store.bind_failures_since(channel, address, now - self._window) < self._max_failures:
            return False
        log.info("binding refused on %s: too many failed attempts", channel)
        return True

    def _fail(self, channel: str, address: str, now: dt.datetime, reason: BindReason) -> BindResult:
        self._store.add_bind_failure(channel, address, now)
        log.info("binding failed on %s: %s", channel, reason)
        return BindResult(ok=False, reason=reason)
