"""What the terminal commands say besides answers: the first-start pause, a campaign that is over, goodbye."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.campaign import Campaign

# Training the NLU model on first use, measured with `jxjy ask` on a fresh data dir on the project's 2-core
# machines: 6 s when idle; several times that while other heavy jobs share the cores.
TRAINING_SECONDS = 10
GOODBYE = "再见！祝学习顺利，有问题随时再来问。"
QUIT_WORDS = frozenset({"退出", "再见", "exit", "quit", "bye"})


def announce_training(examples: int = 0) -> None:
    """Say why the first start pauses (on stderr, so JSON on stdout stays clean)."""
    print(
        f"首次启动，正在准备模型，约 {TRAINING_SECONDS} 秒（机器忙时更久；只有第一次需要）……",
        file=sys.stderr,
        flush=True,
    )


def sample_moment(campaign: Campaign) -> str:
    """A moment inside the campaign, as an ISO-8601 ``--now`` value: the middle of its period, 10:00."""
    period = campaign.facts.period
    middle = period.start + (period.end - period.start) / 2
    return f"{middle.isoformat()}T10:00:00+08:00"


def campaign_over_notice(campaign: Campaign, today: dt.date) -> str | None:
    """When ``today`` is after the campaign's period: say so, and how to try the bot inside it."""
    end = campaign.facts.period.end
    if today <= end:
        return None
    return (
        f"提示：{campaign.campaign.title}已于{end.year}年{end.month}月{end.day}日结束，"
        "下面的回答按当时的通知给出，日期相关的提醒可能已过期。\n"
        f"想按活动期间的某一天试用，可以这样启动：jxjy chat --now {sample_moment(campaign)}"
    )


def enable_line_editing() -> None:
    """Arrow keys, editing and history for input() where GNU readline (or libedit) is available.

    History stays in memory only: trainees type ID numbers, which must not be written to a file.
    """
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        return
    readline.parse_and_bind("set enable-bracketed-paste on")
