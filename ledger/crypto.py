"""ID numbers at rest (AES-GCM, keyed lookup hash, keys derived from JXJY_SECRET_KEY) and masking."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.kernel.personal_data import normalize_id

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_CIPHER_PREFIX = "v1:"
_NONCE_BYTES = 12
_URLSAFE = bytes.maketrans(b"+/", b"-_")


class KeyMismatchError(Exception):
    """Stored data was encrypted with another key than the one configured."""


def _derive(secret_key: str, purpose: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) of the secret, 32 bytes, salt "jxjy-bot", info ``purpose``.

    Written with the standard library's HMAC (one block of output needs one expand step), so a process
    that never seals an ID number does not load the cryptography package (6 MB in `jxjy serve`).
    """
    prk = hmac.digest(b"jxjy-bot", secret_key.encode("utf-8"), "sha256")
    return hmac.digest(prk, purpose + b"\x01", "sha256")


class IdVault:
    """Encrypt, decrypt and hash ID numbers with keys derived (HKDF) from one secret."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("the secret key is empty; set JXJY_SECRET_KEY or let one be generated")
        self._aead_key = _derive(secret_key, b"id-number encryption")
        self._aead_cipher: AESGCM | None = None
        self._hash_key = _derive(secret_key, b"id-number lookup hash")
        # HMAC (RFC 2104) is H((K ^ opad) || H((K ^ ipad) || m)); the key is one SHA-256 block or less.
        block = self._hash_key.ljust(64, b"\0")
        self._hash_states = (
            hashlib.sha256(bytes(b ^ 0x36 for b in block)),
            hashlib.sha256(bytes(b ^ 0x5C for b in block)),
        )

    @property
    def _aead(self) -> AESGCM:
        """The AES-GCM cipher, made on first use (the cryptography package loads then)."""
        if self._aead_cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead_cipher = AESGCM(self._aead_key)
        return self._aead_cipher

    def encrypt(self, id_number: str) -> str:
        """Return the ID number encrypted as text (random nonce, so equal inputs differ)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, normalize_id(id_number).encode("ascii"), None)
        return _CIPHER_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def encrypt_many(self, id_numbers: Iterable[str]) -> list[str]:
        """Return ``encrypt`` of each ID number (the same format; the random nonces drawn in one call)."""
        plain = [n.strip().upper().encode("ascii") for n in id_numbers]  # normalize_id, spelled out
        if not plain:
            return []
        nonces = os.urandom(_NONCE_BYTES * len(plain))
        seal, encode = self._aead.encrypt, binascii.b2a_base64
        sealed = [
            encode((nonce := nonces[start : start + _NONCE_BYTES]) + seal(nonce, text, None), newline=False)
            for start, text in zip(range(0, len(nonces), _NONCE_BYTES), plain, strict=True)
        ]
        # Made URL-safe, decoded and prefixed all at once (base64 never writes a newline)
        joined = (b"\n" + _CIPHER_PREFIX.encode("ascii")).join(sealed)
        return (_CIPHER_PREFIX + joined.translate(_URLSAFE).decode("ascii")).split("\n")

    def decrypt(self, token: str) -> str:
        """Return the ID number inside ``token``; KeyMismatchError when this key did not seal it."""
        if not token.startswith(_CIPHER_PREFIX):
            raise KeyMismatchError("stored ID number is not in a known format")
        raw = base64.urlsafe_b64decode(token[len(_CIPHER_PREFIX) :])
        from cryptography.exceptions import InvalidTag

        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except InvalidTag as exc:
            raise KeyMismatchError(
                "stored ID numbers were encrypted with another key; check JXJY_SECRET_KEY"
            ) from exc
        return plain.decode("ascii")

    def lookup_hash(self, id_number: str) -> str:
        """Return the keyed HMAC-SHA256 (hex) used to find a trainee by ID number."""
        return hmac.digest(self._hash_key, normalize_id(id_number).encode("ascii"), "sha256").hex()

    def lookup_hashes(self, id_numbers: Iterable[str]) -> list[str]:
        """Return ``lookup_hash`` of each ID number (an import's hot path: the HMAC's keyed inner and outer
        states are computed once, not once per number)."""
        inner, outer = self._hash_states
        hashes = []
        for id_number in id_numbers:
            digest = inner.copy()
            digest.update(id_number.strip().upper().encode("ascii"))  # normalize_id, spelled out
            final = outer.copy()
            final.update(digest.digest())
            hashes.append(final.hexdigest())
        return hashes
