"""Replies stored already claimed for this process's dispatcher, handed to it in memory.

The service's group commit inserts each answer in ``sending`` for the running dispatcher (its owner name)
and, once that transaction has committed, hands the rows over here; the dispatcher's next pass sends them
without the claim that would otherwise read them back (one statement and one commit fewer per pass).
Nothing is lost if the process dies in between: the rows are in ``sending`` under an owner whose lock
is gone, and recovery requeues them like any row a dispatcher left there.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from reminders.outbox_rows import Claimed


class ReplyHandoff(Protocol):
    """Where the group commit hands replies it stored claimed (``bot.channels.group_commit``)."""

    def owner_for_replies(self) -> str | None:
        """The dispatcher to claim new replies for, or None (store them queued)."""
        ...

    def replies_stored(self, owner: str | None, claimed: Sequence[Claimed], queued: bool) -> None:
        """After the commit: the rows claimed for ``owner``; ``queued`` when some were stored queued."""
        ...


class Handoff:
    """The dispatcher's side: the owner to claim for while it runs, and the rows handed over since."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # rows arrive from the group commit's worker thread
        self._owner: str | None = None
        self._rows: list[tuple[str, Claimed]] = []
        self._claim_wanted = False

    def open(self, owner: str | None) -> None:
        """Claim new replies for ``owner`` from now on (None: store them queued)."""
        self._owner = owner

    def owner_for_replies(self) -> str | None:
        return self._owner

    def replies_stored(self, owner: str | None, claimed: Sequence[Claimed], queued: bool) -> None:
        with self._lock:
            if owner is not None:
                self._rows.extend((owner, row) for row in claimed)
            self._claim_wanted = self._claim_wanted or queued

    def take(self, owner: str) -> tuple[list[Claimed], bool]:
        """The rows handed over for ``owner`` (others: requeued by recovery), and whether a claim is due."""
        with self._lock:
            rows, self._rows = self._rows, []
            wanted, self._claim_wanted = self._claim_wanted, False
        return [row for row_owner, row in rows if row_owner == owner], wanted

    def __len__(self) -> int:
        """How many rows wait for the next pass."""
        return len(self._rows)
