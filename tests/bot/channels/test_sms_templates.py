"""The SMS templates file, the template each message uses, and `kb check`'s per-variable length check."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.message_fields import PlainFields
from bot.channels.sms_check import check_sms_templates
from bot.channels.sms_templates import (
    OUTBOUND_KINDS,
    SmsTemplate,
    SmsTemplateError,
    load_sms_templates,
    template_variables,
)
from bot.cli.common import mainland_sms_checks
from knowledge.campaign import Campaign
from reminders.gateways import OutboundMessage, SendResult


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "templates.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
max_length: 40
reply:
  template: SMS_100001
hours_shortfall:
  template: 2233445
  variables:
    name: "{name}"
    online: "{short_online}"
"""


def test_the_file_maps_kinds_to_templates_and_the_rest_use_the_default(tmp_path: Path) -> None:
    templates = load_sms_templates(write(tmp_path, GOOD), "SMS_DEFAULT")
    assert templates.max_length == 40
    assert templates.template_for(("reply",)) == SmsTemplate("SMS_100001", (("content", "{text}"),))
    assert templates.template_for(("hours_shortfall",)).code == "2233445"
    # A digest uses the template of its first kind the file names.
    assert templates.template_for(("payment_due", "hours_shortfall", "deadline")).code == "2233445"
    assert templates.template_for(("broadcast",)) == SmsTemplate("SMS_DEFAULT")
    with pytest.raises(SmsTemplateError, match="JXJY_SMS_TEMPLATE_CODE"):
        load_sms_templates(None, None).template_for(("deadline",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reply: [1, 2]", "needs 'template: <code>'"),
        ("holiday:\n  template: SMS_1", "unknown kind"),
        ("reply:\n  template: SMS_1\n  variabels: {}", "unknown key(s) variabels"),
        ("reply:\n  template: SMS_1\n  variables: [content]", "variables must map"),
        ("max_length: lots", "max_length must be a whole number"),
        ("- reply", "must map each kind"),
        ("reply: {template: SMS_1", "not valid YAML"),
    ],
)
def test_a_bad_file_says_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SmsTemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_sms_templates(write(tmp_path, text), None)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SmsTemplateError, match="cannot read"):
        load_sms_templates(tmp_path / "nope.yaml", None)


def test_a_message_without_a_template_or_with_a_broken_variable_fails_for_good(tmp_path: Path) -> None:
    msg = OutboundMessage("1", "sms", "13800000000", "你好", ("deadline",))
    result = template_variables(load_sms_templates(None, None), PlainFields(), msg)
    assert isinstance(result, SendResult) and not result.retryable
    broken = load_sms_templates(write(tmp_path, "deadline:\n  template: S\n  variables: {a: '{nope}'}"), None)
    result = template_variables(broken, PlainFields(), msg)
    assert isinstance(result, SendResult) and "nope" in (result.error or "")


def test_kb_check_renders_every_kind_and_reports_variables_over_the_limit(
    tmp_path: Path, campaign: Campaign
) -> None:
    fitting = "\n".join(
        f"{kind}:\n  template: SMS_{i}\n  variables:\n    name: '{{name}}'\n    end: '{{period.end:%-m月%-d日}}'"
        for i, kind in enumerate(OUTBOUND_KINDS)
        if kind not in ("reply", "broadcast")
    )
    templates = load_sms_templates(write(tmp_path, fitting), "SMS_DEFAULT", max_length=35)
    problems = check_sms_templates(templates, campaign)
    # Only the free-text kinds break the limit: replies (up to 70 characters) and broadcasts (134).
    assert [p.split(" (")[0] for p in problems] == ["sms templates: broadcast", "sms templates: reply"]
    assert "134 characters (limit 35)" in problems[0]
    roomy = load_sms_templates(write(tmp_path, fitting), "SMS_DEFAULT", max_length=200)
    assert check_sms_templates(roomy, campaign) == []


def test_kb_check_finds_broken_references(tmp_path: Path, campaign: Campaign) -> None:
    templates = load_sms_templates(
        write(tmp_path, "deadline:\n  template: S\n  variables: {a: '{fee.amout}'}"), "D"
    )
    problems = check_sms_templates(templates, campaign)
    assert any("deadline (template S), variable a: broken reference" in p for p in problems)


def test_kb_check_runs_the_sms_check_only_for_mainland_providers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, campaign: Campaign
) -> None:
    monkeypatch.setenv("JXJY_DATA_DIR", str(tmp_path))
    assert mainland_sms_checks() == []
    monkeypatch.setenv("JXJY_SMS_GATEWAY", "tencent")
    monkeypatch.setenv("JXJY_SMS_TEMPLATE_CODE", "100001")
    [check] = mainland_sms_checks()
    problems = check(campaign)
    assert problems and all("(limit 6)" in p for p in problems)  # Tencent's documented default
    monkeypatch.setenv("JXJY_SMS_VARIABLE_LIMIT", "500")
    [check] = mainland_sms_checks()
    assert check(campaign) == []
    monkeypatch.setenv("JXJY_SMS_TEMPLATES", str(tmp_path / "missing.yaml"))
    [check] = mainland_sms_checks()
    assert ["cannot read" in p for p in check(campaign)] == [True]
