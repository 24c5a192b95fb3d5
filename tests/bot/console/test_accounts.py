"""Staff accounts: argon2 hashes, sessions, the login rate limit, disabling, the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from bot.console.accounts import STAFF, AccountError, AuditLog, StaffAccounts
from bot.kernel.clock import FixedClock
from tests.timezone import SHANGHAI

# Cheap parameters: the tests check behaviour, not the cost.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def accounts(engine: Engine, clock: FixedClock) -> Iterator[StaffAccounts]:
    accounts = StaffAccounts(engine, clock, FAST)
    accounts.add("王芳", "correct-horse-1")
    yield accounts


def test_the_password_is_stored_only_as_an_argon2_hash(engine: Engine, accounts: StaffAccounts) -> None:
    with engine.connect() as conn:
        stored = conn.execute(select(STAFF.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct-horse-1" not in stored
    assert [a.name for a in accounts.list()] == ["王芳"]


def test_add_refuses_short_passwords_and_taken_names(accounts: StaffAccounts) -> None:
    with pytest.raises(AccountError, match="至少 8 位"):
        accounts.add("李四", "short")
    with pytest.raises(AccountError, match="已存在"):
        accounts.add("王芳", "another-pass-2")


def test_sign_in_and_sessions(accounts: StaffAccounts, clock: FixedClock) -> None:
    staff_id = accounts.authenticate("王芳", "correct-horse-1", "10.0.0.1")
    token = accounts.open_session(staff_id)
    session = accounts.session(token)
    assert session is not None and session.name == "王芳" and len(session.csrf) >= 24
    assert accounts.session(token + "x") is None
    clock.advance(dt.timedelta(hours=13))
    assert accounts.session(token) is None  # expired
    token = accounts.open_session(staff_id)
    accounts.close_session(token)
    assert accounts.session(token) is None


def test_wrong_passwords_lock_the_account_for_a_while(accounts: StaffAccounts, clock: FixedClock) -> None:
    for _ in range(5):
        with pytest.raises(AccountError, match="不正确"):
            accounts.authenticate("王芳", "wrong-password", "10.0.0.1")
    with pytest.raises(AccountError, match="次数过多"):
        accounts.authenticate("王芳", "correct-horse-1", "10.0.0.2")  # even the right one, from elsewhere
    clock.advance(dt.timedelta(minutes=16))
    assert accounts.authenticate("王芳", "correct-horse-1", "10.0.0.2") > 0


def test_one_address_guessing_many_names_is_stopped(accounts: StaffAccounts) -> None:
    for n in range(20):
        with pytest.raises(AccountError, match="不正确"):
            accounts.authenticate(f"user{n}", "wrong-password", "10.0.0.9")
    with pytest.raises(AccountError, match="次数过多"):
        accounts.authenticate("王芳", "correct-horse-1", "10.0.0.9")
    assert accounts.authenticate("王芳", "correct-horse-1", "10.0.0.1") > 0


def test_disable_ends_sessions_and_sign_in(accounts: StaffAccounts) -> None:
    token = accounts.open_session(accounts.authenticate("王芳", "correct-horse-1", "a"))
    accounts.disable("王芳")
    assert accounts.session(token) is None
    with pytest.raises(AccountError, match="不正确"):
        accounts.authenticate("王芳", "correct-horse-1", "a")
    with pytest.raises(AccountError, match="没有用户"):
        accounts.disable("nobody")


def test_audit_log_pages_newest_first(engine: Engine, clock: FixedClock) -> None:
    audit = AuditLog(engine, clock)
    for n in range(3):
        audit.record("王芳", "export", f"导出 {n}")
        clock.advance(dt.timedelta(minutes=1))
    entries, total = audit.entries(limit=2)
    assert total == 3 and [e["detail"] for e in entries] == ["导出 2", "导出 1"]
