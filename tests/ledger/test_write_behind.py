"""WriteBehind: batches written in order on a thread of their own; failures and cleanup reach the caller."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from ledger.write_behind import WriteBehind


class Journal:
    """What a writer did: opened, the batches on which thread, closed."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.events: list[str] = []
        self.threads: set[str] = set()
        self.fail_at = fail_at

    @contextmanager
    def opener(self) -> Iterator[Callable[[int], None]]:
        self.events.append("open")

        def write(batch: int) -> None:
            self.threads.add(threading.current_thread().name)
            if batch == self.fail_at:
                raise OSError(f"disk full at batch {batch}")
            self.events.append(f"wrote {batch}")

        try:
            yield write
        finally:
            self.events.append("closed")


def test_batches_are_written_in_order_on_another_thread() -> None:
    journal = Journal()
    writer: WriteBehind[int] = WriteBehind(journal.opener)
    for batch in range(5):
        writer.put(batch)
    writer.close()
    assert journal.events == ["open", *(f"wrote {n}" for n in range(5)), "closed"]
    assert journal.threads == {"ledger-write"}


def test_nothing_is_opened_when_nothing_is_put() -> None:
    journal = Journal()
    WriteBehind(journal.opener).close()
    assert journal.events == []


def test_a_failed_write_reaches_the_caller_and_the_writer_is_closed() -> None:
    journal = Journal(fail_at=1)
    writer: WriteBehind[int] = WriteBehind(journal.opener, depth=1)
    with pytest.raises(OSError, match="batch 1"):
        for batch in range(50):  # the failure surfaces at a later put (or at close), never hangs
            writer.put(batch)
        writer.close()
    writer.close()  # closing again after the failure is harmless
    assert journal.events == ["open", "wrote 0", "closed"]


def test_a_caller_that_fails_still_has_the_writer_closed_after_what_it_put() -> None:
    journal = Journal()
    writer: WriteBehind[int] = WriteBehind(journal.opener)
    with pytest.raises(ValueError, match="row 3"):
        try:
            writer.put(0)
            writer.put(1)
            raise ValueError("a bug while validating row 3")
        finally:
            writer.close()
    assert journal.events == ["open", "wrote 0", "wrote 1", "closed"]
