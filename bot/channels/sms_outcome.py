"""What a mainland SMS provider did with one message: sent, retry later, or failed for good."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SmsStatus = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class SmsOutcome:
    """One send's outcome: ``code`` is the provider's own, ``provider_id`` its receipt id when sent."""

    status: SmsStatus
    code: str
    message: str = ""
    provider_id: str | None = None

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    @property
    def retryable(self) -> bool:
        """True when a later attempt may succeed (throttling, provider trouble), so keep the message."""
        return self.status == "retry"


class PushError(ValueError):
    """A provider push (inbound SMS or delivery report) that is not in the documented shape; answer 400."""
