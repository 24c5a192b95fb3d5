"""SMS as the fallback channel: a message WeChat or Telegram will not deliver goes to the trainee's phone.

The refused row is closed as ``failed`` with the reason and where the message went; the SMS copy is a new
outbox row under the original key plus ``:sms``, so a second refusal of the same row never queues two.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Connection, Table, select, update

from bot.kernel.personal_data import mask_address
from ledger.db import dialect_insert
from ledger.models import Binding, Trainee
from reminders.outbox import OUTBOX, REPLY_TTL, Claimed, SqlOutbox

log = logging.getLogger(__name__)

TRAINEES: Table = Trainee.__table__  # type: ignore[assignment]
BINDINGS: Table = Binding.__table__  # type: ignore[assignment]


def _trainee_and_phone(conn: Connection, claimed: Claimed) -> tuple[int | None, str | None]:
    """Whom the message is for and their phone: the row's trainee, else the trainee bound to its address."""
    trainee_id = claimed.trainee_id
    if trainee_id is None:
        trainee_id = conn.execute(
            select(BINDINGS.c.trainee_id).where(
                BINDINGS.c.channel == claimed.channel, BINDINGS.c.address == claimed.address
            )
        ).scalar()
    if trainee_id is None:
        return None, None
    phone = conn.execute(select(TRAINEES.c.phone).where(TRAINEES.c.id == trainee_id)).scalar()
    return trainee_id, phone or None


def reroute_to_sms(
    outbox: SqlOutbox, owner: str, claimed: Claimed, error: str, now: dt.datetime
) -> int | None:
    """Close ``claimed`` as failed and queue its text by SMS; return the SMS row's id, None without a phone."""
    who = mask_address(claimed.channel, claimed.address)
    with outbox.engine.begin() as conn:
        key = conn.execute(select(OUTBOX.c.idempotency_key).where(OUTBOX.c.id == claimed.id)).scalar_one()
        trainee_id, phone = _trainee_and_phone(conn, claimed)
        sms_id = None
        if phone is not None:
            row = {
                "idempotency_key": f"{key}:sms",
                "trainee_id": trainee_id,
                "channel": "sms",
                "address": phone,
                "text": claimed.text,
                "kinds": claimed.kinds,
                "send_at": now,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                # The copy is as good as the original, and no longer: a stale reminder is not worth an SMS.
                "expires_at": claimed.expires_at or now + REPLY_TTL,
            }
            stmt = (
                dialect_insert(outbox.dialect, OUTBOX)
                .values(row)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(OUTBOX.c.id)
            )
            sms_id = conn.execute(stmt).scalar()
            if sms_id is None:  # queued by an earlier refusal of this row
                sms_id = conn.execute(
                    select(OUTBOX.c.id).where(OUTBOX.c.idempotency_key == f"{key}:sms")
                ).scalar_one()
        outcome = f"{error}; sent by SMS instead (#{sms_id})" if sms_id else f"{error}; no phone for SMS"
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == claimed.id, OUTBOX.c.status == "sending", OUTBOX.c.claimed_by == owner)
            .values(status="failed", last_error=outcome[:500], claimed_by=None)
        )
    log.info("message %d to %s: %s", claimed.id, who, outcome)
    return sms_id
