"""The ledger side of the dialogue: binding a chat, a trainee's own status, opting out of reminders."""

from __future__ import annotations

import logging
import re
import unicodedata

from bot.dialogue.conversation import ConversationState
from bot.dialogue.notices import Notifier
from bot.kernel.clock import Clock
from bot.kernel.messages import Inbound
from bot.kernel.personal_data import mask_phone
from knowledge.answers import Form
from knowledge.campaign import Campaign
from knowledge.personal import render_message, render_personal
from knowledge.status import TraineeRecord
from ledger.binding import BindingService, BindResult
from ledger.store import LedgerStore
from nlu.entities import NAME_ONLY
from nlu.interpreter import ParseResult

log = logging.getLogger(__name__)

CODE = re.compile(r"\d{6}")
_NOISE = re.compile(r"[\s\W_]+")


def _entity(parse: ParseResult, name: str) -> str | None:
    for entity in parse["entities"]:
        if entity["entity"] == name:
            return str(entity["value"])
    return None


class LedgerDesk:
    """Answer personal intents from the ledger through the binding service.

    A binding that needs a code (see ``BindingService.needs_code``) sends it through ``notifier``.
    """

    def __init__(
        self,
        store: LedgerStore,
        binding: BindingService,
        clock: Clock,
        campaign: Campaign,
        notifier: Notifier | None = None,
    ) -> None:
        self._store = store
        self._binding = binding
        self._clock = clock
        self._campaign = campaign
        self._notifier = notifier

    def answer(
        self, inbound: Inbound, intent: str, parse: ParseResult, state: ConversationState, form: Form
    ) -> str:
        """Reply to a personal intent; unlinked users are asked to bind first."""
        if intent == "bind":
            return self._bind(inbound, parse, state, form)
        if intent == "unbind":
            state.awaiting = state.pending_id = state.pending_name = None
            done = self._binding.unbind(inbound.channel, inbound.address)
            return self._say("unbind_ok" if done else "unbind_none", form)
        if state.awaiting == "bind":  # a code sent stays awaited through other questions
            state.awaiting = state.pending_id = state.pending_name = None
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
        text = inbound.text.strip()
        code = _NOISE.sub("", unicodedata.normalize("NFKC", text))
        if state.awaiting == "bind_code" and CODE.fullmatch(code):
            return self._confirm(inbound, code, state, form)
        id_number = _entity(parse, "id_number") or state.pending_id
        name = _entity(parse, "name")
        if name is None and state.pending_id and NAME_ONLY.fullmatch(text):
            name = text
        name = name or state.pending_name
        if id_number is None:
            state.awaiting, state.pending_name = "bind", name
            return self._say("bind_prompt", form)
        if name is None:
            state.awaiting, state.pending_id = "bind", id_number
            return self._say("bind_need_name", form)
        state.awaiting = state.pending_id = state.pending_name = None
        result = self._binding.bind(inbound.channel, inbound.address, id_number, name)
        if result.reason == "code_sent":
            return self._send_code(inbound, result, state, form)
        return self._outcome(result, form)

    def _send_code(self, inbound: Inbound, result: BindResult, state: ConversationState, form: Form) -> str:
        phone = result.record.phone if result.record else None
        if not phone:
            raise RuntimeError("a binding code was issued for a trainee without a phone")
        minutes = str(int(self._binding.code_ttl.total_seconds() // 60))
        if result.code is not None:  # None: the code sent a moment ago still holds
            if self._notifier is None:
                log.warning(
                    "binding on %s needs an SMS code, but no SMS notifier is configured", inbound.channel
                )
                return self._say("bind_code_unavailable", form)
            now = self._clock.now()
            text = self._say("bind_code_sms", "short", code=result.code, code_minutes=minutes)
            key = f"bind-code:{inbound.channel}:{inbound.address}:{now.timestamp():.0f}"
            self._notifier.notify(phone, text, key, now)
        state.awaiting = "bind_code"
        return self._say("bind_code_sent", form, phone_masked=mask_phone(phone), code_minutes=minutes)

    def _confirm(self, inbound: Inbound, code: str, state: ConversationState, form: Form) -> str:
        result = self._binding.confirm(inbound.channel, inbound.address, code)
        if result.reason == "wrong_code":
            return self._say("bind_code_wrong", form)
        state.awaiting = None
        return self._outcome(result, form)

    def _outcome(self, result: BindResult, form: Form) -> str:
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
