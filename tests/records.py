"""Trainee records for tests, built from one base so each test states only what matters to it."""

from __future__ import annotations

import dataclasses

from knowledge.status import TraineeRecord

BASE = TraineeRecord(
    trainee_id=1,
    name="刘洋",
    id_masked="4306**********4985",
    phone="13207425393",
    posts=("资料员",),
    employer="岳阳建工集团",
    registered=False,
    confirmed=False,
    confirmed_on=None,
    paid=False,
    online_hours=0.0,
    offline_hours=0.0,
    audited=False,
)


def trainee(**changes: object) -> TraineeRecord:
    """刘洋 with nothing done and no hours, except for ``changes``."""
    return dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]
