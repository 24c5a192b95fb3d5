"""The WeChat stand-in checks tokens and refuses users like the platform; its pushes agree with our crypto."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.channels.wechat_crypto import WeChatCrypto, check_signature
from bot.channels.wechat_xml import parse_inbound, text_reply_xml
from tests.fakes.wechat_api import (
    FakeWeChatApi,
    encrypted_push,
    event_push,
    image_push,
    open_reply,
    signed_query,
    text_push,
)

MakeClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APP_ID = "wx5823bf96d3bd56c7"


@pytest.fixture
def fake() -> FakeWeChatApi:
    return FakeWeChatApi(app_id=APP_ID, app_secret="s3cret", template_id="TPL_reminder")


@pytest.fixture
async def client(aiohttp_client: MakeClient, fake: FakeWeChatApi) -> TestClient[Any, Any]:
    return await aiohttp_client(fake.build_app())


async def _token(client: TestClient[Any, Any], secret: str = "s3cret") -> dict[str, Any]:
    params = {"grant_type": "client_credential", "appid": APP_ID, "secret": secret}
    resp = await client.get("/cgi-bin/token", params=params)
    assert resp.status == 200
    data: dict[str, Any] = await resp.json()
    return data


async def _custom(
    client: TestClient[Any, Any], token: str | None, touser: str = "oUser1", text: str = "你好"
) -> Any:
    params = {"access_token": token} if token is not None else {}
    body = {"touser": touser, "msgtype": "text", "text": {"content": text}}
    resp = await client.post("/cgi-bin/message/custom/send", params=params, json=body)
    return await resp.json()


async def test_token_is_issued_with_expiry_and_counted(
    client: TestClient[Any, Any], fake: FakeWeChatApi
) -> None:
    first = await _token(client)
    assert first["expires_in"] == 7200 and first["access_token"]
    assert (await _custom(client, first["access_token"]))["errcode"] == 0
    assert fake.token_fetches == 1
    assert [m.text for m in fake.sent] == ["你好"]


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({"grant_type": "client_credential", "appid": "wx_other", "secret": "s3cret"}, 40013),
        ({"grant_type": "client_credential", "appid": APP_ID, "secret": "wrong"}, 40125),
        ({"grant_type": "password", "appid": APP_ID, "secret": "s3cret"}, 40002),
    ],
)
async def test_bad_credentials_get_no_token(
    client: TestClient[Any, Any], fake: FakeWeChatApi, params: dict[str, str], errcode: int
) -> None:
    resp = await client.get("/cgi-bin/token", params=params)
    assert (await resp.json())["errcode"] == errcode
    assert fake.token_fetches == 0


async def test_a_new_fetch_supersedes_the_old_token(
    client: TestClient[Any, Any], fake: FakeWeChatApi
) -> None:
    old = (await _token(client))["access_token"]
    new = (await _token(client))["access_token"]
    assert (await _custom(client, old))["errcode"] == 40001
    assert (await _custom(client, new))["errcode"] == 0
    assert fake.token_fetches == 2 and len(fake.sent) == 1


async def test_the_platform_grace_period_can_be_modelled(
    client: TestClient[Any, Any], fake: FakeWeChatApi
) -> None:
    fake.old_token_grace = 300
    old = (await _token(client))["access_token"]
    await _token(client)
    assert (await _custom(client, old))["errcode"] == 0
    fake.advance(301)
    assert (await _custom(client, old))["errcode"] == 40001


async def test_tokens_expire(client: TestClient[Any, Any], fake: FakeWeChatApi) -> None:
    token = (await _token(client))["access_token"]
    fake.advance(7200)
    assert (await _custom(client, token))["errcode"] == 42001


async def test_missing_and_unknown_tokens(client: TestClient[Any, Any], fake: FakeWeChatApi) -> None:
    assert (await _custom(client, None))["errcode"] == 41001
    assert (await _custom(client, "made-up"))["errcode"] == 40014
    assert fake.sent == []


@pytest.mark.parametrize("errcode", [43004, 45015, 45047])
async def test_refused_users(client: TestClient[Any, Any], fake: FakeWeChatApi, errcode: int) -> None:
    token = (await _token(client))["access_token"]
    fake.refuse("oGone", errcode, times=1)
    assert (await _custom(client, token, touser="oGone"))["errcode"] == errcode
    assert (await _custom(client, token, touser="oGone"))["errcode"] == 0  # the refusal was for one send
    assert fake.refused == [("custom", "oGone", errcode)]
    with pytest.raises(ValueError):
        fake.refuse("oGone", 12345)


async def test_template_messages(client: TestClient[Any, Any], fake: FakeWeChatApi) -> None:
    token = (await _token(client))["access_token"]
    body = {"touser": "oUser1", "template_id": "TPL_reminder", "data": {"first": {"value": "请按时完成学时"}}}
    resp = await client.post("/cgi-bin/message/template/send", params={"access_token": token}, json=body)
    answer = await resp.json()
    assert answer["errcode"] == 0 and isinstance(answer["msgid"], int)
    assert fake.sent[-1].kind == "template" and fake.sent[-1].text == "first: 请按时完成学时"
    wrong = {**body, "template_id": "TPL_other"}
    resp = await client.post("/cgi-bin/message/template/send", params={"access_token": token}, json=wrong)
    assert (await resp.json())["errcode"] == 40037
    fake.refuse("oUser1", 43004, kinds=["template"])
    resp = await client.post("/cgi-bin/message/template/send", params={"access_token": token}, json=body)
    assert (await resp.json())["errcode"] == 43004
    assert (await _custom(client, token))["errcode"] == 0  # the refusal named template messages only
    fake.lift("oUser1")
    resp = await client.post("/cgi-bin/message/template/send", params={"access_token": token}, json=body)
    assert (await resp.json())["errcode"] == 0


async def test_malformed_sends_are_refused(client: TestClient[Any, Any], fake: FakeWeChatApi) -> None:
    token = (await _token(client))["access_token"]
    resp = await client.post("/cgi-bin/message/custom/send", params={"access_token": token}, data=b"{")
    assert (await resp.json())["errcode"] == 47001
    image = {"touser": "oUser1", "msgtype": "image", "image": {"media_id": "m"}}
    resp = await client.post("/cgi-bin/message/custom/send", params={"access_token": token}, json=image)
    assert (await resp.json())["errcode"] == 40008
    assert fake.sent == []


async def test_unexpected_paths_fail_loudly(client: TestClient[Any, Any], fake: FakeWeChatApi) -> None:
    resp = await client.get("/cgi-bin/user/info")
    assert resp.status == 404
    assert fake.errors == ["unexpected call GET /cgi-bin/user/info"]


def test_plain_pushes_are_signed_as_our_check_expects() -> None:
    query = signed_query(TOKEN, timestamp=1700000000, nonce="42", openid="oUser1")
    assert check_signature(TOKEN, query["timestamp"], query["nonce"], query["signature"])
    assert parse_inbound(text_push("oUser1", "学时", 7, create_time=1700000000)).content == "学时"
    assert parse_inbound(event_push("oUser1", "subscribe", create_time=1700000000)).is_subscribe
    assert parse_inbound(image_push("oUser1", 8, create_time=1700000000)).msg_type == "image"


def test_encrypted_pushes_and_replies_agree_with_our_crypto() -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    xml = text_push("oUser1", "我的学时够了吗？]]>", 9, create_time=1700000000)
    query, body = encrypted_push(
        TOKEN, AES_KEY, APP_ID, xml, timestamp=1700000000, nonce="n1", openid="oUser1"
    )
    assert query["encrypt_type"] == "aes"
    assert check_signature(TOKEN, query["timestamp"], query["nonce"], query["signature"])
    plain = crypto.decrypt(query["msg_signature"], query["timestamp"], query["nonce"], body)
    assert parse_inbound(plain).content == "我的学时够了吗？]]>"
    reply = text_reply_xml("oUser1", "gh_test", 1700000001, "还差 12 学时")
    assert open_reply(TOKEN, AES_KEY, APP_ID, crypto.encrypt(reply, "n2", "1700000001")) == reply
    with pytest.raises(AssertionError, match="another app id"):
        open_reply(TOKEN, AES_KEY, "wx_other", crypto.encrypt(reply, "n2", "1700000001"))
