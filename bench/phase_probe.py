"""Bench only: `jxjy serve` with each request's phases timed, written to a file when the service ends.

serving.py starts this instead of `jxjy serve` when JXJY_BENCH_PHASES names a file. It wraps, in this
process only, the handlers of the inbound channels, the batchers (claims and group commits), the answering
threads and the dispatcher's passes, and keeps a time (``time.monotonic``, the same clock in every process)
for each step; a task measures the event loop's lag. Nothing of the product changes. `phase_report.py`
reads the file with the client's own times.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = os.environ["JXJY_BENCH_PHASES"]
REQUEST: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("bench_request", default=None)
requests: list[list[Any]] = []
batches: list[tuple[Any, ...]] = []
passes: list[tuple[float, float]] = []
lags: list[tuple[float, float]] = []
late_imports: list[tuple[float, str]] = []  # modules first imported once requests came
connects: list[tuple[float, float]] = []  # database connections opened (when, how long)
samples: list[tuple[float, str, str]] = []  # (when, thread, stack) of every thread, early in the load
now = time.monotonic


def mark(phase: str, value: Any = None) -> None:
    record = REQUEST.get()
    if record is not None:
        record.append((phase, now(), value) if value is not None else (phase, now()))


def timed_handler(handler: Any) -> Any:
    async def wrapped(request: Any) -> Any:
        if not requests:
            _watch_imports()
            if os.environ.get("JXJY_BENCH_SAMPLE"):
                _sample_threads(float(os.environ["JXJY_BENCH_SAMPLE"]))
        record: list[Any] = [("enter", now())]
        REQUEST.set(record)
        requests.append(record)
        _watch_loop()
        try:
            return await handler(request)
        finally:
            record.append(("exit", now()))

    return wrapped


def patch_handlers() -> None:
    from bot.channels import sms_aliyun, sms_http, sms_tencent, telegram_webhook, wechat

    for module, name in (
        (sms_http, "sms_inbound"), (sms_aliyun, "aliyun_up"), (sms_tencent, "tencent_reply"),
        (telegram_webhook, "telegram_webhook"), (wechat, "wechat_push"),
    ):  # fmt: skip
        setattr(module, name, timed_handler(getattr(module, name)))


def patch_batcher() -> None:
    from bot.kernel import batching

    batcher = batching.Batcher
    init, submit, submit_all, run = (
        batcher.__init__,
        batcher.submit,
        batcher.submit_all,
        batcher._run_with_retry,
    )
    inside: dict[int, tuple[float, float]] = {}  # id of a batch's item list -> its time in the worker thread

    def timed_init(self: Any, run_batch: Any, **kwargs: Any) -> None:
        self.bench_kind = type(run_batch).__name__

        def in_thread(items: list[Any]) -> Any:
            started = now()
            try:
                return run_batch(items)
            finally:
                inside[id(items)] = (started, now())

        init(self, in_thread, **kwargs)

    def kind(self: Any) -> str:
        return str(self.bench_kind)

    async def timed_submit(self: Any, item: Any) -> Any:
        name = kind(self)
        provider_id = getattr(item, "provider_id", None)
        mark(f"{name}>", provider_id if name == "GroupIntake" else None)
        try:
            return await submit(self, item)
        finally:
            mark(f"{name}<")

    async def timed_submit_all(self: Any, *items: Any) -> Any:
        mark(f"{kind(self)}>")
        try:
            return await submit_all(self, *items)
        finally:
            mark(f"{kind(self)}<")

    async def timed_run(self: Any, items: list[Any]) -> Any:
        started = now()
        try:
            return await run(self, items)
        finally:
            thread = inside.pop(id(items), (started, started))
            batches.append((kind(self), len(items), started, *thread, now()))

    batcher.__init__ = timed_init  # type: ignore[method-assign]
    batcher.submit, batcher.submit_all, batcher._run_with_retry = timed_submit, timed_submit_all, timed_run


def patch_answerer() -> None:
    from bot.channels import common

    responder = common.AsyncResponder

    async def answer(self: Any, inbound: Any) -> Any:
        mark("answer>")
        key = (inbound.channel, inbound.address)
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = common._Turns()
        turns.users += 1
        record = REQUEST.get()
        try:
            async with turns.lock:

                def handle() -> Any:
                    if record is not None:
                        record.append(("thread>", now()))
                    try:
                        return self._handle(inbound)
                    finally:
                        if record is not None:
                            record.append(("thread<", now()))

                return await asyncio.get_running_loop().run_in_executor(self._pool(), handle)
        finally:
            mark("answer<")
            turns.users -= 1
            if turns.users == 0:
                del self._turns[key]

    responder.answer = answer  # type: ignore[method-assign]


def patch_dispatcher() -> None:
    from reminders import dispatcher

    original = dispatcher.Dispatcher.dispatch_due

    async def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = now()
        try:
            return await original(self, *args, **kwargs)
        finally:
            passes.append((started, now()))

    dispatcher.Dispatcher.dispatch_due = timed  # type: ignore[method-assign]


_watching: list[asyncio.Task[None]] = []


def _watch_imports() -> None:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "import" and args[0] not in sys.modules:
            late_imports.append((now(), str(args[0])))

    sys.addaudithook(hook)


def _sample_threads(seconds: float) -> None:
    import threading
    import traceback

    names = {}

    def sample() -> None:
        until = now() + seconds
        while now() < until:
            names.update({t.ident: t.name for t in threading.enumerate()})
            at = now()
            for ident, frame in sys._current_frames().items():
                if ident == threading.get_ident():
                    continue
                stack = ";".join(f"{f.name}:{f.lineno}" for f in traceback.extract_stack(frame)[-8:])
                samples.append((at, str(names.get(ident, ident)), stack))
            time.sleep(0.001)

    threading.Thread(target=sample, daemon=True).start()


def patch_connect() -> None:
    import psycopg

    connect = psycopg.Connection.connect

    def timed(cls: Any, *args: Any, **kwargs: Any) -> Any:
        started = now()
        try:
            return connect.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined]
        finally:
            connects.append((started, now() - started))

    psycopg.Connection.connect = classmethod(timed)  # type: ignore[method-assign,assignment]
    psycopg.connect = psycopg.Connection.connect  # type: ignore[assignment]  # as psycopg binds it


def _watch_loop() -> None:
    if _watching:
        return

    async def watch() -> None:
        while True:
            before = now()
            await asyncio.sleep(0.005)
            late = now() - before - 0.005
            if late > 0.002:
                lags.append((before, late))

    _watching.append(asyncio.get_running_loop().create_task(watch()))


def write() -> None:
    with open(OUT, "w", encoding="utf-8") as out:
        json.dump({"requests": requests, "batches": batches, "passes": passes, "lags": lags,
                   "imports": late_imports, "connects": connects, "samples": samples}, out)  # fmt: skip


def main() -> None:
    if os.environ.get("JXJY_BENCH_SWITCH"):  # try another switch interval of the interpreter's lock
        sys.setswitchinterval(float(os.environ["JXJY_BENCH_SWITCH"]))
    if os.environ.get("JXJY_BENCH_COMMITS"):  # another number of group commits at once (PostgreSQL)
        from bot.channels import common

        common.COMMITS_AT_ONCE = int(os.environ["JXJY_BENCH_COMMITS"])
    patch_handlers()
    patch_batcher()
    patch_answerer()
    patch_dispatcher()
    patch_connect()
    atexit.register(write)
    from bot.cli import main as jxjy

    sys.argv[0] = "jxjy"
    jxjy()


if __name__ == "__main__":
    main()
