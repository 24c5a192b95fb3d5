"""Settings from the environment (JXJY_*), with embedded defaults that need no configuration."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KEY_FILE = "secret.key"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jxjy"


class Settings(BaseSettings):
    """Everything the composition root needs; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="JXJY_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    secret_key: str | None = None
    campaign_file: Path | None = None
    campaign_dir: Path | None = (
        None  # a folder of campaign files, one per year: the one of the moment is used
    )
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: str | None = None
    sms_gateway: str = "log"
    sms_gateway_url: str | None = None
    sms_secret: str | None = None
    rasa_url: str | None = None
    nlu_threshold: float = 0.3
    # SMS to one number, counting reminders, broadcasts and replies alike.
    sms_per_number_hour: int = Field(default=5, ge=1)
    sms_per_number_day: int = Field(default=10, ge=1)
    # Inbound messages answered per sender in any hour; past it they are stored, not answered (no loops).
    inbound_per_sender_hour: int = Field(default=20, ge=1)
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    # A broadcast not sent within this many hours of its send time expires; unset: at the end of that day.
    broadcast_valid_hours: float | None = Field(default=None, gt=0)
    # Channels in mainland China (CONTRACTS.md): a channel is on when its first setting is set.
    # public_url also makes the console's cookies Secure when it is https.
    public_url: str | None = None
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_aes_key: str | None = None
    wechat_api_url: str = "https://api.weixin.qq.com"
    wechat_template_id: str | None = None
    # Template field → what it shows, e.g. {"first": "{name}您好", "keyword1": "{text}"} (JSON in the env).
    wechat_template_fields: dict[str, str] = Field(default_factory=lambda: {"content": "{text}"})
    # How long a push may wait for the brain before the answer goes by customer-service message instead.
    wechat_reply_seconds: float = Field(default=4.0, gt=0, le=4.5)
    sms_templates: Path | None = None
    sms_template_code: str | None = None
    sms_sign_name: str | None = None
    sms_callback_token: str | None = None
    # Per-variable length limit checked by `kb check`; default: the provider's (Aliyun 35, Tencent 6).
    sms_variable_limit: int | None = Field(default=None, ge=1)
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: str | None = None
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    tencent_secret_id: str | None = None
    tencent_secret_key: str | None = None
    tencent_sms_sdk_app_id: str | None = None
    tencent_region: str = "ap-guangzhou"
    tencent_sms_endpoint: str = "https://sms.tencentcloudapi.com/"

    @field_validator("telegram_api_url")
    @classmethod
    def _bot_api_base(cls, url: str) -> str:
        # python-telegram-bot appends the token to this base: a server root such as a local Bot API server's
        # http://127.0.0.1:8081 needs the "/bot" path that Telegram's own URL carries.
        url = url.rstrip("/")
        return url if url.endswith("/bot") else url + "/bot"

    @field_validator("public_url", "wechat_api_url")
    @classmethod
    def _no_trailing_slash(cls, url: str | None) -> str | None:
        # Paths such as /cgi-bin/token and /telegram/webhook are appended.
        return url.rstrip("/") if url else url

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key(cls, key: str | None) -> str | None:
        # Checked here so a mistyped key stops `jxjy serve` with one line, not at the first encrypted push.
        if key is None:
            return None
        try:
            decoded = base64.b64decode(key + "=", validate=True) if len(key) == 43 else b""
        except ValueError:
            decoded = b""
        if len(decoded) != 32:
            raise ValueError(
                "JXJY_WECHAT_AES_KEY must be the 43-character EncodingAESKey from the official account's "
                "server settings (letters, digits, + and /)"
            )
        return key

    @model_validator(mode="after")
    def _safe_mode_needs_the_app_id(self) -> Settings:
        # Every encrypted push names the app id it is for; without ours each one would be refused.
        if self.wechat_aes_key and not self.wechat_app_id:
            raise ValueError(
                "JXJY_WECHAT_AES_KEY (safe mode) needs JXJY_WECHAT_APP_ID, the official account's AppID"
            )
        return self

    def ensure_data_dir(self) -> Path:
        """Create the data dir (mode 0700) if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.data_dir

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.ensure_data_dir() / 'jxjy.sqlite3'}"

    def effective_secret_key(self) -> str:
        """The configured key, or one generated once into the data dir with mode 0600.

        Two first starts at once may both generate one: each writes its key to a file of its own and links
        it into place, which only one link can do; the other start reads the winner's. The key file is never
        seen half written.
        """
        if self.secret_key:
            return self.secret_key
        path = self.ensure_data_dir() / KEY_FILE
        key = _read_key(path)
        if key is None:
            staged = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_urlsafe(32) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                with contextlib.suppress(FileExistsError):
                    os.link(staged, path)
            finally:
                staged.unlink(missing_ok=True)
            key = _read_key(path)
        if not key:
            raise ValueError(
                f"the key file {path} is empty; restore it from the backup (see deploy/README.md)"
            )
        return key


def _read_key(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
