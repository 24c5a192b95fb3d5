"""The review report (Chinese) and the list of items written into the draft's `review:` section."""

from __future__ import annotations

import datetime as dt
from typing import Any

from knowledge.drafting.merge import Draft

LABELS = {
    "campaign.id": "文件编号（id）",
    "campaign.title": "标题",
    "campaign.issuer": "发文单位",
    "campaign.document_no": "文号",
    "campaign.issued_on": "发文日期",
    "campaign.basis": "依据文件",
    "campaign.attachments": "附件",
    "period.start": "开始日期",
    "period.end": "截止日期",
    "audience": "参加对象",
    "posts": "岗位",
    "hours.yearly": "每年学时",
    "hours.online_min": "线上最少学时",
    "hours.offline_proof_min": "线下证明最少学时",
    "hours.from": "从何时起",
    "qualification.audit_by": "审核单位",
    "qualification.certificate_update": "证书更新",
    "offline.kinds": "线下培训种类",
    "offline.proof_form": "线下证明表",
    "offline.proof_source": "证明表下载处",
    "offline.proof_steps": "证明上传步骤",
    "fee.amount": "培训费（元）",
    "fee.per": "收费单位",
    "fee.rule": "收费规则",
    "fee.when": "缴费时间",
    "confirmation.days": "资格确认日",
    "confirmation.first_day": "确认日起",
    "confirmation.last_day": "确认日止",
    "confirmation.until": "确认截止",
    "confirmation.place": "资格确认地点",
    "confirmation.supervisor": "现场监督单位",
    "confirmation.materials": "确认材料",
    "confirmation.registration_form_note": "登记表说明",
    "websites.pc": "网站",
    "websites.platform": "培训平台",
    "websites.wechat_account": "微信公众号",
    "registration.org_choice": "报名时选择的机构",
    "registration.login": "登录方式",
    "binding.rule": "微信绑定规则",
    "contact.name": "联系人",
    "contact.phone": "咨询电话",
    "contact.mobile": "咨询手机",
}


def label(path: str) -> str:
    """The fact path with its Chinese name: ``fee.amount（培训费（元））``."""
    name = LABELS.get(path)
    return f"{path}（{name}）" if name else path


def show(value: Any) -> str:
    """A fact value as a person reads it."""
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def review_items(draft: Draft, base_facts: Any, uncovered: list[int]) -> list[str]:
    """What a person must check before the draft is used; `kb check` fails until the list is emptied."""
    items = [f"{label(c.path)}：{show(c.old)} → {show(c.new)}。原文：{c.sentence}" for c in draft.changed]
    items += [f"{label(p)}：通知里没找到，沿用底稿的“{show(base_facts(p))}”" for p in draft.missing]
    items += [f"{label(p)}：助手自拟的说法，请对照原文改写：{s}" for p, s in draft.reworded]
    changed = {c.path: c.new for c in draft.changed}
    for lit in draft.literals:
        if lit.stale:
            new = show(changed.get(lit.path, "")) or "已变"
            items.append(
                f"{lit.where}：写死了“{lit.text}”，而{label(lit.path)}已改为{new}；请改写（能引用就写 {{{lit.path}}}）"
            )
    items += draft.conflicts
    items += [
        f"calendar：{y}年的节假日和调休不在 chinesecalendar 里，请在 calendar: 下列出" for y in uncovered
    ]
    return items


def render_report(draft: Draft, out: str, base_id: str, notes: list[str], facts_found: list[str]) -> str:
    """The review report printed after drafting, in Chinese."""
    lines = [
        f"草稿已写入 {out}（底稿：{base_id}）。请逐项核对，核对完删去文件里的 review: 各行，再运行 jxjy kb check。"
    ]
    lines.append(f"\n一、有变化的事实（{len(draft.changed)} 项，已按新通知写入）")
    for c in draft.changed:
        lines += [f"  {label(c.path)}：{show(c.old)} → {show(c.new)}", f"      原文：{c.sentence}"]
    lines.append(f"\n二、通知里没找到的事实（{len(draft.missing)} 项，沿用底稿，请核对）")
    lines += [f"  {label(p)}" for p in draft.missing]
    lines.append(f"\n三、助手自拟的说法，原文有变（{len(draft.reworded)} 项，请对照原文改写）")
    lines += [f"  {label(p)}\n      原文：{s}" for p, s in draft.reworded]
    stale = [lit for lit in draft.literals if lit.stale]
    fixed = [lit for lit in draft.literals if not lit.stale]
    lines.append(f"\n四、答复里写死的事实（{len(stale)} 处已过时，{len(fixed)} 处暂时无误）")
    lines += [f"  过时：{lit.where} 写着“{lit.text}”，请改写（能引用就写 {{{lit.path}}}）" for lit in stale]
    lines += [f"  提醒：{lit.where} 写着“{lit.text}”，事实再变时会过时（{{{lit.path}}}）" for lit in fixed]
    lines.append(f"\n五、没有对应任何事实的原文（{len(draft.unused)} 句，可能是新规定）")
    lines += [f"  [{s.index}] {s.text}" for s in draft.unused]
    if draft.conflicts or notes:
        lines.append("\n六、其他")
        lines += [f"  {note}" for note in (*draft.conflicts, *notes)]
    found = len(facts_found)
    lines.append(f"\n共找到 {found} 项事实，其中 {found - len(draft.changed)} 项与底稿相同。")
    return "\n".join(lines)
