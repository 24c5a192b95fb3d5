"""WeChat safe mode against the official WXBizMsgCrypt sample vectors, byte for byte; tampering is refused."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wechat_crypto import (
    AppIdMismatch,
    DecryptionFailed,
    InvalidAesKey,
    SignatureMismatch,
    WeChatCrypto,
    check_signature,
    decode_aes_key,
    msg_signature,
    pkcs7_pad,
    pkcs7_unpad,
    sha1_signature,
)
from bot.channels.wechat_xml import WeChatProtocolError, WeChatXmlError, parse_inbound, parse_xml

# WXBizMsgCrypt sample (Sample.cs / Sample.py / demo.php of the official download)
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APP_ID = "wx5823bf96d3bd56c7"
TIMESTAMP = "1409659813"
NONCE = "1372623149"
MSG_SIGNATURE = "477715d11cdb4164915debcba66cb864d751f3e6"
ENCRYPTED = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYv"
    "uJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+L"
    "twGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8"
    "V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1pt"
    "DAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
REQUEST_BODY = (
    f"<xml><ToUserName><![CDATA[{APP_ID}]]></ToUserName><Encrypt><![CDATA[{ENCRYPTED}]]></Encrypt></xml>"
)
# The plaintext the Enterprise WeChat "加解密方案说明" gives for this request; the random prefix it decrypts to.
PLAINTEXT = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
    "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    "<CreateTime>1409659813</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[hello]]></Content>\n"
    "<MsgId>4561255354251345929</MsgId>\n"
    "<AgentID>218</AgentID>\n"
    "</xml>"
)
RANDOM_PREFIX = b"0960688932c47ef1"
# URL-verification vector of the same samples
VERIFY_SIGNATURE = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
VERIFY_TIMESTAMP = "1409659589"
VERIFY_NONCE = "263014780"
VERIFY_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="


@pytest.fixture
def crypto() -> WeChatCrypto:
    return WeChatCrypto(TOKEN, AES_KEY, APP_ID)


def test_msg_signature_of_the_sample_request() -> None:
    assert msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPTED) == MSG_SIGNATURE
    # the order of the arguments does not matter: the parts are sorted first
    assert sha1_signature(ENCRYPTED, NONCE, TOKEN, TIMESTAMP) == MSG_SIGNATURE


def test_decrypt_the_sample_request(crypto: WeChatCrypto) -> None:
    plain = crypto.decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, REQUEST_BODY.encode())
    assert plain == PLAINTEXT
    message = parse_inbound(plain)
    assert (message.from_user, message.content, message.msg_id) == (
        "mycreate",
        "hello",
        "4561255354251345929",
    )


def test_encrypt_reproduces_the_sample_ciphertext_byte_for_byte(crypto: WeChatCrypto) -> None:
    assert crypto.encrypt_text(PLAINTEXT, random_prefix=RANDOM_PREFIX) == ENCRYPTED
    envelope = parse_xml(crypto.encrypt(PLAINTEXT, NONCE, TIMESTAMP, random_prefix=RANDOM_PREFIX))
    assert envelope == {
        "Encrypt": ENCRYPTED,
        "MsgSignature": MSG_SIGNATURE,
        "TimeStamp": TIMESTAMP,
        "Nonce": NONCE,
    }


def test_verify_url_sample_decrypts_the_echostr(crypto: WeChatCrypto) -> None:
    echo = crypto.decrypt_verified(VERIFY_SIGNATURE, VERIFY_TIMESTAMP, VERIFY_NONCE, VERIFY_ECHOSTR)
    assert echo == "1616140317555161061"


def test_plain_signature_is_sorted_sha1_of_token_timestamp_nonce() -> None:
    # No published vector: the parts sort as "1372623149" < "1409659813" < "QDG6eK" (byte order).
    expected = hashlib.sha1(b"13726231491409659813QDG6eK").hexdigest()
    assert check_signature(TOKEN, TIMESTAMP, NONCE, expected)
    assert check_signature(TOKEN, TIMESTAMP, NONCE, expected.upper())
    assert not check_signature(TOKEN, NONCE, TIMESTAMP + "0", expected)
    assert not check_signature("other", TIMESTAMP, NONCE, expected)
    assert not check_signature(TOKEN, TIMESTAMP, NONCE, "签名")  # non-ASCII input is refused, not an error


def test_round_trip_of_a_chinese_reply_with_random_prefix(crypto: WeChatCrypto) -> None:
    reply = "<xml><Content><![CDATA[您好！请发送“学时”查询]]></Content></xml>"
    first = crypto.encrypt(reply, "nonce1", "1700000000")
    second = crypto.encrypt(reply, "nonce1", "1700000000")
    assert first != second  # a fresh random prefix each time
    fields = parse_xml(first)
    assert crypto.decrypt(fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"], first) == reply


@pytest.mark.parametrize("length", [0, 1, 11, 12, 13, 31, 32, 33, 2048])
def test_padding_is_to_32_byte_blocks(crypto: WeChatCrypto, length: int) -> None:
    text = "x" * length
    raw = base64.b64decode(crypto.encrypt_text(text))
    assert len(raw) % 32 == 0
    assert crypto.decrypt_text(crypto.encrypt_text(text)) == text
    padded = pkcs7_pad(b"y" * length)
    assert len(padded) % 32 == 0 and 1 <= padded[-1] <= 32
    assert pkcs7_unpad(padded) == b"y" * length


def test_a_changed_ciphertext_is_refused(crypto: WeChatCrypto) -> None:
    tampered = ("S" if ENCRYPTED[0] != "S" else "T") + ENCRYPTED[1:]
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, REQUEST_BODY.replace(ENCRYPTED, tampered))
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(MSG_SIGNATURE, str(int(TIMESTAMP) + 1), NONCE, REQUEST_BODY)
    # even with a matching signature, a corrupted block no longer decrypts to this app's message
    signature = msg_signature(TOKEN, TIMESTAMP, NONCE, tampered)
    with pytest.raises((DecryptionFailed, AppIdMismatch)):
        crypto.decrypt(signature, TIMESTAMP, NONCE, REQUEST_BODY.replace(ENCRYPTED, tampered))


def test_a_message_for_another_app_id_is_refused() -> None:
    other = WeChatCrypto(TOKEN, AES_KEY, "wx0000000000000000")
    with pytest.raises(AppIdMismatch):
        other.decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, REQUEST_BODY)


def test_the_wrong_aes_key_is_refused() -> None:
    wrong = WeChatCrypto(TOKEN, "a" * 43, APP_ID)
    with pytest.raises((DecryptionFailed, AppIdMismatch)):
        wrong.decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, REQUEST_BODY)


def _encrypt_raw(plain: bytes) -> str:
    key = decode_aes_key(AES_KEY)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@pytest.mark.parametrize(
    ("plain", "reason"),
    [
        (b"\x00" * 31 + b"\x21", "bad padding"),  # 33 > block size
        (b"\x00" * 27 + b"\x01\x05\x05\x05\x05", "bad padding"),  # padding bytes disagree
        (RANDOM_PREFIX + b"\x10" * 16, "shorter than its header"),
        (pkcs7_pad(RANDOM_PREFIX + struct.pack(">I", 500) + b"hi" + APP_ID.encode()), "claims 500 bytes"),
    ],
)
def test_malformed_plaintexts_are_refused(crypto: WeChatCrypto, plain: bytes, reason: str) -> None:
    with pytest.raises(DecryptionFailed, match=reason):
        crypto.decrypt_text(_encrypt_raw(plain))


@pytest.mark.parametrize("encrypted", ["not base64!", "", "QUJD"])
def test_non_ciphertext_is_refused(crypto: WeChatCrypto, encrypted: str) -> None:
    with pytest.raises(DecryptionFailed):
        crypto.decrypt_text(encrypted)


@pytest.mark.parametrize("key", ["short", AES_KEY + "A", "!" * 43])
def test_bad_encoding_aes_key_is_refused(key: str) -> None:
    with pytest.raises(InvalidAesKey):
        WeChatCrypto(TOKEN, key, APP_ID)


def test_envelope_without_encrypt_is_refused(crypto: WeChatCrypto) -> None:
    with pytest.raises(WeChatXmlError, match="Encrypt"):
        crypto.decrypt(MSG_SIGNATURE, TIMESTAMP, NONCE, "<xml><ToUserName>x</ToUserName></xml>")


def test_every_refusal_shares_one_base_for_the_endpoint_to_catch(crypto: WeChatCrypto) -> None:
    for body in (REQUEST_BODY, "<xml>", "<!DOCTYPE x><xml/>"):
        with pytest.raises(WeChatProtocolError):
            crypto.decrypt("0" * 40, TIMESTAMP, NONCE, body)
