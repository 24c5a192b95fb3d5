"""SMS the dialogue sends on its own (a binding code), beside its answer: through the outbox, at once."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.kernel.personal_data import mask_phone
from reminders.outbox import SqlOutbox

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Send one SMS to ``phone``; ``key`` makes a repeated request send it once."""

    def notify(self, phone: str, text: str, key: str, now: dt.datetime) -> None: ...


@dataclass(frozen=True)
class Notice:
    """An SMS as the memory notifier keeps it."""

    phone: str
    text: str
    key: str


class MemoryNotifier:
    """Keep the notices (tests, the terminal); ``sent`` in order."""

    def __init__(self) -> None:
        self.sent: list[Notice] = []
        self._lock = threading.Lock()

    def notify(self, phone: str, text: str, key: str, now: dt.datetime) -> None:
        with self._lock:
            self.sent.append(Notice(phone, text, key))


class OutboxNotifier:
    """Queue the SMS in the outbox as a reply (sent at once, also in quiet hours), then wake the dispatcher.

    ``wake`` is called from the worker thread the brain runs in; it must be thread-safe.
    """

    def __init__(self, outbox: SqlOutbox, wake: Callable[[], None] | None = None) -> None:
        self._outbox = outbox
        self.wake = wake

    def notify(self, phone: str, text: str, key: str, now: dt.datetime) -> None:
        if self._outbox.enqueue_reply(key, "sms", phone, text, now):
            log.info("notice %s to %s queued", key.split(":")[0], mask_phone(phone))
        if self.wake is not None:
            self.wake()
