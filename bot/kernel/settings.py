"""Settings from the environment (JXJY_*), with embedded defaults that need no configuration."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"

    @field_validator("telegram_api_url")
    @classmethod
    def _bot_api_base(cls, url: str) -> str:
        # python-telegram-bot appends the token to this base: a server root such as a local Bot API server's
        # http://127.0.0.1:8081 needs the "/bot" path that Telegram's own URL carries.
        url = url.rstrip("/")
        return url if url.endswith("/bot") else url + "/bot"

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
        """The configured key, or one generated once into the data dir with mode 0600."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_data_dir() / "secret.key"
        try:
            return path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            pass
        key = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        return key
