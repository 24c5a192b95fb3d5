"""The ledger side of the dialogue: binding a chat, a trainee's own status, opting out of reminders."""

from __future__ import annotations

import logging

from bot.dialogue.brain import ConversationState
from bot.kernel.clock import Clock
from bot.kernel.messages import Inbound
from knowledge.answers import Form
from knowledge.campaign import Campaign
from knowledge.personal import render_message, render_personal
from knowledge.status import TraineeRecord
from ledger.binding import BindingService
from ledger.store import LedgerStore
from nlu.entities import NAME_ONLY
from nlu.interpreter import ParseResult

log = logging.getLogger(__name__)


def _entity(parse: ParseResult, name: str) -> str | None:
    for entity in parse["entities"]:
        if entity["entity"] == name:
            return str(entity["value"])
    return None


class LedgerDesk:
    """Answer personal intents from the ledger through the binding service."""

    def __init__(self, store: LedgerStore, binding: BindingService, clock: Clock, campaign: Campaign) -> None:
        self._store = store
        self._binding = binding
        self._clock = clock
        self._campaign = campaign

    def answer(
        self, inbound: Inbound, intent: str, parse: ParseResult, state: ConversationState, form: Form
    ) -> str:
        """Reply to a personal intent; unlinked users are asked to bind first."""
        if intent == "bind":
            return self._bind(inbound, parse, state, form)
        state.awaiting = state.pending_id = None
        if intent == "unbind":
            done = self._binding.unbind(inbound.channel, inbound.address)
            return self._say("unbind_ok" if done else "unbind_none", form)
        record = self._binding.record_for(inbound.channel, inbound.address)
        if intent in ("unsubscribe", "subscribe"):
            return self._subscription(inbound, record, intent == "unsubscribe", form)
        if record is None:
            return self._say("need_bind", form)
        return render_personal(self._campaign, intent, record, self._clock.now(), form=form)

    def is_bound(self, inbound: Inbound) -> bool:
        """Tell whether this chat is linked to a ledger record."""
        return self._binding.record_for(inbound.channel, inbound.address) is not None

    def _bind(self, inbound: Inbound, parse: ParseResult, state: ConversationState, form: Form) -> str:
        id_number = _entity(parse, "id_number") or state.pending_id
        name = _entity(parse, "name")
        if name is None and state.pending_id and NAME_ONLY.fullmatch(inbound.text.strip()):
            name = inbound.text.strip()
        if id_number is None:
            state.awaiting = "bind"
            return self._say("bind_prompt", form)
        if name is None:
            state.awaiting, state.pending_id = "bind", id_number
            return self._say("bind_need_name", form)
        state.awaiting = state.pending_id = None
        result = self._binding.bind(inbound.channel, inbound.address, id_number, name)
        if result.ok and result.record is not None:
            return self._say("bind_ok", form, name=result.record.name, id_masked=result.record.id_masked)
        return self._say(f"bind_{result.reason}", form)

    def _subscription(self, inbound: Inbound, record: TraineeRecord | None, stop: bool, form: Form) -> str:
        if record is None and inbound.channel == "sms":
            record = self._store.find_by_phone(inbound.address)
        if record is None:
            return self._say("subscription_unknown", form)
        self._store.set_opted_out(record.trainee_id, stop)
        log.info("trainee %d %s reminders", record.trainee_id, "opted out of" if stop else "resumed")
        return self._say("unsubscribe_ok" if stop else "subscribe_ok", form)

    def _say(self, key: str, form: Form, **values: str) -> str:
        return render_message(self._campaign, key, self._clock.now(), form=form, **values)
