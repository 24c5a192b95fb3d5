"""A fake Telegram Bot API: a real in-process aiohttp app serving ``/bot<token>/<method>``.

It implements the methods python-telegram-bot calls for polling, webhooks and text replies, records
what the bot sent, and fails loudly (HTTP 500 plus an entry in ``errors``) on anything else, so a test
that lets the bot call an unexpected method cannot pass by accident.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "继续教育助手",
    "username": "jxjy_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

Params = dict[str, str]


@dataclass(frozen=True)
class SentMessage:
    """One ``sendMessage`` call as the bot made it."""

    chat_id: int
    text: str
    params: Params


@dataclass
class FakeTelegramApi:
    """State and behaviour of the fake; ``app`` serves it."""

    token: str = "123456:TEST-token"
    base_url: str = ""  # set once served: the value for JXJY_TELEGRAM_API_URL, e.g. http://127.0.0.1:PORT/bot
    max_poll_wait: float = 0.5
    calls: list[str] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    webhook: Params | None = None
    refused: list[tuple[int, int]] = field(default_factory=list)  # (chat id, error code) of refused sends
    _refusals: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _changed: asyncio.Condition | None = None

    def queue_update(self, update: dict[str, Any]) -> None:
        """Make ``update`` available to the bot's next ``getUpdates``."""
        self._updates.append(update)
        self._notify()

    def flood(self, chat_id: int, retry_after: int, *, times: int = 1) -> None:
        """Answer the next ``times`` sends to ``chat_id`` with 429 and ``retry_after``, as Telegram does."""
        error = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }
        self._refusals.setdefault(chat_id, []).extend([error] * times)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to ``chat_id`` gets 403 until ``unblock``."""
        error = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        self._refusals[chat_id] = [error]

    def unblock(self, chat_id: int) -> None:
        self._refusals.pop(chat_id, None)

    def _refusal(self, chat_id: int) -> dict[str, Any] | None:
        queued = self._refusals.get(chat_id)
        if not queued:
            return None
        error = queued[0]
        if error["error_code"] != 403:  # a block lasts; a flood answer is used up
            queued.pop(0)
        self.refused.append((chat_id, int(error["error_code"])))
        return error

    @property
    def pending_updates(self) -> int:
        """Updates the bot has not yet confirmed with a later ``offset``."""
        return len(self._updates)

    async def wait_for_sent(self, count: int = 1, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until the bot has sent at least ``count`` messages; return them all."""
        condition = self._condition()
        async with condition:
            await asyncio.wait_for(condition.wait_for(lambda: len(self.sent) >= count), timeout)
        return list(self.sent)

    def build_app(self) -> web.Application:
        """The aiohttp application serving this fake."""
        app = web.Application()
        app[FAKE_TELEGRAM] = self
        app.router.add_route("*", "/bot{token}/{method}", _dispatch)
        return app

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _notify(self) -> None:
        condition = self._condition()

        async def notify() -> None:
            async with condition:
                condition.notify_all()

        asyncio.get_running_loop().create_task(notify())

    # --- Bot API methods -------------------------------------------------------------------------

    async def get_me(self, params: Params) -> Any:
        return BOT_USER

    async def get_updates(self, params: Params) -> Any:
        offset = int(params.get("offset", "0") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout", "0") or 0), self.max_poll_wait)
        if not self._updates and timeout > 0:
            condition = self._condition()
            async with condition:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(condition.wait_for(lambda: bool(self._updates)), timeout)
        limit = int(params.get("limit", "100") or 100)
        return self._updates[:limit]

    async def send_message(self, params: Params) -> Any:
        chat_id = int(params["chat_id"])
        refusal = self._refusal(chat_id)
        if refusal is not None:
            raise _BotApiError(refusal)
        self.sent.append(SentMessage(chat_id=chat_id, text=params["text"], params=params))
        self._notify()
        return {
            "message_id": 10_000 + len(self.sent),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": params["text"],
        }

    async def set_webhook(self, params: Params) -> Any:
        self.webhook = params
        return True

    async def delete_webhook(self, params: Params) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates") == "true":
            self._updates.clear()
        return True

    async def get_webhook_info(self, params: Params) -> Any:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def log_out(self, params: Params) -> Any:
        return True

    async def close(self, params: Params) -> Any:
        return True


FAKE_TELEGRAM = web.AppKey("fake_telegram", FakeTelegramApi)


class _BotApiError(Exception):
    """A scripted Bot API error answer (429 flood control, 403 blocked)."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["description"])
        self.answer = answer


_METHODS: dict[str, Callable[[FakeTelegramApi, Params], Awaitable[Any]]] = {
    "getme": FakeTelegramApi.get_me,
    "getupdates": FakeTelegramApi.get_updates,
    "sendmessage": FakeTelegramApi.send_message,
    "setwebhook": FakeTelegramApi.set_webhook,
    "deletewebhook": FakeTelegramApi.delete_webhook,
    "getwebhookinfo": FakeTelegramApi.get_webhook_info,
    "logout": FakeTelegramApi.log_out,
    "close": FakeTelegramApi.close,
}


async def _read_params(request: web.Request) -> Params:
    """Bot API parameters from a form, multipart or JSON body (PTB sends a form, non-strings as JSON)."""
    if request.content_type == "application/json":
        body = await request.json()
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
    form = await request.post()
    params = {key: value for key, value in form.items() if isinstance(value, str)}
    params.update(request.query)
    return params


async def _dispatch(request: web.Request) -> web.Response:
    fake = request.app[FAKE_TELEGRAM]
    method = request.match_info["method"]
    fake.calls.append(method)
    if request.match_info["token"] != fake.token:
        fake.errors.append(f"{method}: called with token {request.match_info['token']!r}")
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    handler = _METHODS.get(method.lower())
    if handler is None:
        fake.errors.append(f"unexpected Bot API method {method}")
        return web.json_response(
            {"ok": False, "error_code": 500, "description": f"fake Bot API does not implement {method}"},
            status=500,
        )
    try:
        params = await _read_params(request)
        result = await handler(fake, params)
    except _BotApiError as exc:
        return web.json_response(exc.answer, status=exc.answer["error_code"])
    except (KeyError, ValueError) as exc:
        fake.errors.append(f"{method}: bad parameters: {exc!r}")
        return web.json_response({"ok": False, "error_code": 400, "description": repr(exc)}, status=400)
    return web.json_response({"ok": True, "result": result})
