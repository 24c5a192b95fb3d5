"""The webhook's own reading of an update agrees with python-telegram-bot's, and refuses what is malformed."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.channels.telegram_update import PrivateMessage, private_message, read_private_message
from tests.fakes.build_updates import message_json, text_update

BOT = Bot("123456:TEST")


def photo_update() -> dict[str, Any]:
    update = text_update(41, "x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    return update


def group_update() -> dict[str, Any]:
    update = text_update(-100, "大家好")
    update["message"]["chat"] = {"id": -100, "type": "group", "title": "培训群"}
    return update


EDITED = {"update_id": 9001, "edited_message": {**message_json(9, "学时够吗"), "edit_date": 1700791300}}


@pytest.mark.parametrize(
    "data",
    [
        text_update(7, "报名时间是什么时候"),
        text_update(8, "/bind 4306 张三"),
        photo_update(),
        group_update(),
        EDITED,
    ],
)
def test_reads_what_ptb_reads(data: dict[str, Any]) -> None:
    assert read_private_message(data) == private_message(Update.de_json(data, BOT))


def test_a_private_text_message() -> None:
    data = text_update(7, "在哪里确认", update_id=55)
    assert read_private_message(data) == PrivateMessage(55, 7, "在哪里确认")


@pytest.mark.parametrize(
    "data",
    [
        {"message": {}},
        {"update_id": True, "message": message_json(1, "x")},
        {"update_id": 5, "message": 1},
        {"update_id": 5, "message": {"text": "x"}},
        {"update_id": 5, "message": {**message_json(1, "x"), "chat": {"id": "1", "type": "private"}}},
        {"update_id": 5, "message": {**message_json(1, "x"), "text": 3}},
    ],
)
def test_malformed_updates_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not a Telegram Update"):
        read_private_message(data)
