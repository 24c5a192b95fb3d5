"""Which approved template each outbound SMS uses: ``JXJY_SMS_TEMPLATES`` and ``JXJY_SMS_TEMPLATE_CODE``.

Mainland providers send only pre-approved templates under an approved signature. The templates file maps
each kind of outbound message to a template code and its variables, in the template's order (Tencent's
``{1}``, ``{2}`` are by position; Aliyun's ``${name}`` by name)::

    max_length: 35              # optional: the per-variable limit `jxjy kb check` enforces
    reply:
      template: SMS_123456789
      variables:
        content: "{text}"
    hours_shortfall:
      template: SMS_987654321
      variables:
        name: "{name}"
        online: "{short_online}"
        offline: "{short_offline}"

Kinds it does not name use ``JXJY_SMS_TEMPLATE_CODE`` with one variable ``content`` holding the text. A
digest of several reminder kinds uses the template of its first kind the file names. What a variable may
show is listed in ``bot.channels.message_fields``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.channels.message_fields import FIELD_ERRORS, MessageFields, render_fields
from reminders.gateways import OutboundMessage, SendResult
from reminders.templates import KINDS

OUTBOUND_KINDS: tuple[str, ...] = ("reply", "broadcast", *KINDS)
DEFAULT_VARIABLES: tuple[tuple[str, str], ...] = (("content", "{text}"),)
# The providers' documented per-variable limits, used when neither the file nor JXJY_SMS_VARIABLE_LIMIT
# sets one: Aliyun "单个变量的长度限制为1~35个字符" (help.aliyun.com/document_detail/108088); Tencent
# "非验证码短信：每个变量取值最多支持6个字符" (cloud.tencent.com/document/product/382/13301; its review
# standard, 382/40659, gives 12 for personal accounts and no limit for enterprise ones).
PROVIDER_LIMITS = {"aliyun": 35, "tencent": 6}


class SmsTemplateError(ValueError):
    """The templates file (or the default template) cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class SmsTemplate:
    """An approved template: its code (Aliyun ``SMS_…``, Tencent's numeric id) and variables in order."""

    code: str
    variables: tuple[tuple[str, str], ...] = DEFAULT_VARIABLES

    @property
    def specs(self) -> dict[str, str]:
        """Variable name → format string, in the template's order."""
        return dict(self.variables)


@dataclass(frozen=True)
class SmsTemplates:
    """The template for each outbound kind, the default one, and the per-variable length limit."""

    kinds: Mapping[str, SmsTemplate] = field(default_factory=dict)
    default: SmsTemplate | None = None
    max_length: int | None = None

    def template_for(self, kinds: Sequence[str]) -> SmsTemplate:
        """The template of the first kind named in the file, else the default; SmsTemplateError if none."""
        for kind in kinds:
            if kind in self.kinds:
                return self.kinds[kind]
        if self.default is None:
            named = ",".join(kinds) or "message"
            raise SmsTemplateError(
                f"no SMS template for {named}: set JXJY_SMS_TEMPLATE_CODE or name it in JXJY_SMS_TEMPLATES"
            )
        return self.default


def load_sms_templates(
    path: Path | None, default_code: str | None, *, max_length: int | None = None
) -> SmsTemplates:
    """Read the templates file (if any) and the default code; raise SmsTemplateError naming the problem."""
    default = SmsTemplate(default_code.strip()) if default_code and default_code.strip() else None
    if path is None:
        return SmsTemplates({}, default, max_length)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SmsTemplateError(f"JXJY_SMS_TEMPLATES: cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SmsTemplateError(f"JXJY_SMS_TEMPLATES: {path} is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SmsTemplateError(f"JXJY_SMS_TEMPLATES: {path} must map each kind to a template")
    limit = data.pop("max_length", max_length)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise SmsTemplateError(f"{path}: max_length must be a whole number of characters, got {limit!r}")
    kinds = {str(kind): _template(path, str(kind), entry) for kind, entry in data.items()}
    return SmsTemplates(kinds, default, limit)


def _template(path: Path, kind: str, entry: Any) -> SmsTemplate:
    where = f"{path}: {kind}"
    if kind not in OUTBOUND_KINDS:
        raise SmsTemplateError(f"{where}: unknown kind; use {', '.join(OUTBOUND_KINDS)}")
    if not isinstance(entry, dict) or entry.get("template") in (None, ""):
        raise SmsTemplateError(f"{where}: needs 'template: <code>' (and optionally 'variables:')")
    unknown = set(entry) - {"template", "variables"}
    if unknown:
        raise SmsTemplateError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    code = entry["template"]
    if isinstance(code, bool) or not isinstance(code, str | int):
        raise SmsTemplateError(f"{where}: template must be a code such as SMS_123456789 or 1234567")
    variables = entry.get("variables", dict(DEFAULT_VARIABLES))
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise SmsTemplateError(f'{where}: variables must map each name to a text such as "{{text}}"')
    return SmsTemplate(str(code).strip(), tuple((str(k), v) for k, v in variables.items()))


def template_variables(
    templates: SmsTemplates, fields: MessageFields, msg: OutboundMessage
) -> tuple[SmsTemplate, dict[str, str]] | SendResult:
    """The template for ``msg`` and its rendered variables, or the final failure saying why there are none."""
    try:
        template = templates.template_for(msg.kinds)
    except SmsTemplateError as exc:
        return SendResult.failed(str(exc), retryable=False)
    try:
        return template, render_fields(fields, template.specs, msg)
    except FIELD_ERRORS as exc:
        return SendResult.failed(
            f"SMS template {template.code}: cannot fill its variables: {exc!r}", retryable=False
        )
