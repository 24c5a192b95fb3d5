"""The `jxjy kb draft` command's body, kept here so the command line only parses options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from knowledge.campaign import DEFAULT_CAMPAIGN, CampaignError
from knowledge.drafting.draft import draft_campaign
from knowledge.drafting.reading import NoticeError

EXIT_WRITTEN = 0
EXIT_CANNOT_WRITE = 1
EXIT_UNREADABLE = 2


def run_draft(notice: Path, base: Path | None, out: Path | None, echo: Callable[..., None]) -> int:
    """Draft, print the report, and return the exit code (0 written, 2 a file cannot be read)."""
    try:
        outcome = draft_campaign(notice, base or DEFAULT_CAMPAIGN, out)
    except NoticeError as exc:
        echo(f"错误：{exc}", err=True)
        return EXIT_UNREADABLE
    except CampaignError as exc:
        echo(f"错误：底稿不能用：{exc}", err=True)
        return EXIT_UNREADABLE
    except OSError as exc:
        echo(f"错误：草稿写不进去：{exc.filename}：{exc.strerror}", err=True)
        return EXIT_CANNOT_WRITE
    echo(outcome.report)
    return EXIT_WRITTEN
