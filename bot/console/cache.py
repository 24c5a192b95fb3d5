"""Short-lived copies of the console's costly reads (aggregates over 100,000 rows), per process.

Each page says how old its figures may be; an import here forgets what was counted from the ledger, and the
ledger summary is also counted again as soon as the ledger's stamp moves (another instance, the command line).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

V = TypeVar("V")

# Seconds. The ledger by stage and hours is counted again as soon as its stamp moves (any write to a trainee);
# the TTL only bounds what a write the stamp misses (clocks apart between hosts) can leave stale.
SUMMARY_TTL = 600.0
EMPLOYERS_TTL = 300.0  # the employers offered as filter suggestions
OUTBOX_TTL = 15.0  # the outbox at a glance on the dashboard
REPORT_TTL = 15.0  # a broadcast's delivery report


class TtlCache(Generic[V]):
    """Values by key, each kept for ``ttl`` seconds after it was computed."""

    def __init__(self, ttl: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value under ``key``, computed again (outside the lock) when missing or older than ``ttl``."""
        now = self._monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        value = compute()
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if now - e[0] < self.ttl}
            self._entries[key] = (now, value)
        return value

    def age(self, key: Hashable) -> float | None:
        """Seconds since the value under ``key`` was computed (None when there is none)."""
        with self._lock:
            found = self._entries.get(key)
        return None if found is None else self._monotonic() - found[0]

    def forget(self, key: Hashable | None = None) -> None:
        """Drop one key, or everything."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)


@dataclass
class ConsoleCaches:
    """The console's caches, one set per process."""

    summaries: TtlCache[Any] = field(default_factory=lambda: TtlCache(SUMMARY_TTL))
    employers: TtlCache[list[str]] = field(default_factory=lambda: TtlCache(EMPLOYERS_TTL))
    outbox: TtlCache[dict[str, int]] = field(default_factory=lambda: TtlCache(OUTBOX_TTL))
    reports: TtlCache[Any] = field(default_factory=lambda: TtlCache(REPORT_TTL))

    def ledger_changed(self) -> None:
        """Forget what was counted from the ledger (after an import)."""
        self.summaries.forget()
        self.employers.forget()
