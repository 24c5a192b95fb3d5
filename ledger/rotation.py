"""Key rotation: re-encrypt every stored ID number and recompute its lookup hash, in one transaction.

Every process that uses the key holds the ``keys`` lock shared while it runs (`jxjy serve`, `jxjy ledger
import`); rotation takes it exclusively, so it never runs beside them: it refuses, and says why, instead of
leaving rows sealed under a key a running service no longer has (or an import rows under the old one).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select

from ledger.bulk import bulk_update
from ledger.crypto import IdVault
from ledger.locks import LockBusyError, NamedLock, acquire, holding, named_lock
from ledger.store import TRAINEES

if TYPE_CHECKING:
    from bot.kernel.settings import Settings

log = logging.getLogger(__name__)

ROTATION_BUSY = (
    "密钥正被使用：服务（jxjy serve）或台账导入正在运行。请先停止所有服务实例、等导入结束，再轮换密钥；"
    "轮换完成后再启动服务。"
)
KEY_BUSY = "正在轮换密钥（jxjy ledger rotate-key），请等它结束后再试。"


def key_user_lock(engine: Engine, *, wait: float = 0.0) -> NamedLock:
    """Take the ``keys`` lock shared, as a process using the key; raise LockBusyError during a rotation."""
    lock = named_lock(engine, "keys")
    if not acquire(lock, shared=True, timeout=wait):
        raise LockBusyError(KEY_BUSY)
    return lock


@contextlib.contextmanager
def key_use(engine: Engine, *, wait: float = 30.0) -> Iterator[None]:
    """Use the key for a block (an import), waiting up to ``wait`` seconds for a rotation to finish."""
    with holding(named_lock(engine, "keys"), KEY_BUSY, shared=True, timeout=wait):
        yield


def rotate_key(engine: Engine, old: IdVault, new: IdVault, *, then: Callable[[], None] | None = None) -> int:
    """Move every trainee from ``old`` to ``new`` keys, then call ``then`` (put the key file in place),
    all under the ``keys`` lock; return how many rows were rewritten.

    Raises LockBusyError while a service or an import uses the key, and ledger.crypto.KeyMismatchError,
    changing nothing, when a row was not sealed with ``old``. The new values are computed first, so the
    write transaction is short.
    """
    with holding(named_lock(engine, "keys"), ROTATION_BUSY):
        with engine.connect() as conn:
            rows = conn.execute(select(TRAINEES.c.id, TRAINEES.c.id_cipher)).all()
        updates = []
        for trainee_id, cipher in rows:
            id_number = old.decrypt(cipher)
            updates.append(
                {"id_cipher": new.encrypt(id_number), "id_hash": new.lookup_hash(id_number), "id": trainee_id}
            )
        with engine.begin() as conn:
            bulk_update(conn, TRAINEES, "id", updates)
        if then is not None:
            then()
    log.info("re-encrypted %d trainees under the new key", len(updates))
    return len(updates)


@contextlib.contextmanager
def replace_key_file(settings: Settings, new_key: str) -> Iterator[Callable[[], None]]:
    """Stage the new key beside the generated key file; the yielded function puts it in place.

    When the key comes from JXJY_SECRET_KEY there is no file to replace and the function does nothing.
    Without the call (an error in between) the staged file is removed and the old key stays.
    """
    if not new_key.strip():
        raise ValueError("the new key is empty")
    if settings.secret_key:
        yield lambda: None
        return
    target = settings.ensure_data_dir() / "secret.key"
    staged = target.with_name("secret.key.new")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(new_key.strip() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    try:
        yield lambda: os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
