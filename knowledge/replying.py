"""The pieces every detail's reply is rendered with (``knowledge.details``, ``knowledge.hours_reply``): the
yes/no lead for a verdict, a ``composed`` text of the campaign, and whether a question states a denial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowledge.answers import FactFormatter, Form
from knowledge.campaign import Answer, Campaign, Detail
from knowledge.reading import DENIED, Polarity, Reading


def denies(reading: Reading, denial: str = DENIED) -> bool:
    """Whether the question asks "is it true that not …": a fixed verdict is then answered the other way.
    ``denial``: the aspect that holds the denial ("short_claim": "会不会不合格", "是不是还不算合格")."""
    polarity = reading.polarity
    return (
        denial in reading.aspects
        and polarity is not None
        and polarity.asks == "is"
        and polarity.yes in (("是的", "是", "对", "会") if denial != DENIED else ("是的", "是", "对"))
    )


class ReplyBase:
    """What every reply of a detail is rendered with: the campaign, the detail, the yes/no form asked, the
    reply's form and the values worked out from the message."""

    def __init__(
        self,
        campaign: Campaign,
        detail: Detail,
        polarity: Polarity | None,
        form: Form,
        values: Mapping[str, str],
    ) -> None:
        self.campaign = campaign
        self.detail = detail
        self.polarity = polarity
        self.form = form
        self.values = values

    def _format(self, template: str, **extra: Any) -> str:
        return FactFormatter(self.campaign, {**self.values, **extra}).format(template)

    def _pick(self, answer: Answer, form: Form | None = None) -> str:
        return answer.pick(form or self.form)

    def lead(self, verdict: bool | None) -> str:
        """ "可以。" / "不够。" when a yes/no question gets a verdict, otherwise nothing."""
        if verdict is None or self.polarity is None:
            return ""
        word = self.polarity.yes if verdict else self.polarity.no
        return self._format(self._pick(self.campaign.composed["lead"]), word=word)

    def say(self, key: str, *, verdict: bool | None = None, form: Form | None = None, **extra: Any) -> str:
        """Render a ``composed`` entry with the lead for ``verdict``."""
        template = self._pick(self.campaign.composed[key], form)
        return self._format(template, lead=self.lead(verdict), **extra)
