"""One brain per campaign year: each message goes to the campaign that holds at that moment."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from bot.dialogue.brain import SHORT_CHANNELS, Brain
from bot.kernel.clock import Clock
from bot.kernel.messages import Inbound, Reply
from knowledge.answers import Form
from knowledge.campaign import Campaign
from knowledge.years import STILL_ANSWERED, between_text, season_at
from nlu.interpreter import PERSONAL_INTENTS


class SeasonalBrain:
    """Answer from the campaign whose period contains the moment (JXJY_CAMPAIGN_DIR).

    Between two campaigns, questions about the notice get "the last one ended on …, the next notice is not
    out yet" with the hotline; courtesy, the hotline and a trainee's own record still answer.
    """

    def __init__(
        self,
        campaigns: Sequence[Campaign],
        clock: Clock,
        brain_for: Callable[[Campaign], Brain],
        *,
        on_exchange: Callable[[Inbound, Reply], None] | None = None,
    ) -> None:
        self._campaigns = list(campaigns)
        self._clock = clock
        self._brain_for = brain_for
        self._brains: dict[str, Brain] = {}
        self._on_exchange = on_exchange

    def _brain_of(self, campaign: Campaign) -> Brain:
        key = campaign.campaign.id
        if key not in self._brains:
            self._brains[key] = self._brain_for(campaign)
        return self._brains[key]

    def brains(self) -> list[Brain]:
        """The brains built so far, one per campaign year met (the staff console updates their answers)."""
        return list(self._brains.values())

    def warm_up(self) -> None:
        """Build and warm the brain of the moment's campaign (``Brain.warm_up``) before the first message."""
        self._brain_of(season_at(self._campaigns, self._clock.now()).campaign).warm_up()

    def handle(self, inbound: Inbound) -> Reply:
        """Answer one message from the campaign of the moment."""
        season = season_at(self._campaigns, self._clock.now())
        reply = self._brain_of(season.campaign).handle(inbound)
        if season.between and reply.intent not in STILL_ANSWERED | PERSONAL_INTENTS:
            form: Form = "short" if inbound.channel in SHORT_CHANNELS else "full"
            reply = dataclasses.replace(reply, text=between_text(season.campaign, form))
        if self._on_exchange is not None:
            self._on_exchange(inbound, reply)
        return reply
