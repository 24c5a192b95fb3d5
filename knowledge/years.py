"""Consecutive years: which campaign holds at a given moment, from a folder of campaign files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.answers import FactFormatter, Form, local_date
from knowledge.campaign import DEFAULT_CAMPAIGN, Campaign, CampaignError, load_campaign

# Said between two campaigns when the campaign file has no `dynamic.between_campaigns` of its own.
BETWEEN = {
    "full": "{period.end:%Y}年度继续教育已于{period.end:%Y年%-m月%-d日}结束，下一年度的通知还没有发布，"
    "发布后我会按新通知回答。咨询电话：{contact.name} {contact.phone}。",
    "short": "{period.end:%Y}年度已于{period.end:%-m月%-d日}结束，新通知未发布。咨询{contact.phone}",
}
# Between campaigns these still answer from the last one: the hotline, courtesy, and one's own record.
STILL_ANSWERED = frozenset(
    {"ask_contact", "ask_not_in_notice", "greet", "goodbye", "thank", "acknowledge", "bot_challenge"}
)


@dataclass(frozen=True)
class Season:
    """The campaign that holds at a moment; ``between`` when it has ended and no later notice is out yet."""

    campaign: Campaign
    between: bool = False


def choose(campaigns: Sequence[Campaign], today: dt.date) -> Season:
    """Pick the campaign for ``today`` (a local date).

    The one whose period contains today (the latest start if periods overlap); else the next one whose
    notice is already out (issued on or before today); else the last one that ended, as "between"; and
    before every campaign, the first.
    """
    if not campaigns:
        raise CampaignError("no campaign files to choose from")
    ordered = sorted(campaigns, key=lambda c: c.facts.period.start)
    running = [c for c in ordered if c.facts.period.start <= today <= c.facts.period.end]
    if running:
        return Season(running[-1])
    upcoming = [c for c in ordered if c.facts.period.start > today and c.campaign.issued_on <= today]
    if upcoming:
        return Season(upcoming[0])
    ended = [c for c in ordered if c.facts.period.end < today]
    if ended:
        return Season(ended[-1], between=True)
    return Season(ordered[0])


def season_at(campaigns: Sequence[Campaign], now: dt.datetime) -> Season:
    """``choose`` at an aware moment, read in the campaigns' time zone."""
    return choose(campaigns, local_date(campaigns[0], now))


def between_text(campaign: Campaign, form: Form) -> str:
    """What the bot says between campaigns: when the last one ended, that the next notice is not out."""
    template = campaign.dynamic.get("between_campaigns", {}).get(form) or BETWEEN[form]
    return FactFormatter(campaign, {}).format(template)


def load_campaigns(file: Path | None = None, directory: Path | None = None) -> list[Campaign]:
    """The configured campaigns: every ``*.yaml`` in ``directory``, else ``file``, else the packaged one."""
    if directory is None:
        return [load_campaign(file or DEFAULT_CAMPAIGN)]
    if not directory.is_dir():
        raise CampaignError(f"{directory}: JXJY_CAMPAIGN_DIR is not a folder")
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not paths:
        raise CampaignError(f"{directory}: no campaign files (*.yaml) in JXJY_CAMPAIGN_DIR")
    campaigns = [load_campaign(path) for path in paths]
    seen: dict[str, Path] = {}
    for path, campaign in zip(paths, campaigns, strict=True):
        if campaign.campaign.id in seen:
            raise CampaignError(
                f"{path}: campaign id {campaign.campaign.id} is also used by {seen[campaign.campaign.id]}"
            )
        seen[campaign.campaign.id] = path
    return campaigns
