"""WeChat XML: the documented push formats parse; unsafe or broken XML is refused; replies round-trip."""

from __future__ import annotations

import pytest

from bot.channels.wechat_xml import (
    MAX_XML_BYTES,
    WeChatXmlError,
    cdata,
    encrypted_reply_xml,
    parse_encrypted_envelope,
    parse_inbound,
    parse_xml,
    text_reply_xml,
)

# "接收普通消息" and "接收事件推送" examples of the official-account documentation
TEXT_PUSH = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
    "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>"
)
SUBSCRIBE_PUSH = (
    "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
    "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[subscribe]]></Event></xml>"
)


def test_text_message() -> None:
    message = parse_inbound(TEXT_PUSH.encode())
    assert message.is_text and not message.is_subscribe
    assert (message.to_user, message.from_user, message.create_time) == ("toUser", "fromUser", 1348831860)
    assert message.content == "this is a test"
    assert message.dedup_key == "msg:1234567890123456"


def test_subscribe_and_unsubscribe_events_dedup_by_sender_and_time() -> None:
    follow = parse_inbound(SUBSCRIBE_PUSH)
    assert follow.is_subscribe and not follow.is_unsubscribe
    assert follow.dedup_key == "event:FromUser:123456789"
    unfollow = parse_inbound(SUBSCRIBE_PUSH.replace("subscribe", "unsubscribe"))
    assert unfollow.is_unsubscribe and not unfollow.is_subscribe


def test_other_message_types_parse_so_they_can_be_answered() -> None:
    image = TEXT_PUSH.replace("[text]", "[image]").replace(
        "<Content><![CDATA[this is a test]]></Content>", ""
    )
    message = parse_inbound(image)
    assert message.msg_type == "image" and message.content is None and message.msg_id == "1234567890123456"


def test_nested_elements_do_not_leak_into_fields() -> None:
    fields = parse_xml("<xml><A>1</A><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>")
    assert fields == {"A": "1", "ScanCodeInfo": ""}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            "<xml><Content>&lol2;</Content></xml>",
            "DOCTYPE",
        ),
        ('<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml><Content>x</Content></xml>', "DOCTYPE"),
        ("<xml><Content>unclosed</xml>", "well-formed"),
        ("<root><Content>x</Content></root>", "expected <xml>"),
        ("<xml><MsgId>1</MsgId><MsgId>2</MsgId></xml>", "twice"),
        ("", "well-formed"),
    ],
)
def test_unsafe_or_broken_xml_is_refused(body: str, reason: str) -> None:
    with pytest.raises(WeChatXmlError, match=reason):
        parse_xml(body)


def test_oversized_body_is_refused_before_parsing() -> None:
    with pytest.raises(WeChatXmlError, match="exceeds"):
        parse_xml(b"<xml>" + b" " * MAX_XML_BYTES + b"</xml>")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("<CreateTime>1348831860</CreateTime>", "<CreateTime>soon</CreateTime>"), "CreateTime"),
        (("<FromUserName><![CDATA[fromUser]]></FromUserName>", ""), "FromUserName"),
        (("<MsgId>1234567890123456</MsgId>", ""), "MsgId"),
        (("<Content><![CDATA[this is a test]]></Content>", ""), "Content"),
    ],
)
def test_text_push_missing_a_field_is_refused(change: tuple[str, str], reason: str) -> None:
    with pytest.raises(WeChatXmlError, match=reason):
        parse_inbound(TEXT_PUSH.replace(*change))


def test_event_without_event_is_refused() -> None:
    with pytest.raises(WeChatXmlError, match="Event"):
        parse_inbound(SUBSCRIBE_PUSH.replace("<Event><![CDATA[subscribe]]></Event>", ""))


@pytest.mark.parametrize("content", ["您好，学时还差 12 学时", "a]]>b", "tricky ]]]]> end", "<b>&amp;</b>"])
def test_text_reply_round_trips_any_content(content: str) -> None:
    reply = text_reply_xml("oUser", "gh_account", 1700000000, content)
    assert parse_xml(reply) == {
        "ToUserName": "oUser",
        "FromUserName": "gh_account",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": content,
    }


def test_cdata_drops_characters_xml_cannot_carry() -> None:
    wrapped = cdata("a\x00b\x1fc")
    assert parse_xml(f"<xml><C>{wrapped}</C></xml>") == {"C": "abc"}


def test_encrypted_reply_envelope_and_its_encrypt_field() -> None:
    envelope = encrypted_reply_xml("QUJD", "abc123", "1409659813", "1372623149")
    assert parse_encrypted_envelope(envelope) == "QUJD"
    assert parse_xml(envelope)["TimeStamp"] == "1409659813"
    with pytest.raises(WeChatXmlError):
        encrypted_reply_xml("QUJD", "abc123", "<TimeStamp>", "1")
