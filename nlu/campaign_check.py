"""`jxjy kb check`, the language side: the aspects and intents a campaign's details name exist."""

from __future__ import annotations

from knowledge.campaign import Campaign
from knowledge.check_details import check_detail_names
from nlu.aspects import aspect_names
from nlu.interpreter import FALLBACK, PERSONAL_INTENTS


def check_detail_cues(campaign: Campaign) -> list[str]:
    """Problems with the names in ``details`` (the NLU reads the aspects; it produces the intents)."""
    intents = {*campaign.answers, *PERSONAL_INTENTS, FALLBACK}
    return check_detail_names(campaign, aspect_names(), intents)
