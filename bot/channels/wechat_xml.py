"""WeChat official-account XML: read the platform's pushes safely and write passive replies.

Formats from the official-account documentation ("接收普通消息", "接收事件推送", "被动回复用户消息",
"消息加解密说明"). Pushes are parsed with expat and refused when they carry a DOCTYPE or an entity
declaration, so no entity is ever expanded (no billion laughs, no external entities); bodies over
``MAX_XML_BYTES`` are refused before parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.parsers import expat

MAX_XML_BYTES = 64 * 1024  # a text message is at most 2048 bytes; events are smaller still
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class WeChatProtocolError(Exception):
    """A WeChat push that cannot be trusted or understood; answer 400 (or 403 for signatures)."""


class WeChatXmlError(WeChatProtocolError):
    """The body is not the platform's XML: malformed, unsafe, too large or missing a field."""


class _Refused(Exception):
    """Raised inside expat callbacks to stop parsing at once."""


def parse_xml(body: bytes | str, *, max_bytes: int = MAX_XML_BYTES) -> dict[str, str]:
    """Return the text of each child of the ``<xml>`` root by element name; refuse DTDs and entities."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if len(data) > max_bytes:
        raise WeChatXmlError(f"XML body of {len(data)} bytes exceeds {max_bytes}")
    fields: dict[str, str] = {}
    depth = 0
    current: list[str] = []
    name = ""
    root = ""

    def start(tag: str, _attrs: dict[str, str]) -> None:
        nonlocal depth, name, root
        depth += 1
        if depth == 1:
            root = tag
        elif depth == 2:
            name = tag
            current.clear()

    def end(_tag: str) -> None:
        nonlocal depth
        if depth == 2:
            if name in fields:
                raise _Refused(f"field {name} appears twice")
            fields[name] = "".join(current)
        depth -= 1

    def text(chunk: str) -> None:
        if depth == 2:
            current.append(chunk)

    def refuse_dtd(*_args: object) -> None:
        raise _Refused("DOCTYPE and entity declarations are not allowed")

    def refuse_entity(*_args: object) -> int:
        raise _Refused("external entities are not allowed")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_entity
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise WeChatXmlError(str(exc)) from None
    except expat.ExpatError as exc:
        raise WeChatXmlError(f"body is not well-formed XML: {expat.errors.messages[exc.code]}") from None
    if root != "xml":
        raise WeChatXmlError(f"root element is <{root}>, expected <xml>")
    return fields


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise WeChatXmlError(f"field {name} is missing or empty")
    return value


@dataclass(frozen=True)
class InboundMessage:
    """One push from the platform: a user's message or an event, as the official account receives it."""

    to_user: str  # the official account's original id (gh_…)
    from_user: str  # the sender's OpenID
    create_time: int  # seconds since the epoch, as the platform stamped it
    msg_type: str  # text, event, image, voice, …
    content: str | None = None
    msg_id: str | None = None
    event: str | None = None  # subscribe, unsubscribe, CLICK, …
    event_key: str | None = None

    @property
    def dedup_key(self) -> str:
        """The retry identity: MsgId for messages, sender + CreateTime for events (the platform's advice)."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"event:{self.from_user}:{self.create_time}"

    @property
    def is_text(self) -> bool:
        return self.msg_type == "text"

    @property
    def is_subscribe(self) -> bool:
        return self.msg_type == "event" and (self.event or "").lower() == "subscribe"

    @property
    def is_unsubscribe(self) -> bool:
        return self.msg_type == "event" and (self.event or "").lower() == "unsubscribe"


def parse_inbound(body: bytes | str) -> InboundMessage:
    """Read a plaintext push (a text message, an event or any other message type) into InboundMessage."""
    fields = parse_xml(body)
    create_time = _required(fields, "CreateTime")
    if not create_time.isdigit():
        raise WeChatXmlError(f"CreateTime {create_time[:20]!r} is not a number")
    message = InboundMessage(
        to_user=_required(fields, "ToUserName"),
        from_user=_required(fields, "FromUserName"),
        create_time=int(create_time),
        msg_type=_required(fields, "MsgType"),
        content=fields.get("Content"),
        msg_id=fields.get("MsgId", "").strip() or None,
        event=fields.get("Event", "").strip() or None,
        event_key=fields.get("EventKey"),
    )
    if message.msg_type == "text":
        if message.content is None:
            raise WeChatXmlError("text message has no Content")
        if message.msg_id is None:
            raise WeChatXmlError("text message has no MsgId")
    if message.msg_type == "event" and message.event is None:
        raise WeChatXmlError("event push has no Event")
    return message


def parse_encrypted_envelope(body: bytes | str) -> str:
    """Return the ``Encrypt`` field of a safe-mode push (or of an encrypted reply)."""
    return _required(parse_xml(body), "Encrypt")


def cdata(text: str) -> str:
    """Wrap ``text`` in CDATA, splitting any ``]]>`` and dropping characters XML cannot carry."""
    clean = _XML_ILLEGAL.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, create_time: int, content: str) -> str:
    """Return a passive text reply: to the sender's OpenID, from the official account's id."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


def encrypted_reply_xml(encrypted: str, signature: str, timestamp: str, nonce: str) -> str:
    """Return the safe-mode reply envelope, in WXBizMsgCrypt's field order."""
    return (
        f"<xml><Encrypt>{cdata(encrypted)}</Encrypt><MsgSignature>{cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{_digits(timestamp)}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )


def _digits(value: str) -> str:
    """Return a value written without CDATA (timestamps), refusing anything but digits."""
    if not value.isdigit():
        raise WeChatXmlError(f"{value[:20]!r} is not a timestamp")
    return value
