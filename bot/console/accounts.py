"""Staff accounts (argon2 hashes), their server-side sessions, the login rate limit and the audit log."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.console.models import AuditEntry, LoginAttempt, Staff, StaffSession
from bot.kernel.clock import Clock
from bot.kernel.personal_data import mask_personal_data

log = logging.getLogger(__name__)

STAFF: Table = Staff.__table__  # type: ignore[assignment]
SESSIONS: Table = StaffSession.__table__  # type: ignore[assignment]
ATTEMPTS: Table = LoginAttempt.__table__  # type: ignore[assignment]
AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]

SESSION_TTL = dt.timedelta(hours=12)
LOCK_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 8
NAME_LIMIT = 64


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name takes as long as a wrong password.

    Made at the first login, not at import: an argon2 hash takes 64 MiB for a moment, which every
    `jxjy serve` instance would otherwise add to its start-up peak.
    """
    return PasswordHasher().hash("not a password of anyone")


class AccountError(Exception):
    """A staff-account request that cannot be done; the message says why, in Chinese."""


@dataclass(frozen=True)
class StaffInfo:
    """A staff account as listed."""

    name: str
    active: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class SessionInfo:
    """A signed-in staff member: their name and the CSRF token every form must carry."""

    staff_id: int
    name: str
    csrf: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffAccounts:
    """Accounts, sessions and sign-in attempts in SQL; times come from the injected clock."""

    def __init__(self, engine: Engine, clock: Clock, hasher: PasswordHasher | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._hasher = hasher or PasswordHasher()

    def add(self, name: str, password: str) -> None:
        """Create an account; raise AccountError for a taken name or a password under 8 characters."""
        name = name.strip()
        if not name or len(name) > NAME_LIMIT:
            raise AccountError(f"用户名不能为空，且不超过 {NAME_LIMIT} 个字符")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
        row = {
            "name": name,
            "password_hash": self._hasher.hash(password),
            "active": True,
            "created_at": self._clock.now(),
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(STAFF).values(row))
        except IntegrityError as exc:
            raise AccountError(f"用户 {name} 已存在") from exc

    def list(self) -> list[StaffInfo]:
        """Every account, by name."""
        query = select(STAFF.c.name, STAFF.c.active, STAFF.c.created_at).order_by(STAFF.c.name)
        with self._engine.connect() as conn:
            return [StaffInfo(*row) for row in conn.execute(query)]

    def disable(self, name: str) -> None:
        """Disable an account and end its sessions; raise AccountError when there is no such account."""
        with self._engine.begin() as conn:
            staff_id = conn.execute(select(STAFF.c.id).where(STAFF.c.name == name)).scalar()
            if staff_id is None:
                raise AccountError(f"没有用户 {name}")
            conn.execute(update(STAFF).where(STAFF.c.id == staff_id).values(active=False))
            conn.execute(delete(SESSIONS).where(SESSIONS.c.staff_id == staff_id))

    def authenticate(self, name: str, password: str, address: str) -> int:
        """Return the staff id for a right name and password; raise AccountError otherwise.

        After 5 failures for one account, or 20 from one address, within 15 minutes, every attempt is
        refused (even a right one) until the window has passed.
        """
        now = self._clock.now()
        name = name.strip()[:NAME_LIMIT]
        if self._failures(ATTEMPTS.c.name == name, now) >= MAX_FAILURES_PER_ACCOUNT or (
            self._failures(ATTEMPTS.c.address == address, now) >= MAX_FAILURES_PER_ADDRESS
        ):
            self._attempt(name, address, ok=False, now=now)
            raise AccountError("登录失败次数过多，请 15 分钟后再试")
        with self._engine.connect() as conn:
            row = conn.execute(
                select(STAFF.c.id, STAFF.c.password_hash, STAFF.c.active).where(STAFF.c.name == name)
            ).first()
        ok = self._verify(row.password_hash if row is not None else _dummy_hash(), password)
        ok = ok and row is not None and bool(row.active)
        self._attempt(name, address, ok=ok, now=now)
        if not ok or row is None:
            raise AccountError("用户名或密码不正确")
        if self._hasher.check_needs_rehash(row.password_hash):
            with self._engine.begin() as conn:
                new_hash = self._hasher.hash(password)
                conn.execute(update(STAFF).where(STAFF.c.id == row.id).values(password_hash=new_hash))
        return int(row.id)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _failures(self, who: object, now: dt.datetime) -> int:
        query = select(func.count()).where(who, ATTEMPTS.c.ok.is_(False), ATTEMPTS.c.at > now - LOCK_WINDOW)  # type: ignore[arg-type]
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def _attempt(self, name: str, address: str, *, ok: bool, now: dt.datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(ATTEMPTS).values(name=name, address=address[:64], ok=ok, at=now))
            # Old attempts say nothing any more; keep the table small.
            conn.execute(delete(ATTEMPTS).where(ATTEMPTS.c.at < now - 4 * LOCK_WINDOW))

    def open_session(self, staff_id: int) -> str:
        """Start a session; return the token for the cookie (the table keeps only its hash)."""
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        row = {
            "token_hash": _token_hash(token),
            "staff_id": staff_id,
            "csrf": secrets.token_urlsafe(24),
            "created_at": now,
            "expires_at": now + SESSION_TTL,
        }
        with self._engine.begin() as conn:
            conn.execute(insert(SESSIONS).values(row))
            conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now))
        return token

    def session(self, token: str) -> SessionInfo | None:
        """The signed-in staff member for a cookie token, or None (unknown, expired or disabled)."""
        query = (
            select(SESSIONS.c.staff_id, STAFF.c.name, SESSIONS.c.csrf)
            .join(STAFF, STAFF.c.id == SESSIONS.c.staff_id)
            .where(
                SESSIONS.c.token_hash == _token_hash(token),
                SESSIONS.c.expires_at > self._clock.now(),
                STAFF.c.active.is_(True),
            )
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else SessionInfo(*row)

    def close_session(self, token: str) -> None:
        """Sign out: forget the session."""
        with self._engine.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == _token_hash(token)))


class AuditLog:
    """Who imported, exported, broadcast, taught or changed what, and when."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def record(self, staff: str, action: str, detail: str) -> None:
        """Append one entry."""
        with self._engine.begin() as conn:
            conn.execute(
                insert(AUDIT).values(
                    at=self._clock.now(), staff=staff, action=action, detail=mask_personal_data(detail)[:2000]
                )
            )
        log.info("audit: %s %s", staff, action)

    def entries(self, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, object]], int]:
        """A page of entries, newest first, and the total count."""
        query = select(AUDIT).order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc()).limit(limit).offset(offset)
        with self._engine.connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(AUDIT)).scalar_one())
            return [dict(row._mapping) for row in conn.execute(query)], total
