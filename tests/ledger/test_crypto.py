import base64
import re

import pytest
from sqlalchemy import Engine, text

from bot.kernel.clock import FixedClock
from bot.kernel.personal_data import mask_id, mask_personal_data, mask_phone
from knowledge.campaign import load_campaign
from ledger.crypto import IdVault, KeyMismatchError
from ledger.importer import import_ledger
from ledger.rotation import rotate_key
from ledger.store import SQLAlchemyLedgerStore
from tests.ledger.conftest import SAMPLE


def test_masking() -> None:
    assert mask_id("430602199001011237") == "4306**********1237"
    assert mask_id("43060319820821308x") == "4306**********308X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_personal_data("身份证430602199001011237，电话13812345678，学时32") == (
        "身份证4306**********1237，电话138****5678，学时32"
    )
    # Longer digit runs are not ID numbers.
    assert mask_personal_data("4306021990010112371") == "4306021990010112371"


def test_encryption_round_trips_and_is_randomized() -> None:
    vault = IdVault("k1")
    first, second = vault.encrypt("43060319820821308x"), vault.encrypt("43060319820821308X")
    assert first != second
    assert vault.decrypt(first) == vault.decrypt(second) == "43060319820821308X"
    assert "4306031982" not in first


def test_lookup_hash_is_keyed() -> None:
    assert IdVault("k1").lookup_hash("430602199001011235") == IdVault("k1").lookup_hash("430602199001011235")
    assert IdVault("k1").lookup_hash("430602199001011235") != IdVault("k2").lookup_hash("430602199001011235")


def test_the_bulk_forms_match_the_single_ones() -> None:
    vault = IdVault("k1")
    numbers = ["430602199001011235", "43060319820821308x", " 430621199208284985 "]
    assert vault.lookup_hashes(numbers) == [vault.lookup_hash(n) for n in numbers]
    assert len(vault.lookup_hashes(numbers)[0]) == 64
    sealed = vault.encrypt_many(numbers)
    assert [vault.decrypt(token) for token in sealed] == [vault.decrypt(vault.encrypt(n)) for n in numbers]
    assert len(set(sealed)) == 3 and all(token.startswith("v1:") for token in sealed)
    # exactly encrypt's format: nothing before, after or between the tokens
    shape = re.compile(r"v1:[A-Za-z0-9_-]+={0,2}")
    assert all(shape.fullmatch(token) and len(token) == len(vault.encrypt(numbers[0])) for token in sealed)
    assert vault.encrypt_many(numbers[:1]) != vault.encrypt_many(numbers[:1])  # fresh nonces each time
    assert vault.encrypt_many([]) == [] and vault.lookup_hashes([]) == []


def test_keys_are_the_cryptography_packages_hkdf_and_seal_with_its_aes_gcm() -> None:
    # The keys are derived with the standard library (so `jxjy serve` need not load cryptography until an
    # ID number is sealed); they must stay what cryptography's HKDF gave, or stored rows become unreadable.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from ledger.crypto import _derive

    for secret in ("k", "test-secret-key-" * 5, "密钥"):
        for purpose in (b"id-number encryption", b"id-number lookup hash"):
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"jxjy-bot", info=purpose)
            assert _derive(secret, purpose) == hkdf.derive(secret.encode("utf-8"))
    vault = IdVault("a secret")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"jxjy-bot", info=b"id-number encryption")
    aead = AESGCM(key.derive(b"a secret"))
    token = vault.encrypt("430602199001011234")
    raw = base64.urlsafe_b64decode(token.removeprefix("v1:"))
    assert aead.decrypt(raw[:12], raw[12:], None) == b"430602199001011234"


def test_another_key_cannot_decrypt() -> None:
    with pytest.raises(KeyMismatchError):
        IdVault("k2").decrypt(IdVault("k1").encrypt("430602199001011235"))
    with pytest.raises(ValueError, match="empty"):
        IdVault("")


def test_rotation_re_encrypts_every_row(engine: Engine, vault: IdVault, clock: FixedClock) -> None:
    import_ledger(engine, vault, SAMPLE, load_campaign().facts.posts, clock.now())
    with engine.connect() as conn:
        before = conn.execute(text("SELECT id, id_hash, id_cipher FROM trainees ORDER BY id")).all()
    new = IdVault("a brand new key")
    assert rotate_key(engine, vault, new) == 12
    with engine.connect() as conn:
        after = conn.execute(text("SELECT id, id_hash, id_cipher FROM trainees ORDER BY id")).all()
    assert all(
        a.id_hash != b.id_hash and a.id_cipher != b.id_cipher for a, b in zip(after, before, strict=True)
    )
    assert [new.decrypt(row.id_cipher) for row in after] == [vault.decrypt(row.id_cipher) for row in before]
    assert SQLAlchemyLedgerStore(engine, new).find_by_id_number("430621199208284985") is not None
    assert SQLAlchemyLedgerStore(engine, vault).find_by_id_number("430621199208284985") is None


def test_rotation_with_the_wrong_old_key_changes_nothing(
    engine: Engine, vault: IdVault, clock: FixedClock
) -> None:
    import_ledger(engine, vault, SAMPLE, load_campaign().facts.posts, clock.now())
    with engine.connect() as conn:
        before = conn.execute(text("SELECT id_hash, id_cipher FROM trainees ORDER BY id")).all()
    with pytest.raises(KeyMismatchError):
        rotate_key(engine, IdVault("not the key"), IdVault("new"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id_hash, id_cipher FROM trainees ORDER BY id")).all() == before
