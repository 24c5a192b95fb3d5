"""A stand-in Rasa server: ``POST /model/parse`` answered the way Rasa 3.6 does, by keywords.

Like a DIET model trained on short commands, it is confident about anything that mentions an action,
questions and lone letters included; the dialogue's guard, not the engine, must keep those from acting.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

_KEYWORDS = (
    (re.compile(r"解绑|解除绑定"), "unbind"),
    (re.compile(r"退订|取消提醒|发短信|^[tTnN]$|^TD$", re.IGNORECASE), "unsubscribe"),
    (re.compile(r"订阅|恢复提醒"), "subscribe"),
    (re.compile(r"费用|交钱"), "ask_fee"),
    (re.compile(r"绑定"), "bind"),
)


class FakeRasa:
    """Answer ``/model/parse``; ``seen`` keeps every text asked."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def parse(self, text: str) -> dict[str, Any]:
        name = next((intent for pattern, intent in _KEYWORDS if pattern.search(text)), "nlu_fallback")
        intent = {"name": name, "confidence": 0.97 if name != "nlu_fallback" else 0.5}
        return {"text": text, "intent": intent, "entities": [], "intent_ranking": [intent]}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append(body["text"])
        return web.json_response(self.parse(body["text"]))

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/model/parse", self.handle)
        return app
