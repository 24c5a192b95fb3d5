"""What staff teach the bot: examples filed under an intent, new topics with a reviewed answer, retraining.

Taught data lives in the database (``taught_examples``, ``taught_topics``) and is merged into the packaged
training data and campaign whenever a model loads (``Taught``). ``Retrainer`` trains in a background
thread and swaps the running brains' answers and model (``LiveInterpreter``) when it is done: no restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, and_, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from bot.console.models import TaughtExample, TaughtTopic
from bot.console.taught import LiveInterpreter, Taught, TopicAnswer
from bot.dialogue.second_stage import TAUGHT_PREFIX
from knowledge.campaign import SHORT_LIMIT
from nlu.interpreter import LocalInterpreter
from nlu.training_data import TrainingData

log = logging.getLogger(__name__)

EXAMPLES: Table = TaughtExample.__table__  # type: ignore[assignment]
TOPICS: Table = TaughtTopic.__table__  # type: ignore[assignment]
TOPIC_PREFIX = TAUGHT_PREFIX
STATUS_LABELS = {"draft": "待审核", "approved": "已上线", "rejected": "已退回"}
OWN_TOPIC = "这个主题是您本人写的，不能自己批准：审核要由另一位工作人员登录后完成。您可以退回它。"


class TeachingError(Exception):
    """A teaching request that cannot be done; the message says why, in Chinese."""


class TaughtStore:
    """Taught examples and topics in SQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_examples(self, texts: list[str], intent: str, by: str, at: dt.datetime) -> int:
        """File ``texts`` under ``intent``; return how many were new."""
        texts = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
        with self._engine.begin() as conn:
            known = set(
                conn.execute(
                    select(EXAMPLES.c.text).where(EXAMPLES.c.intent == intent, EXAMPLES.c.text.in_(texts))
                ).scalars()
            )
            rows = [{"text": t, "intent": intent, "taught_by": by, "at": at} for t in texts if t not in known]
            if rows:
                conn.execute(insert(EXAMPLES), rows)
        return len(rows)

    def add_topic(self, label: str, full: str, short: str, texts: list[str], by: str, at: dt.datetime) -> str:
        """Write a new topic as a draft with its example questions; return its intent name."""
        label, full, short = label.strip(), full.strip(), short.strip() or full.strip()
        if not label or not full:
            raise TeachingError("请填写主题名称和回答")
        if len(short) > SHORT_LIMIT:
            raise TeachingError(f"短信版回答有 {len(short)} 字，最多 {SHORT_LIMIT} 字，请另写一段短的")
        intent = TOPIC_PREFIX + hashlib.sha256(f"{label}\n{at.isoformat()}".encode()).hexdigest()[:8]
        row: dict[str, object] = {"intent": intent, "label": label[:100], "full": full, "short": short}
        row |= {"status": "draft", "created_by": by, "created_at": at}
        with self._engine.begin() as conn:
            conn.execute(insert(TOPICS).values(row))
        self.add_examples(texts, intent, by, at)
        return intent

    def review_topic(self, intent: str, approve: bool, by: str, at: dt.datetime) -> None:
        """Approve (it goes live at the next training) or send back a draft topic.

        Review means a second person: the staff member who wrote the topic may send it back, not approve it.
        """
        status = "approved" if approve else "rejected"
        draft = and_(TOPICS.c.intent == intent, TOPICS.c.status == "draft")
        with self._engine.begin() as conn:
            author = conn.execute(select(TOPICS.c.created_by).where(draft)).scalar()
            if author is None:
                raise TeachingError("该主题不存在，或已审核过")
            if approve and author == by:
                raise TeachingError(OWN_TOPIC)
            changed = conn.execute(
                update(TOPICS).where(draft).values(status=status, reviewed_by=by, reviewed_at=at)
            ).rowcount
        if not changed:
            raise TeachingError("该主题不存在，或已审核过")

    def topics(self) -> list[dict[str, Any]]:
        """Every topic, newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(TOPICS).order_by(TOPICS.c.created_at.desc()))
            return [dict(row._mapping) for row in rows]

    def taught_texts(self) -> set[str]:
        """Every text staff already filed (these leave the unanswered list)."""
        with self._engine.connect() as conn:
            return set(conn.execute(select(EXAMPLES.c.text)).scalars())

    def load(self) -> Taught:
        """What is taught: approved topics and every filed example (``Taught`` keeps the live ones)."""
        taught = Taught()
        with self._engine.connect() as conn:
            for row in conn.execute(select(TOPICS).where(TOPICS.c.status == "approved")):
                taught.topics[row.intent] = TopicAnswer(row.label, row.full, row.short)
            query = select(EXAMPLES.c.text, EXAMPLES.c.intent).order_by(EXAMPLES.c.id)
            taught.examples.extend((text, intent) for text, intent in conn.execute(query))
        return taught


def read_taught(engine: Engine) -> Taught:
    """What is taught, or nothing when the tables are not there yet (an older or empty database)."""
    try:
        return TaughtStore(engine).load()
    except SQLAlchemyError as exc:
        log.info("no taught NLU data: %s", type(exc).__name__)
        return Taught()


# Puts a freshly trained interpreter and what was taught into the running service.
Swap = Callable[[LocalInterpreter, Taught], None]


class Retrainer:
    """Retrain the NLU with what was taught, in a background thread, then hand it to ``swap``.

    Training takes seconds; the service keeps answering with the current model meanwhile. Requests that
    arrive during a run are coalesced into one more run with the newest data.
    """

    def __init__(
        self,
        store: TaughtStore,
        cache_dir: Path,
        threshold: float,
        swap: Swap,
        training_files: tuple[Path, ...] = (),
        on_trained: Callable[[TrainingData], None] | None = None,
    ) -> None:
        self._store = store
        self._cache_dir = cache_dir
        self._threshold = threshold
        self._swap = swap
        self._files = training_files
        self._on_trained = on_trained  # e.g. publish the model to the other instances
        self._lock = threading.Lock()
        self._wanted = 0  # runs asked for
        self._thread: threading.Thread | None = None
        self.generation = 0  # the last run swapped in
        self.error: str | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def retrain_soon(self) -> None:
        """Start a training run (or ask the running one to go again with the newest data)."""
        with self._lock:
            self._wanted += 1
            if self.busy:
                return
            self._thread = threading.Thread(target=self._run, name="nlu-retrain", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the training in progress; True when none is left running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    def _run(self) -> None:
        while True:
            with self._lock:
                target = self._wanted
            try:
                self._train_and_swap()
                self.error = None
            except Exception as exc:  # the service keeps its current model; staff see why
                log.exception("NLU retraining failed")
                self.error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self.generation = target
                if self._wanted == target:
                    return

    def _train_and_swap(self) -> None:
        from nlu.model import load_or_train
        from nlu.training_data import load_training_data

        base = load_training_data(*self._files)
        taught = self._store.load()
        data = taught.training_data(base)
        interpreter = LocalInterpreter(load_or_train(data, self._cache_dir), data, self._threshold)
        self._swap(interpreter, taught)
        log.info(
            "NLU retrained: %d examples (%d taught), swapped in", len(data.examples), len(taught.examples)
        )
        if self._on_trained is not None:
            self._on_trained(data)


def swap_into(responder: Any, live: LiveInterpreter | None) -> Swap:
    """The swap for a running brain (or a SeasonalBrain's brains): new answers first, then the new model.

    A brain parsing with a Rasa server keeps it; only the approved answers change there.
    """

    def swap(interpreter: LocalInterpreter, taught: Taught) -> None:
        brains = responder.brains() if hasattr(responder, "brains") else [responder]
        for brain in brains:
            # Answers before the model, so a message in between never meets an intent without an answer.
            brain.campaign = taught.campaign(brain.campaign)
        if live is not None and isinstance(live.target, LocalInterpreter):
            live.target = interpreter
        elif live is not None:
            log.warning(
                "the service parses with %s; taught examples apply to the local engine only", live.target
            )

    return swap
