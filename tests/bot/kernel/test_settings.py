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


def test_first_starts_at_once_agree_on_one_complete_key(tmp_path):
    import threading

    for round_ in range(30):
        data = tmp_path / f"round{round_}"
        start = threading.Barrier(12)
        keys = []

        def first_start(data=data, start=start, keys=keys):
            start.wait()
            keys.append(Settings(data_dir=data).effective_secret_key())

        threads = [threading.Thread(target=first_start) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == 12 and len(set(keys)) == 1 and keys[0]
        assert [p.name for p in data.iterdir()] == ["secret.key"]  # no staged file left behind


def test_an_empty_key_file_is_an_error_not_a_key(tmp_path):
    (tmp_path / "secret.key").write_text("")
    with pytest.raises(ValueError, match="empty"):
        Settings(data_dir=tmp_path).effective_secret_key()
