"""Build the outbound gateways the settings configure, one per channel."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.channels.aliyun_sms import AliyunCredentials
from bot.channels.message_fields import MessageFields, PlainFields
from bot.channels.sms_aliyun import AliyunSmsGateway
from bot.channels.sms_http import HttpSmsGateway
from bot.channels.sms_templates import PROVIDER_LIMITS, SmsTemplateError, SmsTemplates, load_sms_templates
from bot.channels.sms_tencent import TencentSmsGateway
from bot.channels.tencent_sms import TencentCredentials
from bot.channels.wechat_gateway import WeChatGateway
from bot.channels.wechat_token import WeChatTokens
from bot.kernel.clock import Clock
from bot.kernel.settings import Settings
from reminders.gateways import CHANNELS, Channel, Gateway, GatewayError, LogSmsGateway

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

SMS_GATEWAYS = ("log", "http", "aliyun", "tencent")


def _missing(settings: Settings, *names: str) -> list[str]:
    return [f"JXJY_{name.upper()}" for name in names if not getattr(settings, name)]


def sms_templates(settings: Settings) -> SmsTemplates:
    """The approved templates for a mainland provider; GatewayError when they cannot be read."""
    kind = settings.sms_gateway.strip().lower()
    limit = settings.sms_variable_limit or PROVIDER_LIMITS.get(kind)
    try:
        return load_sms_templates(settings.sms_templates, settings.sms_template_code, max_length=limit)
    except SmsTemplateError as exc:
        raise GatewayError(str(exc)) from exc


def sms_gateway(
    settings: Settings, clock: Clock | None = None, fields: MessageFields | None = None
) -> Gateway:
    """The SMS gateway JXJY_SMS_GATEWAY names; GatewayError naming what is missing."""
    kind = settings.sms_gateway.strip().lower()
    fields = fields or PlainFields()
    if kind == "log":
        return LogSmsGateway(settings.ensure_data_dir() / "sent.jsonl", clock=clock)
    if kind == "http":
        if not settings.sms_gateway_url or not settings.sms_secret:
            raise GatewayError("JXJY_SMS_GATEWAY=http needs JXJY_SMS_GATEWAY_URL and JXJY_SMS_SECRET")
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_secret)
    if kind == "aliyun":
        missing = _missing(settings, "aliyun_access_key_id", "aliyun_access_key_secret", "sms_sign_name")
        if missing:
            raise GatewayError(f"JXJY_SMS_GATEWAY=aliyun needs {', '.join(missing)}")
        credentials = AliyunCredentials(
            settings.aliyun_access_key_id or "", settings.aliyun_access_key_secret or ""
        )
        return AliyunSmsGateway(
            credentials,
            sign_name=settings.sms_sign_name or "",
            templates=sms_templates(settings),
            fields=fields,
            endpoint=settings.aliyun_sms_endpoint,
        )
    if kind == "tencent":
        names = ("tencent_secret_id", "tencent_secret_key", "tencent_sms_sdk_app_id", "sms_sign_name")
        missing = _missing(settings, *names)
        if missing:
            raise GatewayError(f"JXJY_SMS_GATEWAY=tencent needs {', '.join(missing)}")
        return TencentSmsGateway(
            TencentCredentials(settings.tencent_secret_id or "", settings.tencent_secret_key or ""),
            sdk_app_id=settings.tencent_sms_sdk_app_id or "",
            sign_name=settings.sms_sign_name or "",
            templates=sms_templates(settings),
            fields=fields,
            region=settings.tencent_region,
            endpoint=settings.tencent_sms_endpoint,
        )
    raise GatewayError(
        f"JXJY_SMS_GATEWAY={settings.sms_gateway!r} is not known; use {', '.join(SMS_GATEWAYS)}"
    )


def wechat_gateway(settings: Settings, engine: Engine, fields: MessageFields | None = None) -> Gateway:
    """The WeChat gateway (customer-service and template messages); GatewayError naming what is missing."""
    missing = _missing(settings, "wechat_app_id", "wechat_app_secret")
    if missing:
        raise GatewayError(f"WeChat messages need {', '.join(missing)}")
    tokens = WeChatTokens(
        engine, settings.wechat_app_id or "", settings.wechat_app_secret or "", settings.wechat_api_url
    )
    return WeChatGateway(
        tokens,
        settings.wechat_api_url,
        template_id=settings.wechat_template_id,
        template_fields=settings.wechat_template_fields,
        fields=fields or PlainFields(),
    )


def gateway_from_settings(settings: Settings, channel: Channel, clock: Clock | None = None) -> Gateway:
    """Build the outbound gateway for SMS or Telegram from the settings; raise GatewayError if unconfigured."""
    if channel == "telegram":
        if not settings.telegram_token:
            raise GatewayError("Telegram is not configured: set JXJY_TELEGRAM_TOKEN")
        from bot.channels.telegram_send import TelegramGateway  # aiohttp: no python-telegram-bot

        return TelegramGateway(settings.telegram_token, settings.telegram_api_url)
    if channel == "sms":
        return sms_gateway(settings, clock)
    raise GatewayError(f"channel {channel!r} needs the database; expected one of {', '.join(CHANNELS)}")


def gateways_from_settings(
    settings: Settings,
    clock: Clock | None = None,
    *,
    engine: Engine | None = None,
    fields: MessageFields | None = None,
) -> dict[Channel, Gateway]:
    """Every configured gateway: SMS always (the log by default), Telegram with a token, WeChat with an app.

    ``fields`` fills template variables (mainland SMS, WeChat templates); ``engine`` holds the WeChat token.
    """
    gateways: dict[Channel, Gateway] = {"sms": sms_gateway(settings, clock, fields)}
    if settings.telegram_token:
        gateways["telegram"] = gateway_from_settings(settings, "telegram", clock)
    if settings.wechat_app_id and settings.wechat_app_secret and engine is not None:
        gateways["wechat"] = wechat_gateway(settings, engine, fields)
    elif settings.wechat_token:
        log.warning("wechat: no JXJY_WECHAT_APP_ID/SECRET: slow answers and reminders go by SMS instead")
    return gateways
