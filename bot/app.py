"""The composition root: build settings, clock, campaign, NLU and stores, and wire them into one brain."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.brain import Brain, PersonalDesk
from bot.clock import Clock, parse_now
from bot.settings import Settings
from knowledge.campaign import DEFAULT_CAMPAIGN, Campaign, load_campaign
from nlu.interpreter import Interpreter, LocalInterpreter

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a command needs, built once at its entry point."""

    settings: Settings
    clock: Clock
    campaign: Campaign

    @classmethod
    def create(cls, now: str | None = None, settings: Settings | None = None) -> Runtime:
        settings = settings or Settings()
        campaign = load_campaign(settings.campaign_file or DEFAULT_CAMPAIGN)
        return cls(settings, parse_now(now), campaign)

    @property
    def cache_dir(self) -> Path:
        return self.settings.ensure_data_dir() / "cache"

    def interpreter(self) -> Interpreter:
        """The NLU: a Rasa server when JXJY_RASA_URL is set, otherwise the in-process engine."""
        if self.settings.rasa_url:
            from nlu.rasa_http import RasaHttpInterpreter

            return RasaHttpInterpreter(self.settings.rasa_url, threshold=self.settings.nlu_threshold)
        return LocalInterpreter.from_files(cache_dir=self.cache_dir, threshold=self.settings.nlu_threshold)

    def personal_desk(self) -> PersonalDesk:
        """The ledger-backed desk (opens the database on first use, so FAQ-only runs never pay for it)."""
        from ledger.desk import LedgerDesk

        return LedgerDesk.from_settings(self.settings, self.clock, self.campaign)

    def brain(self) -> Brain:
        return Brain(self.campaign, self.interpreter(), self.clock, personal=self.personal_desk)
