"""WeChat official-account server mode: signatures and safe-mode (AES) encryption, as WXBizMsgCrypt does it.

The platform signs every push with ``signature`` = SHA-1 of the sorted, concatenated token, timestamp and
nonce. In safe mode (``encrypt_type=aes``) the body carries ``<Encrypt>``: base64 of AES-256-CBC over
16 random bytes + the message length (4 bytes, network order) + the message + the app id, padded with
PKCS#7 to a 32-byte block; the key is base64(EncodingAESKey + "="), the IV its first 16 bytes, and
``msg_signature`` = SHA-1 of the sorted token, timestamp, nonce and ciphertext.

Official examples reproduced in ``tests/bot/channels/test_wechat_crypto.py``:

- WXBizMsgCrypt sample code (Tencent's "消息加解密" download, e.g. ``Sample.cs`` of the C# sample, the same
  values in the Python/Java/PHP samples): token ``QDG6eK``, EncodingAESKey
  ``jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C``, app id ``wx5823bf96d3bd56c7``, timestamp ``1409659813``,
  nonce ``1372623149``, msg_signature ``477715d11cdb4164915debcba66cb864d751f3e6`` and the ``RypEvHKD8QQ...``
  ciphertext. The Enterprise WeChat callback documentation ("加解密方案说明") walks the same request
  through step by step and gives its plaintext (``<Content><![CDATA[hello]]></Content>``, MsgId
  ``4561255354251345929``); the random prefix it decrypts to lets the test re-encrypt byte for byte.
- "使用示例一：验证回调URL" of the Enterprise WeChat edition of the same samples (``Sample.cs`` /
  ``demo.php``, same token, key and id): msg_signature ``5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3``,
  timestamp ``1409659589``, nonce ``263014780`` and an encrypted echostr; the sample prints no plaintext,
  ours is ``1616140317555161061`` (third-party ports of the sample pin the same value). Official accounts
  verify the URL with the plain signature instead, but the vector pins ``msg_signature`` and decryption.

The plain ``signature`` has no published numeric example (the "接入指南" page gives only the procedure);
it is the same sorted-SHA-1 function as ``msg_signature``, which the vectors above pin down.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from typing import TYPE_CHECKING

from bot.channels.wechat_xml import WeChatProtocolError, encrypted_reply_xml, parse_encrypted_envelope

if TYPE_CHECKING:  # the cryptography package loads with the first encrypted push (safe mode)
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

BLOCK_SIZE = 32  # the platform pads to 32 bytes, not AES's 16
RANDOM_PREFIX_SIZE = 16


class WeChatCryptoError(WeChatProtocolError):
    """A push or reply that cannot be verified, decrypted or encrypted; the message says why."""


class SignatureMismatch(WeChatCryptoError):
    """The signature does not match the token: the request did not come from the platform."""


class InvalidAesKey(WeChatCryptoError):
    """The EncodingAESKey is not 43 base64 characters decoding to 32 bytes."""


class DecryptionFailed(WeChatCryptoError):
    """The ciphertext is not base64, not a whole number of blocks, or its padding or length is wrong."""


class AppIdMismatch(WeChatCryptoError):
    """The decrypted message was meant for another official account."""


def sha1_signature(*parts: str) -> str:
    """Return the hex SHA-1 of the parts sorted (byte order) and concatenated: WeChat's signature."""
    joined = "".join(sorted(parts))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def check_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """Tell whether ``signature`` is SHA-1 of the sorted token, timestamp and nonce (server verification)."""
    expected = sha1_signature(token, timestamp, nonce)
    return _same(expected, signature)


def msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """Return the safe-mode ``msg_signature``: SHA-1 of the sorted token, timestamp, nonce and ciphertext."""
    return sha1_signature(token, timestamp, nonce, encrypted)


def _same(expected: str, given: str) -> bool:
    """Compare a hex digest with what a request carried, in constant time and whatever it carried."""
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """Return the 32-byte AES key of a 43-character EncodingAESKey, or raise InvalidAesKey."""
    if len(encoding_aes_key) != 43:
        raise InvalidAesKey(f"EncodingAESKey must be 43 characters, got {len(encoding_aes_key)}")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidAesKey("EncodingAESKey is not base64 (letters, digits, + and / only)") from exc
    if len(key) != 32:
        raise InvalidAesKey(f"EncodingAESKey decodes to {len(key)} bytes, expected 32")
    return key


def pkcs7_pad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Pad ``data`` to a multiple of ``block_size`` the PKCS#7 way (always 1 to block_size bytes)."""
    amount = block_size - len(data) % block_size
    return data + bytes([amount]) * amount


def pkcs7_unpad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Strip PKCS#7 padding of at most ``block_size`` bytes, or raise DecryptionFailed."""
    if not data:
        raise DecryptionFailed("decrypted message is empty")
    amount = data[-1]
    if not 1 <= amount <= block_size or data[-amount:] != bytes([amount]) * amount:
        raise DecryptionFailed("decrypted message has bad padding (wrong EncodingAESKey?)")
    return data[:-amount]


class WeChatCrypto:
    """Encrypt replies and verify and decrypt pushes for one official account, like WXBizMsgCrypt."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        self.token = token
        self.app_id = app_id
        self._key = decode_aes_key(encoding_aes_key)

    # --- the cipher --------------------------------------------------------------------------------

    def encrypt_text(self, text: str, *, random_prefix: bytes | None = None) -> str:
        """Return base64 of AES-256-CBC(random 16 bytes + length + text + app id); random unless given."""
        prefix = os.urandom(RANDOM_PREFIX_SIZE) if random_prefix is None else random_prefix
        if len(prefix) != RANDOM_PREFIX_SIZE:
            raise WeChatCryptoError(f"random prefix must be {RANDOM_PREFIX_SIZE} bytes, got {len(prefix)}")
        body = text.encode("utf-8")
        plain = prefix + struct.pack(">I", len(body)) + body + self.app_id.encode("utf-8")
        encryptor = self._cipher().encryptor()
        cipher_text = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(cipher_text).decode("ascii")

    def decrypt_text(self, encrypted: str) -> str:
        """Return the message inside a base64 ciphertext after checking its length and app id."""
        try:
            cipher_text = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptionFailed("ciphertext is not base64") from exc
        if not cipher_text or len(cipher_text) % 16:
            raise DecryptionFailed(f"ciphertext of {len(cipher_text)} bytes is not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = pkcs7_unpad(decryptor.update(cipher_text) + decryptor.finalize())
        if len(plain) < RANDOM_PREFIX_SIZE + 4:
            raise DecryptionFailed("decrypted message is shorter than its header")
        (length,) = struct.unpack(">I", plain[RANDOM_PREFIX_SIZE : RANDOM_PREFIX_SIZE + 4])
        start = RANDOM_PREFIX_SIZE + 4
        if start + length > len(plain):
            raise DecryptionFailed(f"decrypted message claims {length} bytes but has fewer")
        app_id = plain[start + length :]
        if not hmac.compare_digest(app_id, self.app_id.encode("utf-8")):
            raise AppIdMismatch(f"message is for app id {app_id.decode('utf-8', 'replace')!r}")
        try:
            return plain[start : start + length].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecryptionFailed("decrypted message is not UTF-8") from exc

    def _cipher(self) -> Cipher[modes.CBC]:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    # --- whole messages, as WXBizMsgCrypt's EncryptMsg / DecryptMsg / VerifyURL --------------------

    def encrypt(self, xml: str, nonce: str, timestamp: str, *, random_prefix: bytes | None = None) -> str:
        """Return the encrypted passive-reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce) of ``xml``."""
        encrypted = self.encrypt_text(xml, random_prefix=random_prefix)
        signature = msg_signature(self.token, timestamp, nonce, encrypted)
        return encrypted_reply_xml(encrypted, signature, timestamp, nonce)

    def decrypt(self, signature: str, timestamp: str, nonce: str, body: bytes | str) -> str:
        """Return the plaintext XML of a safe-mode push after checking its ``msg_signature``."""
        encrypted = parse_encrypted_envelope(body)
        return self.decrypt_verified(signature, timestamp, nonce, encrypted)

    def decrypt_verified(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        """Return the plaintext of ``encrypted`` (an echostr or an Encrypt field) if its signature holds."""
        expected = msg_signature(self.token, timestamp, nonce, encrypted)
        if not _same(expected, signature):
            raise SignatureMismatch("msg_signature does not match the token and the ciphertext")
        return self.decrypt_text(encrypted)
