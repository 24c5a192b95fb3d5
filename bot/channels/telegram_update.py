"""The few fields of a Telegram update the bot answers, read from the webhook's JSON without building PTB objects.

python-telegram-bot's ``Update.de_json`` builds the whole object tree (user, chat, entities, ...) of every
update: a tenth of a millisecond each, more than the rest of the webhook's own work. The webhook needs
four fields; polling, which gets PTB's ``Update`` anyway, reads the same four from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram import Update

PRIVATE = "private"  # telegram.constants.ChatType.PRIVATE, without importing python-telegram-bot


@dataclass(frozen=True, slots=True)
class PrivateMessage:
    """A new message in a private chat with the bot: the only kind it answers."""

    update_id: int
    chat_id: int
    text: str | None  # None for a photo, a sticker, a voice message ...


def private_message(update: Update) -> PrivateMessage | None:
    """The private message of a PTB ``Update``; None for edits, channel posts and group chats."""
    message = update.message
    if message is None or message.chat.type != PRIVATE:
        return None
    return PrivateMessage(update.update_id, message.chat.id, message.text)


def read_private_message(data: dict[str, Any]) -> PrivateMessage | None:
    """The private message of a webhook update (decoded JSON), None for other updates; ValueError if malformed."""
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise ValueError('not a Telegram Update: "update_id" must be an integer')
    message = data.get("message")
    if message is None:
        return None  # an edit, a channel post, a callback: not answered
    if not isinstance(message, dict):
        raise ValueError('not a Telegram Update: "message" must be an object')
    chat = message.get("chat")
    if (
        not isinstance(chat, dict)
        or not isinstance(chat.get("id"), int)
        or not isinstance(chat.get("type"), str)
    ):
        raise ValueError('not a Telegram Update: "message.chat" must have an integer "id" and a "type"')
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise ValueError('not a Telegram Update: "message.text" must be a string')
    if chat["type"] != PRIVATE:
        return None
    return PrivateMessage(update_id, chat["id"], text)
