"""The Batcher: calls that arrive together run as one batch; with concurrency, batches overlap but answer in order."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from bot.kernel.batching import Batcher


class Gate:
    """A batch function whose batches wait until the test lets each one end (by its first item)."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        self._open: dict[str, threading.Event] = {}

    def release(self, first: str) -> None:
        with self._lock:
            self._open.setdefault(first, threading.Event()).set()

    def __call__(self, items: Sequence[str]) -> list[str]:
        with self._lock:
            self.batches.append(list(items))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            gate = self._open.setdefault(items[0], threading.Event())
        try:
            if not gate.wait(5):
                raise TimeoutError(f"batch {items[0]} never released")
            if items[0].startswith("bad"):
                raise ValueError(items[0])
            return [item.upper() for item in items]
        finally:
            with self._lock:
                self.running -= 1


async def started(gate: Gate, count: int) -> None:
    for _ in range(500):
        if len(gate.batches) >= count:
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"{count} batches never started: {gate.batches}")


async def test_one_batch_at_a_time_and_what_came_meanwhile_forms_the_next() -> None:
    gate = Gate()
    batcher: Batcher[str, str] = Batcher(gate)
    first = asyncio.ensure_future(batcher.submit("a"))
    await started(gate, 1)
    later = [asyncio.ensure_future(batcher.submit(item)) for item in ("b", "c")]
    await asyncio.sleep(0.02)
    assert gate.batches == [["a"]]  # b and c wait for a's batch to end
    gate.release("a")
    gate.release("b")
    assert [await first, *await asyncio.gather(*later)] == ["A", "B", "C"]
    assert gate.batches == [["a"], ["b", "c"]] and gate.most_at_once == 1


async def test_with_concurrency_two_batches_overlap_and_answer_in_the_order_they_started() -> None:
    gate = Gate()
    batcher: Batcher[str, str] = Batcher(gate, concurrency=2)
    first = asyncio.ensure_future(batcher.submit("a"))
    await started(gate, 1)
    second = asyncio.ensure_future(batcher.submit("b"))
    await started(gate, 2)
    assert gate.most_at_once == 2
    gate.release("b")  # the later batch ends first ...
    await asyncio.sleep(0.05)
    assert not second.done()  # ... but its caller hears only after the earlier batch ended
    gate.release("a")
    assert (await first, await second) == ("A", "B")


async def test_a_failed_batch_fails_only_its_own_callers() -> None:
    gate = Gate()
    batcher: Batcher[str, str] = Batcher(gate, concurrency=2)
    bad = asyncio.ensure_future(batcher.submit("bad"))
    await started(gate, 1)
    good = asyncio.ensure_future(batcher.submit("good"))
    await started(gate, 2)
    gate.release("good")
    gate.release("bad")
    with pytest.raises(ValueError, match="bad"):
        await bad
    assert await good == "GOOD"
    gate.release("next")
    assert await batcher.submit("next") == "NEXT"  # the batcher goes on


async def test_a_batch_cancelled_midway_does_not_hold_the_next_back() -> None:
    gate = Gate()
    batcher: Batcher[str, str] = Batcher(gate, concurrency=2)
    first = asyncio.ensure_future(batcher.submit("a"))
    await started(gate, 1)
    runners = list(batcher._runners)
    second = asyncio.ensure_future(batcher.submit("b"))
    await started(gate, 2)
    for runner in runners:
        runner.cancel()
    gate.release("b")
    assert await asyncio.wait_for(second, 2) == "B"
    gate.release("a")  # lets the cancelled batch's thread end
    await asyncio.sleep(0.01)
    assert not first.done() or first.cancelled() or first.result() == "A"


def test_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Batcher(lambda items: items, concurrency=0)
