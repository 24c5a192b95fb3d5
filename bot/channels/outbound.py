"""Build the outbound gateways the settings configure, one per channel."""

from __future__ import annotations

from bot.channels.sms_http import HttpSmsGateway
from bot.channels.telegram import TelegramGateway
from bot.kernel.clock import Clock
from bot.kernel.settings import Settings
from reminders.gateways import CHANNELS, Channel, Gateway, GatewayError, LogSmsGateway


def gateway_from_settings(settings: Settings, channel: Channel, clock: Clock | None = None) -> Gateway:
    """Build the outbound gateway for a channel from the settings; raise GatewayError if unconfigured."""
    if channel == "telegram":
        if not settings.telegram_token:
            raise GatewayError("Telegram is not configured: set JXJY_TELEGRAM_TOKEN")
        return TelegramGateway(settings.telegram_token, settings.telegram_api_url)
    if channel != "sms":
        raise GatewayError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    kind = settings.sms_gateway.strip().lower()
    if kind == "log":
        return LogSmsGateway(settings.ensure_data_dir() / "sent.jsonl", clock=clock)
    if kind == "http":
        if not settings.sms_gateway_url or not settings.sms_secret:
            raise GatewayError("JXJY_SMS_GATEWAY=http needs JXJY_SMS_GATEWAY_URL and JXJY_SMS_SECRET")
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_secret)
    raise GatewayError(f"JXJY_SMS_GATEWAY={settings.sms_gateway!r} is not known; use 'log' or 'http'")


def gateways_from_settings(settings: Settings, clock: Clock | None = None) -> dict[Channel, Gateway]:
    """Every configured outbound gateway: SMS always (the log by default), Telegram when a token is set."""
    gateways: dict[Channel, Gateway] = {"sms": gateway_from_settings(settings, "sms", clock)}
    if settings.telegram_token:
        gateways["telegram"] = gateway_from_settings(settings, "telegram", clock)
    return gateways
