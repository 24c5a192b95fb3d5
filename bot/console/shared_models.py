"""Every `jxjy serve` on one database answers with the newest model staff taught, without a restart.

The instance that retrains publishes the model in ``shared_models``: a version number, the fingerprint of its
training data and, for the newest few, the ``.npz`` file itself. Every instance checks the newest version
every ``FOLLOW_INTERVAL`` seconds and whenever staff open the unanswered questions; when it moved, it reads
what is taught from the database and loads the model for it from its own cache, else from the shared table,
and trains only when neither has it (an instance running other code, whose fingerprints differ).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table, func, insert, select, update

from bot.console.models import SharedModel
from bot.kernel.clock import Clock

if TYPE_CHECKING:
    from aiohttp import web

    from bot.console.teaching import Swap, TaughtStore
    from nlu.training_data import TrainingData

log = logging.getLogger(__name__)

MODELS: Table = SharedModel.__table__  # type: ignore[assignment]
FOLLOW_INTERVAL = 30.0  # seconds between checks for a model another instance trained
KEEP_ARTEFACTS = 3  # the newest models whose files stay in the database


class SharedModels:
    """The models trained on this database, newest last."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def publish(self, fingerprint: str, artefact: bytes | None, by: str) -> int:
        """Record a newly trained model (and its file); return its version. Older files are dropped."""
        row = {"fingerprint": fingerprint, "artefact": artefact, "trained_by": by[:128]}
        with self._engine.begin() as conn:
            result = conn.execute(insert(MODELS).values(**row, trained_at=self._clock.now()))
            version = int(result.inserted_primary_key[0])  # type: ignore[index]
            conn.execute(
                update(MODELS)
                .where(MODELS.c.id <= version - KEEP_ARTEFACTS, MODELS.c.artefact.is_not(None))
                .values(artefact=None)
            )
        return int(version)

    def latest(self) -> int:
        """The newest version (0 before any retraining): one index lookup, cheap enough for every check."""
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(MODELS.c.id), 0))).scalar_one())

    def artefact(self, fingerprint: str) -> bytes | None:
        """The newest kept file of a model trained on data with ``fingerprint``, or None."""
        query = (
            select(MODELS.c.artefact)
            .where(MODELS.c.fingerprint == fingerprint, MODELS.c.artefact.is_not(None))
            .order_by(MODELS.c.id.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            return conn.execute(query).scalar()


class ModelFollower:
    """Keep this instance on the newest model any instance on the database trained.

    ``version`` is the newest published version this instance runs (0: the model it started with, which
    was built from what the database held then).
    """

    def __init__(
        self,
        models: SharedModels,
        store: TaughtStore,
        cache_dir: Path,
        threshold: float,
        swap: Swap,
        instance: str = "",
        training_files: tuple[Path, ...] = (),
    ) -> None:
        self._models = models
        self._store = store
        self._cache_dir = cache_dir
        self._threshold = threshold
        self._swap = swap
        self._instance = instance or f"{socket.gethostname()}:{os.getpid()}"  # who trained, for staff
        self._files = training_files
        self._lock = threading.Lock()  # one reload (or publication) at a time
        self._thread: threading.Thread | None = None
        self.version = 0
        self.error: str | None = None

    @property
    def busy(self) -> bool:
        """A reload is running in the background."""
        return self._thread is not None and self._thread.is_alive()

    def publish(self, data: TrainingData) -> None:
        """Publish the model this instance just trained on ``data`` (the retrainer calls this)."""
        from nlu.model import cache_path, fingerprint

        path = cache_path(self._cache_dir, data)
        artefact = path.read_bytes() if path.exists() else None
        with self._lock:
            self.version = self._models.publish(fingerprint(data), artefact, self._instance)
        log.info("NLU model %s published as version %d", fingerprint(data), self.version)

    def check(self) -> bool:
        """Reload when a newer model was published; True when this instance changed its model."""
        if self._models.latest() <= self.version:
            return False
        with self._lock:
            latest = self._models.latest()
            if latest <= self.version:
                return False
            self._reload()
            self.version = latest
        log.info("NLU model version %d loaded (trained by another instance)", latest)
        return True

    def check_soon(self) -> bool:
        """Check without waiting: a reload, when needed, runs in a background thread. True while one runs."""
        if not self.busy and self._models.latest() > self.version:
            self._thread = threading.Thread(target=self._check_logged, name="nlu-follow", daemon=True)
            self._thread.start()
        return self.busy

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background reload; True when none is left running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    def _check_logged(self) -> None:
        try:
            self.check()
            self.error = None
        except Exception as exc:  # the instance keeps its current model; staff see why
            log.exception("loading the newest NLU model failed")
            self.error = f"{type(exc).__name__}: {exc}"

    def _reload(self) -> None:
        from nlu.interpreter import LocalInterpreter
        from nlu.model import load_or_train
        from nlu.training_data import load_training_data

        taught = self._store.load()
        data = taught.training_data(load_training_data(*self._files))
        self._fetch(data)
        interpreter = LocalInterpreter(load_or_train(data, self._cache_dir), data, self._threshold)
        self._swap(interpreter, taught)

    def _fetch(self, data: TrainingData) -> None:
        """Put the shared file of the model for ``data`` into this instance's cache, unless it is there."""
        from nlu.model import cache_path, fingerprint

        path = cache_path(self._cache_dir, data)
        if path.exists():
            return
        artefact = self._models.artefact(fingerprint(data))
        if artefact is None:
            return  # trained by other code (another fingerprint), or dropped: train here
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, staged = tempfile.mkstemp(dir=path.parent, prefix=".nlu-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(artefact)
            os.replace(staged, path)
        except BaseException:
            Path(staged).unlink(missing_ok=True)
            raise

    def following(
        self, interval: float = FOLLOW_INTERVAL
    ) -> Callable[[web.Application], AsyncIterator[None]]:
        """A cleanup context for the app: check every ``interval`` seconds, in a thread, while it runs.

        At shutdown it waits for a check or reload in progress, so none outlives the database engine.
        """

        async def context(app: web.Application) -> AsyncIterator[None]:
            stop = threading.Event()

            def run() -> None:
                while not stop.wait(interval):
                    self._check_logged()

            thread = threading.Thread(target=run, name="nlu-follow-timer", daemon=True)
            thread.start()
            yield
            stop.set()
            await asyncio.to_thread(thread.join, 120)
            await asyncio.to_thread(self.wait, 120)

        return context
