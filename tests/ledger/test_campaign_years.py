"""Ledger records belong to a campaign year: next year's import keeps this year's history."""

from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from bot.kernel.clock import FixedClock
from knowledge.campaign import load_campaign
from ledger.binding import BindingService
from ledger.crypto import IdVault
from ledger.db import downgrade, make_engine, migrate
from ledger.importer import import_ledger
from ledger.store import TRAINEES, SQLAlchemyLedgerStore
from tests.ledger.test_importer import HEADER, LIU, write_csv

POSTS = load_campaign().facts.posts


def _import(engine: Engine, vault: IdVault, clock: FixedClock, path: Path, campaign: str) -> None:
    import_ledger(engine, vault, path, POSTS, clock.now(), campaign=campaign)


def test_next_years_ledger_does_not_overwrite_this_years(engine, vault, clock, tmp_path):
    done_2023 = [*LIU[:5], "是", "是", "是", "32", "0", "是"]
    _import(engine, vault, clock, write_csv(tmp_path / "2023.csv", [HEADER, done_2023]), "yueyang-2023")
    fresh_2024 = [*LIU[:5], "是", "否", "否", "0", "0", "否"]
    _import(engine, vault, clock, write_csv(tmp_path / "2024.csv", [HEADER, fresh_2024]), "yueyang-2024")

    this_year = list(SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2023").records())
    next_year = list(SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2024").records())
    assert [(r.name, r.online_hours, r.audited) for r in this_year] == [("刘洋", 32, True)]
    assert [(r.name, r.online_hours, r.audited) for r in next_year] == [("刘洋", 0, False)]
    assert this_year[0].trainee_id != next_year[0].trainee_id

    # Importing 2024 again updates 2024's record only.
    again = [*LIU[:5], "是", "是", "否", "8", "0", "否"]
    _import(engine, vault, clock, write_csv(tmp_path / "2024b.csv", [HEADER, again]), "yueyang-2024")
    assert [
        r.online_hours for r in SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2023").records()
    ] == [32]
    assert [
        r.online_hours for r in SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2024").records()
    ] == [8]


def test_a_chat_bound_last_year_finds_the_trainees_record_of_this_year(engine, vault, clock, tmp_path):
    _import(engine, vault, clock, write_csv(tmp_path / "2023.csv", [HEADER, LIU]), "yueyang-2023")
    last = SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2023")
    binding = BindingService(last, clock)
    code = binding.bind("telegram", "42", LIU[1], "刘洋").code  # a chat binds with the code sent by SMS
    assert code is not None and binding.confirm("telegram", "42", code).ok

    current = SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2024")
    assert BindingService(current, clock).record_for("telegram", "42") is None  # not in 2024's ledger yet
    _import(engine, vault, clock, write_csv(tmp_path / "2024.csv", [HEADER, LIU]), "yueyang-2024")
    record = BindingService(current, clock).record_for("telegram", "42")
    assert record is not None and record.trainee_id == current.find_by_id_number(LIU[1]).trainee_id
    assert BindingService(last, clock).record_for("telegram", "42").trainee_id != record.trainee_id


def test_records_from_before_the_campaign_column_belong_to_2023(database_url, vault, clock):
    engine = make_engine(database_url)
    try:
        migrate(engine, "0004_outbox_replies")
        with engine.begin() as conn:
            first = conn.execute(
                insert(TRAINEES).returning(TRAINEES.c.id).values(
                    id_hash=vault.lookup_hash(LIU[1]), id_cipher=vault.encrypt(LIU[1]),
                    id_masked="4306**********4985", name="刘洋", phone=None, employer="", registered=True,
                    confirmed=False, confirmed_on=None, paid=False, online_hours=10, offline_hours=0,
                    audited=False, opted_out=False, created_at=clock.now(), updated_at=clock.now(),
                )
            ).scalar_one()  # fmt: skip
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(select(TRAINEES.c.campaign)).scalars().all() == ["yueyang-2023"]
        assert (
            SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2023").find_by_id_number(LIU[1]) is not None
        )
        SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2024").add(
            LIU[1], SQLAlchemyLedgerStore(engine, vault, clock, "yueyang-2023").get(first)
        )
        downgrade(engine, "0004_outbox_replies")  # only the first campaign's records fit the older schema
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM trainees")).scalars().all() == [first]
    finally:
        engine.dispose()
