"""The async responder: one message at a time per conversation, conversations in parallel."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.channels.common import AsyncResponder
from bot.kernel.messages import Inbound, Reply


class GatedResponder:
    """Answers at once, except for the addresses in ``held``, which wait until ``release``."""

    def __init__(self, *held: str) -> None:
        self.held = set(held)
        self.gate = threading.Event()
        self.started: list[str] = []
        self.finished: list[str] = []
        self.active: dict[str, int] = {}
        self.overlaps: list[str] = []
        self._lock = threading.Lock()

    def handle(self, inbound: Inbound) -> Reply:
        with self._lock:
            self.started.append(inbound.text)
            self.active[inbound.address] = self.active.get(inbound.address, 0) + 1
            if self.active[inbound.address] > 1:
                self.overlaps.append(inbound.text)
        if inbound.address in self.held:
            assert self.gate.wait(timeout=10), "the test never released the slow conversation"
        else:
            time.sleep(0.01)
        with self._lock:
            self.active[inbound.address] -= 1
            self.finished.append(inbound.text)
        return Reply(text=f"re: {inbound.text}", intent="echo", confidence=1.0)


async def test_a_slow_conversation_does_not_delay_another() -> None:
    responder = GatedResponder("slow")
    answerer = AsyncResponder(responder)
    slow = asyncio.ensure_future(answerer.answer(Inbound("telegram", "slow", "慢")))
    await asyncio.sleep(0.05)
    assert responder.started == ["慢"]
    started = time.perf_counter()
    fast = await asyncio.wait_for(answerer.answer(Inbound("sms", "13800000000", "快")), timeout=2)
    assert fast.text == "re: 快" and time.perf_counter() - started < 1
    assert not slow.done()  # still stuck, and it stalled nobody
    responder.gate.set()
    assert (await slow).text == "re: 慢"
    answerer.close()


async def test_messages_of_one_conversation_are_answered_one_at_a_time_in_order() -> None:
    responder = GatedResponder("a")
    answerer = AsyncResponder(responder)
    first = [asyncio.ensure_future(answerer.answer(Inbound("telegram", "a", f"a{n}"))) for n in range(5)]
    others = [asyncio.ensure_future(answerer.answer(Inbound("telegram", "b", f"b{n}"))) for n in range(5)]
    await asyncio.wait_for(asyncio.gather(*others), timeout=5)
    assert [text for text in responder.started if text.startswith("a")] == ["a0"]  # the rest wait their turn
    responder.gate.set()
    assert [r.text for r in await asyncio.gather(*first)] == [f"re: a{n}" for n in range(5)]
    assert [t for t in responder.finished if t.startswith("a")] == ["a0", "a1", "a2", "a3", "a4"]
    assert [t for t in responder.finished if t.startswith("b")] == ["b0", "b1", "b2", "b3", "b4"]
    assert responder.overlaps == []
    answerer.close()


async def test_locks_are_dropped_when_their_conversation_is_idle() -> None:
    responder = GatedResponder()
    answerer = AsyncResponder(responder)
    await asyncio.gather(*(answerer.answer(Inbound("sms", f"1380000{n:04d}", "你好")) for n in range(200)))
    assert answerer.conversations_in_flight == 0
    answerer.close()
    # Closed, it starts anew on the next message.
    assert (await answerer.answer(Inbound("sms", "13800000000", "再见"))).text == "re: 再见"
    answerer.close()


async def test_a_failure_frees_the_conversation_for_its_next_message() -> None:
    class Failing:
        def __init__(self) -> None:
            self.calls = 0

        def handle(self, inbound: Inbound) -> Reply:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("the brain failed")
            return Reply(text="ok", intent="echo", confidence=1.0)

    answerer = AsyncResponder(Failing())
    with pytest.raises(RuntimeError, match="the brain failed"):
        await answerer.answer(Inbound("sms", "13800000000", "一"))
    assert (await answerer.answer(Inbound("sms", "13800000000", "二"))).text == "ok"
    assert answerer.conversations_in_flight == 0
    answerer.close()
