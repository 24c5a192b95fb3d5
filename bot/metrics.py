"""A tiny counters registry that renders the Prometheus text exposition format (no client library)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


class Counter:
    """A monotonically increasing count per combination of label values."""

    def __init__(self, name: str, help_text: str, labelnames: tuple[str, ...] = ()) -> None:
        self.name = name
        self.help_text = help_text
        self.labelnames = labelnames
        self._values: dict[tuple[str, ...], float] = {}
        # Handlers run on the event loop, responders in worker threads: either may count.
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        """Add ``amount`` (≥ 0) to the series named by ``labels``."""
        if amount < 0:
            raise ValueError(f"counter {self.name} cannot decrease (got {amount})")
        if set(labels) != set(self.labelnames):
            raise ValueError(f"counter {self.name} takes labels {self.labelnames}, got {tuple(labels)}")
        key = tuple(str(labels[name]) for name in self.labelnames)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        """The current count of one series (0 when never incremented)."""
        key = tuple(str(labels[name]) for name in self.labelnames)
        with self._lock:
            return self._values.get(key, 0.0)

    def render(self) -> str:
        """This counter's HELP, TYPE and sample lines."""
        lines = [f"# HELP {self.name} {_escape_help(self.help_text)}", f"# TYPE {self.name} counter"]
        with self._lock:
            samples = sorted(self._values.items())
        for key, count in samples:
            if key:
                pairs = ",".join(
                    f'{name}="{_escape_label(value)}"'
                    for name, value in zip(self.labelnames, key, strict=True)
                )
                lines.append(f"{self.name}{{{pairs}}} {count:g}")
            else:
                lines.append(f"{self.name} {count:g}")
        return "\n".join(lines) + "\n"


class Registry:
    """Counters by name, rendered together for ``GET /metrics``."""

    def __init__(self) -> None:
        self._counters: dict[str, Counter] = {}

    def counter(self, name: str, help_text: str, labelnames: tuple[str, ...] = ()) -> Counter:
        """Create (or return the existing) counter called ``name``."""
        existing = self._counters.get(name)
        if existing is not None:
            if existing.labelnames != labelnames:
                raise ValueError(f"counter {name} already exists with labels {existing.labelnames}")
            return existing
        created = Counter(name, help_text, labelnames)
        self._counters[name] = created
        return created

    def render(self) -> str:
        """All counters in the Prometheus text format."""
        return "".join(counter.render() for counter in self._counters.values())


@dataclass(frozen=True)
class ServiceMetrics:
    """The counters the service keeps; every channel counts through these."""

    registry: Registry
    messages_in: Counter
    inbound_duplicates: Counter
    replies: Counter
    sms_sent: Counter
    sms_status: Counter
    http_errors: Counter

    @classmethod
    def create(cls, registry: Registry | None = None) -> ServiceMetrics:
        """Register the service's counters in ``registry`` (a fresh one by default)."""
        registry = registry or Registry()
        return cls(
            registry=registry,
            messages_in=registry.counter(
                "jxjy_messages_in_total", "Inbound messages by channel.", ("channel",)
            ),
            inbound_duplicates=registry.counter(
                "jxjy_inbound_duplicates_total",
                "Provider retries answered only once, by channel.",
                ("channel",),
            ),
            replies=registry.counter(
                "jxjy_replies_total", "Replies sent by channel and intent.", ("channel", "intent")
            ),
            sms_sent=registry.counter(
                "jxjy_sms_sent_total",
                "Outbound SMS replies by result (queued in the outbox; ok, retryable, failed sent directly;"
                " error when no answer could be made).",
                ("result",),
            ),
            sms_status=registry.counter(
                "jxjy_sms_status_total", "SMS delivery receipts by status.", ("status",)
            ),
            http_errors=registry.counter(
                "jxjy_http_errors_total",
                "HTTP responses with status >= 400 by route and status.",
                ("route", "status"),
            ),
        )
