"""The service's counters, kept in a ``prometheus_client`` registry and rendered for ``GET /metrics``."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class ServiceMetrics:
    """The counters the service keeps; every channel counts through these."""

    registry: CollectorRegistry
    messages_in: Counter
    inbound_duplicates: Counter
    inbound_capped: Counter
    replies: Counter
    sms_sent: Counter
    sms_status: Counter
    http_errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> ServiceMetrics:
        """Register the service's counters in ``registry`` (a fresh one by default, so tests stay apart)."""
        registry = registry or CollectorRegistry(auto_describe=True)

        def counter(name: str, help_text: str, labels: tuple[str, ...]) -> Counter:
            return Counter(name, help_text, labels, registry=registry)

        return cls(
            registry=registry,
            messages_in=counter("jxjy_messages_in", "Inbound messages by channel.", ("channel",)),
            inbound_duplicates=counter(
                "jxjy_inbound_duplicates", "Provider retries answered only once, by channel.", ("channel",)
            ),
            inbound_capped=counter(
                "jxjy_inbound_capped",
                "Inbound messages not answered because their sender passed the per-sender cap, by channel.",
                ("channel",),
            ),
            replies=counter("jxjy_replies", "Replies by channel and intent.", ("channel", "intent")),
            sms_sent=counter(
                "jxjy_sms_sent", "SMS replies by result (queued in the outbox, or error).", ("result",)
            ),
            sms_status=counter("jxjy_sms_status", "SMS delivery receipts by status.", ("status",)),
            http_errors=counter(
                "jxjy_http_errors",
                "HTTP responses with status >= 400 by route and status.",
                ("route", "status"),
            ),
        )

    def render(self) -> bytes:
        """Every counter in the Prometheus text format."""
        return generate_latest(self.registry)

    def value(self, name: str, **labels: str) -> float:
        """The current value of one series (0 when never incremented); ``name`` without ``_total``."""
        return self.registry.get_sample_value(f"{name}_total", labels) or 0.0
