"""What the dialogue remembers between two messages of one conversation, and where it keeps it.

The brain loads the state at each message and saves it after, so two messages of one conversation may
reach two instances of the service: ``SqlConversationStore`` (bot/dialogue/conversation_sql.py) keeps it
in the database, ``MemoryConversationStore`` in the process (tests, the terminal, ``ask --jsonl``).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any, Protocol

# A conversation idle for longer starts afresh: no topic, no offered choices, no half-done binding.
CONTEXT_TTL = dt.timedelta(minutes=30)


@dataclass
class ConversationState:
    """What the brain remembers about one conversation between messages."""

    previous_intent: str | None = None
    awaiting: str | None = None  # a step of a guided flow: "bind" (ID or name missing), "bind_code"
    pending_id: str | None = None  # an ID number sent without a name, for the next message
    pending_name: str | None = None  # a name sent without an ID number, for the next message
    offered: tuple[str, ...] = ()  # the numbered topics the last fallback offered
    updated_at: dt.datetime | None = None

    def copy(self) -> ConversationState:
        """An independent copy (the fields are immutable values)."""
        return ConversationState(
            self.previous_intent,
            self.awaiting,
            self.pending_id,
            self.pending_name,
            self.offered,
            self.updated_at,
        )

    def as_dict(self) -> dict[str, Any]:
        """The state as plain JSON-ready values (``updated_at`` as ISO text), empty fields left out."""
        values = {
            "previous_intent": self.previous_intent,
            "awaiting": self.awaiting,
            "pending_id": self.pending_id,
            "pending_name": self.pending_name,
            "offered": list(self.offered),
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
        return {key: value for key, value in values.items() if value}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ConversationState:
        """Rebuild a state written by ``as_dict``; unknown keys (a newer version's) are ignored."""
        updated = values.get("updated_at")
        return cls(
            previous_intent=values.get("previous_intent"),
            awaiting=values.get("awaiting"),
            pending_id=values.get("pending_id"),
            pending_name=values.get("pending_name"),
            offered=tuple(values.get("offered") or ()),
            updated_at=dt.datetime.fromisoformat(updated) if updated else None,
        )


class ConversationStore(Protocol):
    """Load and save the state of a conversation, which lapses ``ttl`` after its last message."""

    def load(self, channel: str, address: str, now: dt.datetime) -> ConversationState:
        """The conversation's state, or a fresh one when there is none or it has lapsed."""
        ...

    def save(self, channel: str, address: str, state: ConversationState, now: dt.datetime) -> None:
        """Keep ``state`` as of ``now`` (its ``updated_at``); it lapses ``ttl`` later."""
        ...


class MemoryConversationStore:
    """Conversation state in this process; idle conversations are swept out so a long run stays small."""

    def __init__(self, ttl: dt.timedelta = CONTEXT_TTL, sweep_at: int = 10_000) -> None:
        self.ttl = ttl
        self._states: dict[tuple[str, str], ConversationState] = {}
        self._sweep_at = self._next_sweep = sweep_at
        self._lock = threading.Lock()

    def load(self, channel: str, address: str, now: dt.datetime) -> ConversationState:
        with self._lock:
            state = self._states.get((channel, address))
        if state is None or self._lapsed(state, now):
            return ConversationState()
        # A copy, as the database would give: changes count only once saved.
        return state.copy()

    def save(self, channel: str, address: str, state: ConversationState, now: dt.datetime) -> None:
        state.updated_at = now
        with self._lock:
            if len(self._states) >= self._next_sweep:
                self._forget_idle(now)
            self._states[(channel, address)] = state

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)

    def conversations(self) -> set[tuple[str, str]]:
        """The (channel, address) pairs held."""
        with self._lock:
            return set(self._states)

    def _lapsed(self, state: ConversationState, now: dt.datetime) -> bool:
        return state.updated_at is None or now - state.updated_at > self.ttl

    def _forget_idle(self, now: dt.datetime) -> None:
        for key in [k for k, state in self._states.items() if self._lapsed(state, now)]:
            del self._states[key]
        # When most are still active, wait until the count doubles: sweeping stays linear overall.
        self._next_sweep = max(self._sweep_at, 2 * len(self._states))
