"""`jxjy kb draft`: a new notice in, a draft campaign file and a review report out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge import calendar
from knowledge.campaign import Campaign, CampaignError, read_campaign
from knowledge.drafting.merge import Draft, check_routes, fact_paths, find_literals, find_unused, merge
from knowledge.drafting.reading import read_notice
from knowledge.drafting.report import render_report, review_items
from knowledge.drafting.rules import extract
from knowledge.drafting.text import sentences

HEADER = """\
# 草稿：由 jxjy kb draft 从《{notice}》生成，底稿为 {base}。
# 事实取自通知原文（每项的原句见 sources:），答复、个人回复和提醒措辞沿用底稿。
# 请核对 review: 下的每一项，改好后删去该行；review: 清空后 jxjy kb check 才会通过。

"""


# libyaml's C emitter where installed: the campaign file runs to some 1,800 lines
_SAFE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_SAFE_DUMPER):  # type: ignore[misc]
    """Multi-line wording as literal blocks, as people write the campaign file by hand."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(document: dict[str, Any]) -> str:
    """The campaign document as YAML, keys in the base's order, Chinese unescaped."""
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)


@dataclass(frozen=True)
class Outcome:
    """A written draft: where, what it found, and the report to print."""

    path: Path
    draft: Draft
    report: str


def _calendar_notes(document: dict[str, Any]) -> tuple[list[int], list[str]]:
    """Years no calendar covers, and the confirmation days the official calendar gives (to compare)."""
    candidate = {k: v for k, v in document.items() if k != "review"}
    try:
        campaign = Campaign.model_validate(candidate)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return [], [f"草稿还不是有效的活动文件：{problems}"]
    uncovered = calendar.uncovered_years(campaign)
    if uncovered:
        return uncovered, [
            f"{'、'.join(map(str, uncovered))}年：chinesecalendar 没有节假日数据，底稿的 calendar: 也没有"
        ]
    windows = calendar.confirmation_windows(campaign)
    days = "；".join(calendar.format_days(w.days, short=True) for w in windows)
    return [], [f"按官方日历，资格确认日为：{days or '（没有一天是工作日）'}"]


def draft_campaign(notice: Path, base: Path, out: Path | None = None) -> Outcome:
    """Read ``notice``, draft a campaign over ``base``, write it; raise NoticeError or CampaignError."""
    lines = read_notice(notice)
    base_campaign, raw_base = read_campaign(base)  # read and parsed once
    notice_sentences = sentences(lines)
    found = extract(notice_sentences)
    draft = merge(base_campaign, raw_base, found, notice.name)
    route_sentences = check_routes(draft, notice_sentences)
    find_literals(draft, base_campaign)
    find_unused(draft, notice_sentences, route_sentences)
    paths = fact_paths(base_campaign)
    order = {p: i for i, p in enumerate(paths)}
    ordered = sorted(draft.found.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    draft.document["sources"] = {path: hit.sentence for path, hit in ordered}
    uncovered, notes = _calendar_notes(draft.document)
    draft.document["review"] = review_items(draft, base_campaign.fact, uncovered)
    target = out or Path(f"{draft.document['campaign']['id']}.yaml")
    if target.resolve() == base.resolve():
        raise CampaignError(f"{target}：这是底稿本身，请用 -o 另给一个文件名")
    header = HEADER.format(notice=notice.name, base=base_campaign.campaign.id)
    target.write_text(header + dump(draft.document), encoding="utf-8")
    facts_found = [p for p in paths if p in draft.found]
    report = render_report(draft, str(target), base_campaign.campaign.id, notes, facts_found)
    return Outcome(target, draft, report)
