import os
import stat

import pytest

from bot.kernel.settings import Settings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/bot"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/bot"),
    ],
)
def test_telegram_api_url_gets_the_bot_path(given, expected, tmp_path):
    assert Settings(data_dir=tmp_path, telegram_api_url=given).telegram_api_url == expected


def test_generated_key_is_private_and_stable(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    key = settings.effective_secret_key()
    assert Settings(data_dir=tmp_path / "data").effective_secret_key() == key
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "secret.key").st_mode)
    assert mode == 0o600


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("JXJY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JXJY_DATABASE_URL", "postgresql+psycopg:///jxjy")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.effective_database_url == "postgresql+psycopg:///jxjy"
