"""Key rotation: re-encrypt every stored ID number and recompute its lookup hash, in one transaction."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select

from ledger.bulk import bulk_update
from ledger.crypto import IdVault
from ledger.store import TRAINEES

if TYPE_CHECKING:
    from bot.kernel.settings import Settings

log = logging.getLogger(__name__)


def rotate_key(engine: Engine, old: IdVault, new: IdVault) -> int:
    """Move every trainee from ``old`` to ``new`` keys; return how many rows were rewritten.

    Raises ledger.crypto.KeyMismatchError, changing nothing, when a row was not sealed with ``old``.
    """
    with engine.begin() as conn:
        rows = conn.execute(select(TRAINEES.c.id, TRAINEES.c.id_cipher)).all()
        updates = []
        for trainee_id, cipher in rows:
            id_number = old.decrypt(cipher)
            updates.append(
                {"id_cipher": new.encrypt(id_number), "id_hash": new.lookup_hash(id_number), "id": trainee_id}
            )
        bulk_update(conn, TRAINEES, "id", updates)
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
    try:
        yield lambda: os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
