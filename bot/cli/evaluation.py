"""`jxjy nlu evaluate`: wire the real brain to the intent and answer evaluators."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.app import Runtime
from bot.dialogue.brain import Brain
from bot.kernel.clock import Clock
from nlu.answer_eval import AnswerReport, evaluate_answers, read_cases


def answer_brain(runtime: Runtime, clock: Clock) -> Brain:
    """The brain as `jxjy ask` builds it, with an empty in-memory ledger so evaluating changes nothing."""
    from bot.dialogue.desk import LedgerDesk
    from ledger.binding import BindingService
    from ledger.store import MemoryLedgerStore

    store = MemoryLedgerStore()
    desk = LedgerDesk(store, BindingService(store, clock), clock, runtime.campaign)
    return Brain(runtime.campaign, runtime.interpreter(), clock, personal=lambda: desk)


def answer_report(runtime: Runtime, files: Iterable[Path], default_now: str) -> AnswerReport:
    """Run every case of the answer sets through the brain and score the replies."""
    lines: list[str] = []
    for path in files:
        lines += Path(path).read_text(encoding="utf-8").splitlines()
    contact = runtime.campaign.facts.contact
    cases = read_cases(lines, default_now)
    return evaluate_answers(
        lambda clock: answer_brain(runtime, clock), cases, (contact.phone, contact.mobile), runtime.clock.tz
    )


def intent_report(runtime: Runtime, files: Iterable[Path], *, errors: bool, slices: bool) -> str:
    """Intent accuracy on labelled sets; with ``slices`` also intervals, slices and confusions."""
    from nlu.evaluate import evaluate_files

    report = evaluate_files(lambda: Brain(runtime.campaign, runtime.interpreter(), runtime.clock), files)
    summary = report.summary(errors=errors)
    if not slices:
        return summary
    from nlu.aspects import AspectReader
    from nlu.model import load_or_train
    from nlu.slices import SliceGuesser, slice_report
    from nlu.training_data import load_training_data

    data = load_training_data()
    pipeline = load_or_train(data, runtime.cache_dir)
    normalizer = pipeline.normalizer()
    guesser = SliceGuesser(
        AspectReader.load(normalizer),
        normalizer,
        pipeline.traditional,
        pipeline.pinyin,
        (text for text, _ in data.examples),
    )
    return f"{summary}\n{slice_report(report, guesser)}"
