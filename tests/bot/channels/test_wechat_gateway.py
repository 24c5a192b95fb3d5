"""The WeChat gateway and its shared access token, against the WeChat stand-in, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import Engine, select

from bot.channels.message_fields import PlainFields
from bot.channels.wechat_api import WeChatApiError
from bot.channels.wechat_gateway import WeChatGateway
from bot.channels.wechat_token import TOKENS, WeChatTokens
from reminders.gateways import OutboundMessage
from tests.fakes.wechat_api import FakeWeChatApi

OPENID = "oUser-0002"
Make = Callable[..., WeChatGateway]


@pytest.fixture
async def make_gateway(engine: Engine, wechat_api: FakeWeChatApi) -> AsyncIterator[Make]:
    """Gateways as separate instances of the service would build them, on one database."""
    made: list[WeChatGateway] = []

    def make(secret: str | None = None, template_id: str | None = "TPL_reminder") -> WeChatGateway:
        tokens = WeChatTokens(engine, wechat_api.app_id, secret or wechat_api.app_secret, wechat_api.base_url)
        gateway = WeChatGateway(
            tokens,
            wechat_api.base_url,
            template_id=template_id,
            template_fields={"keyword1": "{text}"},
            fields=PlainFields(),
        )
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.aclose()


def reply(text: str = "你好", msg_id: str = "1") -> OutboundMessage:
    return OutboundMessage(msg_id, "wechat", OPENID, text, ("reply",))


def stored_token(engine: Engine) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(select(TOKENS.c.access_token)).scalar()
    return None if value is None else str(value)


async def test_one_token_for_every_instance_kept_in_the_database(
    make_gateway: Make, engine: Engine, wechat_api: FakeWeChatApi
) -> None:
    first, second = make_gateway(), make_gateway()
    assert (await first.send(reply(msg_id="1"))).ok
    assert (await second.send(reply(msg_id="2"))).ok
    assert wechat_api.token_fetches == 1
    assert stored_token(engine) is not None and stored_token(engine) == wechat_api._current


async def test_a_superseded_token_is_refreshed_once_and_the_send_retried(
    make_gateway: Make, engine: Engine, wechat_api: FakeWeChatApi
) -> None:
    gateway = make_gateway()
    assert (await gateway.send(reply(msg_id="1"))).ok
    wechat_api.issue_token()  # someone fetched a token elsewhere: ours is no longer the latest (40001)
    result = await gateway.send(reply(msg_id="2"))
    assert result.ok
    assert wechat_api.token_fetches == 3 and len(wechat_api.sent) == 2
    assert stored_token(engine) == wechat_api._current


async def test_an_expired_token_is_refreshed(make_gateway: Make, wechat_api: FakeWeChatApi) -> None:
    gateway = make_gateway()
    assert (await gateway.send(reply(msg_id="1"))).ok
    wechat_api.advance(wechat_api.token_lifetime)  # the platform says 42001 before our margin does
    assert (await gateway.send(reply(msg_id="2"))).ok
    assert wechat_api.token_fetches == 2


async def test_instances_refreshing_at_once_fetch_one_token(
    make_gateway: Make, wechat_api: FakeWeChatApi
) -> None:
    gateways = [make_gateway() for _ in range(3)]
    results = await asyncio.gather(*(g.send(reply(msg_id=str(i))) for i, g in enumerate(gateways)))
    assert all(r.ok for r in results)
    assert wechat_api.token_fetches == 1


async def test_a_wrong_secret_fails_without_retrying(make_gateway: Make, wechat_api: FakeWeChatApi) -> None:
    result = await make_gateway(secret="wrong").send(reply())
    assert (result.ok, result.retryable) == (False, False)
    assert result.error is not None and "40125" in result.error
    assert wechat_api.sent == []


async def test_reminders_use_the_template_and_replies_customer_service(
    make_gateway: Make, wechat_api: FakeWeChatApi
) -> None:
    with_template, without = make_gateway(), make_gateway(template_id=None)
    reminder = OutboundMessage("7", "wechat", OPENID, "请缴费", ("payment_due",), 1)
    assert (await with_template.send(reminder)).provider_id is not None
    assert (await with_template.send(reply("答复"))).ok
    assert (await without.send(reminder)).ok  # no template configured: a customer-service message
    assert [(s.kind, s.text) for s in wechat_api.sent] == [
        ("template", "keyword1: 请缴费"),
        ("custom", "答复"),
        ("custom", "请缴费"),
    ]


@pytest.mark.parametrize(
    ("errcode", "blocked"), [(43004, True), (45015, False), (45047, False), (45009, False)]
)
async def test_refusals_ask_for_sms_instead(
    make_gateway: Make, wechat_api: FakeWeChatApi, errcode: int, blocked: bool
) -> None:
    wechat_api.refuse(OPENID, errcode)
    result = await make_gateway().send(reply())
    assert (result.ok, result.fallback, result.blocked) == (False, True, blocked)
    assert result.error is not None and str(errcode) in result.error


async def test_the_api_unreachable_is_retried_later(engine: Engine, unused_tcp_port: int) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}"
    tokens = WeChatTokens(engine, "wx1", "s", url, timeout=2)
    gateway = WeChatGateway(tokens, url, template_id=None, template_fields={}, fields=PlainFields())
    try:
        result = await gateway.send(reply())
    finally:
        await gateway.aclose()
    assert (result.ok, result.retryable) == (False, True)
    again = WeChatTokens(engine, "wx1", "s", url, timeout=2)
    try:
        with pytest.raises(WeChatApiError):  # the lease was given back: a second try fetches again
            await again.token()
    finally:
        await again.aclose()
