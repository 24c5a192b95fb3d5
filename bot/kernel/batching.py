"""Group commit: calls that arrive together run as one batch in a worker thread, one transaction for all.

Under load a service spends more on thread hand-offs and commits than on the statements themselves. A
Batcher hands each caller's item to the batch being formed; one batch runs at a time, and everything that
arrived meanwhile forms the next. Alone, a call runs at once (no waiting for company); together, 32 calls
cost one hop and one commit. Each caller gets its own result, or the batch's exception.

With ``concurrency`` above one, that many batches run at once (each in its own thread and transaction), so
a batch waiting for the disk does not hold the next one back; a batch's callers still get their results
only once every batch started before theirs has ended, in the order the batches started.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


class Batcher(Generic[T, R]):
    """Run ``run_batch(items) -> results`` (same length, same order) in a worker thread, batch by batch.

    With ``transient``, a batch failing with an error it accepts is retried with backoff for up to
    ``patience`` seconds before its callers get the error.
    """

    def __init__(
        self,
        run_batch: Callable[[list[T]], Sequence[R]],
        *,
        max_batch: int = 256,
        transient: Callable[[BaseException], bool] | None = None,
        patience: float = 0.0,
        concurrency: int = 1,
    ) -> None:
        if concurrency < 1:
            raise ValueError("a Batcher runs at least one batch at a time")
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._transient = transient
        self._patience = patience
        self._concurrency = concurrency
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._runners: set[asyncio.Task[None]] = set()
        self._last_ended: asyncio.Future[None] | None = None  # the latest batch started ends

    async def submit(self, item: T) -> R:
        """The result for ``item``, once the batch it joined has run."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        self._wake()
        return await done

    async def submit_all(self, *items: T) -> list[R]:
        """The results for ``items``, which join the same batch (or, past ``max_batch``, consecutive ones)."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[R]] = [loop.create_future() for _ in items]
        self._pending.extend(zip(items, futures, strict=True))
        self._wake()
        return list(await asyncio.gather(*futures))

    def _wake(self) -> None:
        if sum(not runner.done() for runner in self._runners) < self._concurrency:
            runner = asyncio.create_task(self._run_all())
            self._runners.add(runner)
            runner.add_done_callback(self._runners.discard)

    async def _run_all(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            before, ended = self._last_ended, asyncio.get_running_loop().create_future()
            self._last_ended = ended
            try:
                outcome = await self._outcome(batch)
                if before is not None:
                    await asyncio.shield(before)  # callers hear of batches in the order they started
            finally:
                ended.set_result(None)
            for index, (_, done) in enumerate(batch):
                if done.done():
                    continue
                if isinstance(outcome, Exception):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome[index])

    async def _outcome(self, batch: list[tuple[T, asyncio.Future[R]]]) -> Sequence[R] | Exception:
        try:
            results = await self._run_with_retry([item for item, _ in batch])
        except Exception as exc:
            return exc
        if len(results) != len(batch):
            return ValueError(f"a batch of {len(batch)} gave {len(results)} results")
        return results

    async def _run_with_retry(self, items: list[T]) -> Sequence[R]:
        started, delay = time.monotonic(), 0.02
        while True:
            try:
                return await asyncio.to_thread(self._run_batch, items)
            except Exception as exc:
                if self._transient is None or not self._transient(exc):
                    raise
                if time.monotonic() - started > self._patience:
                    raise
                log.warning("batch of %d: %s; retrying in %.2f s", len(items), type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


class Lane(Generic[T, R]):
    """Items of one kind sent to a Batcher that takes several (they share its batches), typed as that kind."""

    def __init__(self, batcher: Batcher[Any, Any]) -> None:
        self._batcher = batcher

    async def submit(self, item: T) -> R:
        """The result for ``item``, once the batch it joined has run."""
        return cast(R, await self._batcher.submit(item))

    async def submit_all(self, *items: T) -> list[R]:
        """The results for ``items``, which join the same batch (see ``Batcher.submit_all``)."""
        return cast(list[R], await self._batcher.submit_all(*items))
