"""SMS the dialogue sends on its own (a binding code), beside its answer: through the outbox, at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Awaitable, Callable
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


def wake_from_threads(
    loop: asyncio.AbstractEventLoop, dispatch: Callable[[], Awaitable[object]]
) -> Callable[[], None]:
    """A callable for worker threads that runs ``dispatch`` on ``loop``, logging (not raising) its failure."""

    async def dispatch_logged() -> None:
        try:
            await dispatch()
        except Exception:
            log.exception("dispatch failed; the message stays queued for the next sweep")

    def wake() -> None:
        asyncio.run_coroutine_threadsafe(dispatch_logged(), loop)

    return wake
