"""WeChat API requests built here pass the stand-in, and every answer it gives maps to the right next step."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.channels.wechat_api import (
    CUSTOM_SEND_PATH,
    TEMPLATE_SEND_PATH,
    TOKEN_PATH,
    SendAnswer,
    WeChatApiError,
    custom_text_body,
    parse_token_answer,
    read_send_answer,
    template_body,
    token_query,
)
from tests.fakes.wechat_api import FakeWeChatApi

MakeClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def fake() -> FakeWeChatApi:
    return FakeWeChatApi(app_secret="s3cret", template_id="TPL_reminder")


@pytest.fixture
async def client(aiohttp_client: MakeClient, fake: FakeWeChatApi) -> TestClient[Any, Any]:
    return await aiohttp_client(fake.build_app())


async def _fetch_token(client: TestClient[Any, Any], fake: FakeWeChatApi, secret: str = "s3cret") -> str:
    resp = await client.get(TOKEN_PATH, params=token_query(fake.app_id, secret))
    return parse_token_answer(await resp.read()).token


async def _send(client: TestClient[Any, Any], path: str, token: str, body: dict[str, Any]) -> SendAnswer:
    resp = await client.post(path, params={"access_token": token}, json=body)
    return read_send_answer(resp.status, await resp.read())


async def test_token_then_customer_service_and_template_messages(
    client: TestClient[Any, Any], fake: FakeWeChatApi
) -> None:
    token = await _fetch_token(client, fake)
    assert (
        await _send(client, CUSTOM_SEND_PATH, token, custom_text_body("oUser1", "还差 12 学时"))
    ).status == "sent"
    answer = await _send(
        client,
        TEMPLATE_SEND_PATH,
        token,
        template_body("oUser1", "TPL_reminder", {"first": "请完成学时"}, url="https://x"),
    )
    assert answer.status == "sent" and answer.msgid is not None
    assert [m.kind for m in fake.sent] == ["custom", "template"]
    assert fake.sent[1].body["url"] == "https://x"


async def test_a_bad_secret_raises_with_the_platform_code(
    client: TestClient[Any, Any], fake: FakeWeChatApi
) -> None:
    with pytest.raises(WeChatApiError) as caught:
        await _fetch_token(client, fake, secret="wrong")
    assert caught.value.errcode == 40125


async def test_stale_tokens_ask_for_a_refresh(client: TestClient[Any, Any], fake: FakeWeChatApi) -> None:
    old = await _fetch_token(client, fake)
    await _fetch_token(client, fake)  # another instance refreshed
    answer = await _send(client, CUSTOM_SEND_PATH, old, custom_text_body("oUser1", "x"))
    assert (answer.status, answer.errcode) == ("refresh_token", 40001)
    fake.advance(7200)
    newest = await _fetch_token(client, fake)
    fake.advance(7200)
    assert (await _send(client, CUSTOM_SEND_PATH, newest, custom_text_body("oUser1", "x"))).errcode == 42001
    assert (
        await _send(client, CUSTOM_SEND_PATH, "junk", custom_text_body("oUser1", "x"))
    ).status == "refresh_token"


@pytest.mark.parametrize("errcode", [43004, 45015, 45047, 45009])
async def test_unreachable_users_fall_back(
    client: TestClient[Any, Any], fake: FakeWeChatApi, errcode: int
) -> None:
    token = await _fetch_token(client, fake)
    fake.refuse("oGone", errcode)
    answer = await _send(
        client, TEMPLATE_SEND_PATH, token, template_body("oGone", "TPL_reminder", {"first": "x"})
    )
    assert (answer.status, answer.errcode) == ("fallback", errcode)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"errcode": -1, "errmsg": "system error"}, "retry"),
        (200, {"errcode": 40037, "errmsg": "invalid template_id"}, "failed"),
        (200, {"errcode": "x"}, "retry"),
        (502, None, "retry"),
        (404, None, "failed"),
    ],
)
def test_other_answers(status: int, body: dict[str, Any] | None, expected: str) -> None:
    raw = json.dumps(body).encode() if body is not None else b"<html>Bad Gateway</html>"
    assert read_send_answer(status, raw).status == expected


@pytest.mark.parametrize(
    "body", [b"[]", b"{not json", b'{"access_token": "t"}', b'{"errcode": 40013, "errmsg": "invalid appid"}']
)
def test_token_answers_without_a_token_raise(body: bytes) -> None:
    with pytest.raises(WeChatApiError):
        parse_token_answer(body)


def test_the_token_is_not_in_repr() -> None:
    assert "secret-token" not in repr(
        parse_token_answer(b'{"access_token": "secret-token", "expires_in": 7200}')
    )
