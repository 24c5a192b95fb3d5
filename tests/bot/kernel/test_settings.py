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


def test_mainland_channel_settings_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("JXJY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JXJY_PUBLIC_URL", "https://bot.example.org/")
    monkeypatch.setenv("JXJY_WECHAT_TOKEN", "QDG6eK")
    monkeypatch.setenv("JXJY_WECHAT_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("JXJY_WECHAT_TEMPLATE_FIELDS", '{"first": "{name}您好", "keyword1": "{text}"}')
    monkeypatch.setenv("JXJY_SMS_GATEWAY", "tencent")
    monkeypatch.setenv("JXJY_SMS_TEMPLATES", str(tmp_path / "t.yaml"))
    monkeypatch.setenv("JXJY_TENCENT_SMS_SDK_APP_ID", "1400000001")
    settings = Settings()
    assert settings.public_url == "https://bot.example.org"
    assert settings.wechat_api_url == "http://127.0.0.1:9"
    assert settings.wechat_template_fields == {"first": "{name}您好", "keyword1": "{text}"}
    assert settings.sms_templates == tmp_path / "t.yaml"
    assert (settings.tencent_region, settings.aliyun_sms_endpoint) == (
        "ap-guangzhou",
        "https://dysmsapi.aliyuncs.com/",
    )


def test_the_passive_reply_window_stays_inside_wechats_five_seconds(tmp_path):
    with pytest.raises(ValueError, match="wechat_reply_seconds"):
        Settings(data_dir=tmp_path, wechat_reply_seconds=6)


@pytest.mark.parametrize("key", ["short", "!" * 43, "A" * 44])
def test_a_mistyped_aes_key_is_refused_at_start(tmp_path, key):
    with pytest.raises(ValueError, match="43-character EncodingAESKey"):
        Settings(data_dir=tmp_path, wechat_aes_key=key, wechat_app_id="wx1")
    good = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    assert Settings(data_dir=tmp_path, wechat_aes_key=good, wechat_app_id="wx1").wechat_aes_key == good
    with pytest.raises(ValueError, match="needs JXJY_WECHAT_APP_ID"):
        Settings(data_dir=tmp_path, wechat_aes_key=good)
