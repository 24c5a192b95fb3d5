"""The messages every channel exchanges with the brain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Inbound:
    """A message from a user: the channel (``terminal``, ``telegram``, ``sms``, ``jsonl``) and their address there."""

    channel: str
    address: str
    text: str


@dataclass(frozen=True)
class Reply:
    """What the brain answers, with the intent it understood (Rasa's names) and its confidence."""

    text: str
    intent: str
    confidence: float
    entities: tuple[dict[str, object], ...] = field(default=())


class Responder(Protocol):
    """Answer one inbound message; channels depend only on this."""

    def handle(self, inbound: Inbound) -> Reply: ...
