"""The official account's access token: fetched with the app id and secret, kept in the database for all.

Every fetch of ``/cgi-bin/token`` supersedes the previous token, so instances must share one: the token
and its expiry live in ``wechat_tokens``. A short lease in the same row lets one instance fetch while the
others wait for its token; after a 40001/40014/42001 the caller asks ``refresh(stale)``, which fetches
only if nobody has replaced the stale token yet. Expiry is real time (the token's life is), not the
business clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import aiohttp
from sqlalchemy import Engine, Table, or_, select, update

from bot.channels.wechat_api import (
    SYSTEM_BUSY,
    TOKEN_PATH,
    AccessToken,
    WeChatApiError,
    parse_token_answer,
    token_query,
)
from ledger.channel_models import WeChatToken
from ledger.db import dialect_insert

log = logging.getLogger(__name__)

TOKENS: Table = WeChatToken.__table__  # type: ignore[assignment]
# Refresh this long before the platform's expiry, so a token is never used in its last minutes.
EXPIRY_MARGIN = dt.timedelta(minutes=5)
FETCH_LEASE = dt.timedelta(seconds=15)


def wall_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WeChatTokens:
    """Hand out the shared access token; fetch a new one only when it is missing, expiring or refused."""

    def __init__(
        self, engine: Engine, app_id: str, app_secret: str, api_url: str, *, timeout: float = 10.0
    ) -> None:
        self.engine = engine
        self.app_id = app_id
        self._secret = app_secret
        self._api_url = api_url.rstrip("/")
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._local = asyncio.Lock()  # one fetch at a time in this process

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def token(self) -> str:
        """A valid token: the shared one, or a fresh one when it is missing or about to expire."""
        current = await asyncio.to_thread(self._valid)
        return current if current is not None else await self._renew(stale=None)

    async def refresh(self, stale: str) -> str:
        """A token other than ``stale``, which the platform refused: another instance's, or a new fetch."""
        current = await asyncio.to_thread(self._valid)
        if current is not None and current != stale:
            return current
        return await self._renew(stale=stale)

    async def _renew(self, stale: str | None) -> str:
        async with self._local:
            deadline = wall_now() + FETCH_LEASE
            while True:
                current = await asyncio.to_thread(self._valid)
                if current is not None and current != stale:
                    return current  # renewed meanwhile, here or by another instance
                if await asyncio.to_thread(self._take_lease, stale):
                    return await self._fetch_and_store()
                if wall_now() >= deadline:
                    raise WeChatApiError(SYSTEM_BUSY, "another instance is fetching the access token")
                await asyncio.sleep(0.1)

    def _valid(self) -> str | None:
        query = select(TOKENS.c.access_token, TOKENS.c.expires_at).where(TOKENS.c.app_id == self.app_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or not row.access_token or row.expires_at is None:
            return None
        return str(row.access_token) if row.expires_at - EXPIRY_MARGIN > wall_now() else None

    def _take_lease(self, stale: str | None) -> bool:
        """Take the fetch lease, only while nobody holds it and the stored token still needs replacing."""
        now = wall_now()
        with self.engine.begin() as conn:
            conn.execute(
                dialect_insert(self.engine, TOKENS).values(app_id=self.app_id).on_conflict_do_nothing()
            )
            free = or_(TOKENS.c.fetching_until.is_(None), TOKENS.c.fetching_until < now)
            # Checked in the same statement: a token stored since we looked is not fetched again.
            needed = or_(
                TOKENS.c.access_token.is_(None),
                TOKENS.c.expires_at.is_(None),
                TOKENS.c.expires_at <= now + EXPIRY_MARGIN,
                TOKENS.c.access_token == (stale or ""),
            )
            taken = conn.execute(
                update(TOKENS)
                .where(TOKENS.c.app_id == self.app_id, free, needed)
                .values(fetching_until=now + FETCH_LEASE)
            )
            return taken.rowcount == 1

    def _store(self, token: str | None, expires_in: int) -> None:
        now = wall_now()
        values: dict[str, object] = {"fetching_until": None}
        if token is not None:
            values.update(
                access_token=token, expires_at=now + dt.timedelta(seconds=expires_in), fetched_at=now
            )
        with self.engine.begin() as conn:
            conn.execute(update(TOKENS).where(TOKENS.c.app_id == self.app_id).values(**values))

    async def _fetch_and_store(self) -> str:
        try:
            answer = await self._fetch()
        except BaseException:
            await asyncio.to_thread(self._store, None, 0)  # give the lease back
            raise
        await asyncio.to_thread(self._store, answer.token, answer.expires_in)
        log.info("wechat: new access token for %s, valid %d s", self.app_id, answer.expires_in)
        return answer.token

    async def _fetch(self) -> AccessToken:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        # The secret is in the query: never log this URL.
        url = self._api_url + TOKEN_PATH
        try:
            async with self._session.get(url, params=token_query(self.app_id, self._secret)) as resp:
                body = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WeChatApiError(SYSTEM_BUSY, f"token endpoint unreachable: {type(exc).__name__}") from None
        return parse_token_answer(body)
