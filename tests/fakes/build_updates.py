"""Build real Telegram Bot API JSON (Update, Message, User, Chat) for tests, the way Telegram sends it."""

from __future__ import annotations

import itertools
from typing import Any

EPOCH_2023_11_24 = 1700791200  # 2023-11-24T10:00:00+08:00

_update_ids = itertools.count(1000)
_message_ids = itertools.count(1)


def user_json(
    user_id: int, first_name: str = "张三", *, is_bot: bool = False, username: str | None = None
) -> dict[str, Any]:
    """A Telegram ``User``."""
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": is_bot,
        "first_name": first_name,
        "language_code": "zh-hans",
    }
    if username:
        user["username"] = username
    return user


def private_chat_json(chat_id: int, first_name: str = "张三") -> dict[str, Any]:
    """A Telegram private ``Chat`` (its id equals the user's id)."""
    return {"id": chat_id, "type": "private", "first_name": first_name}


def message_json(
    chat_id: int,
    text: str,
    *,
    message_id: int | None = None,
    date: int = EPOCH_2023_11_24,
    from_user: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A private text ``Message``; a leading ``/command`` gets its ``bot_command`` entity like Telegram's."""
    message: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "date": date,
        "chat": private_chat_json(chat_id),
        "from": from_user or user_json(chat_id),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message


def text_update(chat_id: int, text: str, *, update_id: int | None = None) -> dict[str, Any]:
    """An ``Update`` carrying one private text message."""
    return {
        "update_id": update_id if update_id is not None else next(_update_ids),
        "message": message_json(chat_id, text),
    }
