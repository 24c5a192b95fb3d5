"""Test support: trainees written straight into the ledger tables, Shanghai times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Engine, Table, insert

from knowledge.status import TraineeRecord
from ledger.models import Binding, Trainee, TraineePost
from tests.timezone import SHANGHAI

TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]
POSTS: Table = TraineePost.__table__  # type: ignore[assignment]
BINDINGS: Table = Binding.__table__  # type: ignore[assignment]

CREATED = dt.datetime(2023, 7, 20, tzinfo=dt.UTC)


def record(trainee_id: int, **changes: object) -> TraineeRecord:
    """A trainee who has done nothing yet; ``changes`` override fields."""
    values: dict[str, object] = {
        "trainee_id": trainee_id,
        "name": f"学员{trainee_id}",
        "id_masked": "4306**********1237",
        "phone": f"138{trainee_id:08d}",
        "posts": ("安全员",),
        "employer": "岳阳建工",
        "registered": False,
        "confirmed": False,
        "confirmed_on": None,
        "paid": False,
        "online_hours": 0.0,
        "offline_hours": 0.0,
        "audited": False,
        "opted_out": False,
    }
    values.update(changes)
    return TraineeRecord(**values)  # type: ignore[arg-type]


def insert_trainees(
    engine: Engine,
    records: Iterable[TraineeRecord],
    telegram: dict[int, str] | None = None,
    campaign: str = "yueyang-2023",
) -> None:
    """Write records into the ledger's tables in bulk (the ledger's own import is not under test here)."""
    rows, posts = [], []
    for r in records:
        rows.append(
            {
                "id": r.trainee_id, "campaign": campaign, "id_hash": f"h{r.trainee_id}", "id_cipher": "-", "id_masked": r.id_masked,
                "name": r.name, "phone": r.phone, "employer": r.employer, "registered": r.registered,
                "confirmed": r.confirmed, "confirmed_on": r.confirmed_on, "paid": r.paid,
                "online_hours": r.online_hours, "offline_hours": r.offline_hours, "audited": r.audited,
                "opted_out": r.opted_out, "created_at": CREATED, "updated_at": CREATED,
            }
        )  # fmt: skip
        posts += [{"trainee_id": r.trainee_id, "post": p, "position": i} for i, p in enumerate(r.posts)]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(TRAINEES), rows[start : start + 5000])
        for start in range(0, len(posts), 5000):
            conn.execute(insert(POSTS), posts[start : start + 5000])
        if telegram:
            conn.execute(
                insert(BINDINGS),
                [
                    {"channel": "telegram", "address": a, "trainee_id": t, "created_at": CREATED}
                    for t, a in telegram.items()
                ],
            )


def shanghai(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
