"""The dialogue: understand a message, keep a little context per conversation, answer from the notice or ledger."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from typing import Protocol

from bot.dialogue.conversation import ConversationState, ConversationStore, MemoryConversationStore
from bot.dialogue.second_stage import SecondStage, default_reader, split_lead
from bot.kernel.clock import Clock
from bot.kernel.messages import Inbound, Reply
from knowledge.answers import Form, date_values, local_date, render, suggested_intents, suggestions
from knowledge.campaign import Campaign
from knowledge.details import Composed
from nlu import actions
from nlu.aspects import AspectReader
from nlu.context import FOLLOWUP_CONFIDENCE, FollowupRules
from nlu.entities import NAME_ONLY
from nlu.interpreter import FALLBACK, PERSONAL_INTENTS, Interpreter, ParseResult
from nlu.numerals import people_named

log = logging.getLogger(__name__)

# While a guided step waits for a name, a short Han-only message below this confidence is taken as the name;
# a confident reading ("费用") still answers the question asked.
NAME_CONFIDENCE = 0.8
# A poorly understood message of several clauses is read by its last asking clause when that is this much
# more certain ("我是…的资料员，想咨询一下费用是多少").
FOCUS_BELOW = 0.7
FOCUS_MARGIN = 0.15
# A personal intent read with less confidence than this may be a general question a topic ranked next answers,
# if that topic is read with at least the second figure.
PERSONAL_DOUBT = 0.5
GENERAL_AT_LEAST = 0.1
SHORT_CHANNELS = frozenset({"sms"})
BIND_CODE_LENGTH = 6
CONTEXT_PART = 24  # characters
WITHIN_PART = 6  # characters: a later part this short asks within the topic of the one before
_YEAR_SAID = re.compile(r"明年|下一年|下年|今年|去年|20\d\d年")  # the year a short later part asks of
_PLAIN = re.compile(r"[\W_]+")
NOT_IN_NOTICE = "ask_not_in_notice"
# Replies that answer no question of the notice: never checked against what was asked.
NOT_ANSWERS = frozenset(
    {NOT_IN_NOTICE, FALLBACK, "greet", "goodbye", "thank", "acknowledge", "bot_challenge"}
)

# What a part of a numbered question is not, read alone ("周六开门不" after "确认地点在哪"): then it is read
# after the part before it, when that is a question of its own (not a pasted paragraph).
_UNTOLD = frozenset({FALLBACK, "greet", "goodbye", "thank", "acknowledge", "bot_challenge"})
_SMALL_TALK = _UNTOLD - {FALLBACK}


class PersonalDesk(Protocol):
    """Answers that need the ledger: binding, a trainee's own status, opting out of reminders."""

    def answer(
        self, inbound: Inbound, intent: str, parse: ParseResult, state: ConversationState, form: Form
    ) -> str: ...

    def is_bound(self, inbound: Inbound) -> bool:
        """Tell whether this chat is linked to a ledger record."""
        ...


class Brain:
    """The one brain behind every channel: terminal, ``ask --jsonl``, Telegram and SMS."""

    def __init__(
        self,
        campaign: Campaign,
        interpreter: Interpreter,
        clock: Clock,
        *,
        followups: FollowupRules | None = None,
        personal: Callable[[], PersonalDesk] | None = None,
        on_exchange: Callable[[Inbound, Reply], None] | None = None,
        conversations: ConversationStore | None = None,
        aspects: AspectReader | None = None,
    ) -> None:
        self.campaign = campaign
        self.interpreter = interpreter
        self.clock = clock
        self._followups = followups or FollowupRules.load()
        self._personal_factory = personal
        self._personal: PersonalDesk | None = None
        self._personal_lock = threading.Lock()
        self._on_exchange = on_exchange
        # Loaded and saved at each message: consecutive messages may reach different instances.
        self.conversations = MemoryConversationStore() if conversations is None else conversations
        self._dates: tuple[dt.date, dict[str, str]] | None = None  # today's date-dependent values
        self._rendered: dict[tuple[str, Form], str] = {}  # today's plain answers, rendered once
        self._stage = SecondStage(campaign, aspects or default_reader(interpreter), interpreter)

    def warm_up(self) -> None:
        """Build now what the first answers would build on their way (what the notice speaks of, which the
        first yes/no question needs, and the slips every question is read through), so a fresh instance
        answers its first burst at full speed."""
        self._stage.known()
        self._stage.slips()

    def handle(self, inbound: Inbound) -> Reply:
        """Answer one message and remember what it was about."""
        now = self.clock.now()
        state = self.conversations.load(inbound.channel, inbound.address, now)
        form: Form = "short" if inbound.channel in SHORT_CHANNELS else "full"
        shape = self._stage.shape(inbound.text)
        if shape.chinese:  # an English question restated: answered in Chinese, with the note
            return self._replied(
                inbound, state, now, self._restated(inbound, shape.chinese, state, form, now)
            )
        if shape.kind != "question":  # 好的 / 👍 / a message in English
            text, intent = self._stage.shaped_reply(shape, form, now, self.date_values(now))
            return self._replied(inbound, state, now, Reply(text, intent, 1.0))
        if shape.parts and form == "full":  # "1.培训费好多 2.在哪里确认": each question in turn
            return self._replied(inbound, state, now, self._each(inbound, shape.parts, state, form, now))
        question = shape.parts[0] if shape.parts else shape.text  # SMS: the first, in two segments at most
        parse = self._understand(question, state)
        if parse["intent"]["name"] == FALLBACK and not inbound.text.strip().startswith(question):
            # The question cut from a greeting or a paste ("…上交培训机构。 盖好章交到哪里去") may need
            # what came before it to be understood (not the asker's story after it: "…对吧？我怕…").
            whole = self._understand(inbound.text, state)
            if whole["intent"]["name"] != FALLBACK:
                parse = whole
        parse = self._focused(question, parse, state)
        intent = parse["intent"]["name"]
        confidence = float(parse["intent"]["confidence"])
        if state.awaiting == "bind" and (intent == FALLBACK or _name_only(inbound.text, confidence)):
            intent = "bind"  # the answer to a guided question, e.g. the name after the ID number
        text, reported = self._answer(inbound, intent, parse, state, form, now, question)
        if shape.thanked:
            text += "\n" + self._stage.shaped_reply(shape._replace(kind="acknowledge"), form, now, {})[0]
        state.previous_intent = intent if intent != FALLBACK else state.previous_intent
        reply = Reply(
            text, reported, round(float(parse["intent"]["confidence"]), 4), tuple(parse["entities"])
        )
        return self._replied(inbound, state, now, reply)

    def _focused(self, question: str, parse: ParseResult, state: ConversationState) -> ParseResult:
        """When the whole message is understood poorly ("我是华容一家建筑公司的资料员，想咨询一下费用是多少"),
        the topic of its last asking clause, if that is clearly better; what the whole message says (hours,
        dates, posts) is still read by the second stage."""
        confidence = float(parse["intent"]["confidence"])
        if confidence >= FOCUS_BELOW:
            return parse
        clause = self._stage.reader.asking_clause(question)
        if clause is None or self._stage.reader.asked(clause)[1] is not None:
            return parse  # a yes/no clause ("…，也要学32个学时啵") leans on what came before it
        focused = self._understand(clause, state)
        top = focused["intent"]
        if str(top["name"]).startswith("ask_") and float(top["confidence"]) >= confidence + FOCUS_MARGIN:
            return {**focused, "entities": parse["entities"]}
        return parse

    def _restated(
        self, inbound: Inbound, question: str, state: ConversationState, form: Form, now: dt.datetime
    ) -> Reply:
        parts = self._stage.shape(question).parts
        if parts and form == "full":  # "where is it and what do I bring": each question in turn
            each = self._each(inbound, parts, state, form, now)
            text, reported = each.text, each.intent
        else:
            parse = self._understand(question, state)
            text, reported = self._answer(inbound, parse["intent"]["name"], parse, state, form, now, question)
        return Reply(self._stage.in_english(text, form, self.date_values(now)), reported, 1.0)

    def _each(
        self, inbound: Inbound, parts: tuple[str, ...], state: ConversationState, form: Form, now: dt.datetime
    ) -> Reply:
        """Answer a numbered list of questions one by one, numbered the same way."""
        texts, intents = [], []
        for n, part in enumerate(parts, 1):
            short = n > 1 and len(_PLAIN.sub("", part)) <= WITHIN_PART
            year = _YEAR_SAID.search(parts[n - 2]) if short else None
            if year is not None and not _YEAR_SAID.search(part):  # "明年还有吗 么时候开始": next year's start
                part = year.group(0) + part
            named = people_named(parts[n - 2]) if n > 1 else ""
            if named and not people_named(part):  # "老李老张都是2021年的证 … 学费一起交好多": theirs
                part = named + part
            parse = self._understand(part, state, within=short)
            if n > 1 and parse["intent"]["name"] in _UNTOLD and len(parts[n - 2]) <= CONTEXT_PART:
                # "确认地点在哪？周六开门不": a part not understood alone is read after the one before it
                part = f"{parts[n - 2].rstrip('?？')}，{part}"
                parse = self._understand(part, state)
            # "我是公司人事 …每人一个岗 要准备么子资料": its last asking clause
            parse = self._focused(part, parse, state)
            intent = parse["intent"]["name"]
            text, reported = self._answer(inbound, intent, parse, state, form, now, part)
            state.offered = ()  # choices offered for one part would be ambiguous
            state.previous_intent = intent if intent != FALLBACK else state.previous_intent
            texts.append(text)
            intents.append(reported)
        # The first question's yes or no leads the whole reply, as it would a reply to that question alone.
        word, rest = split_lead(texts[0])
        lines = []
        if word is not None:
            lines.append(self._stage.lead(word, form))
            texts[0] = rest.lstrip()
        lines += [f"{n}. {text}" for n, text in enumerate(texts, 1)]
        return Reply("\n".join(lines), intents[0], 1.0)

    def _replied(self, inbound: Inbound, state: ConversationState, now: dt.datetime, reply: Reply) -> Reply:
        self.conversations.save(inbound.channel, inbound.address, state, now)
        if self._on_exchange is not None:
            self._on_exchange(inbound, reply)
        return reply

    def _understand(self, text: str, state: ConversationState, *, within: bool = False) -> ParseResult:
        """The parse of ``text``; ``within``: a short part after another ("确认地点在哪 么子时候去") is read in
        that part's topic whenever it names an aspect of it, however sure the parse is of another topic."""
        plain = _PLAIN.sub("", unicodedata.normalize("NFKC", text).lower())
        offered, state.offered = state.offered, ()
        if state.awaiting == "bind_code" and len(plain) == BIND_CODE_LENGTH and plain.isdigit():
            return _certain(text, "bind")  # the code sent by SMS to finish binding
        if plain.isdigit() and 1 <= int(plain) <= len(offered):  # "2" picks the second topic offered
            return _certain(text, offered[int(plain) - 1])
        # Whichever engine parsed (in-process or a Rasa server), an action needs a command or a clear order.
        parse = actions.guard(self.interpreter.parse(text))
        top = parse["intent"]
        sure = 0.0 if within and not self._followups.names_topic(plain) else top["confidence"]
        meant = self._followups.resolve(plain, state.previous_intent, top["name"], sure)
        if meant is not None and meant != top["name"]:
            chosen = {"name": meant, "confidence": FOLLOWUP_CONFIDENCE}
            ranking = [chosen] + [r for r in parse["intent_ranking"] if r["name"] != meant]
            parse = {**parse, "intent": chosen, "intent_ranking": ranking}
        return parse

    def _general(
        self, parse: ParseResult, question: str, now: dt.datetime, form: Form, values: Mapping[str, str]
    ) -> Composed | None:
        """A doubtful personal reading ("我记得交钱是在确认以后 冇记错吧") that a general topic ranked next
        answers: that answer (binding is offered after it)."""
        if parse["intent"]["confidence"] >= PERSONAL_DOUBT:
            return None
        for ranked in parse["intent_ranking"][1:]:
            if ranked["confidence"] < GENERAL_AT_LEAST:
                break
            if ranked["name"] not in PERSONAL_INTENTS and ranked["name"] != FALLBACK:
                composed = self._stage.compose(ranked["name"], question, parse["entities"], now, form, values)
                if composed is not None:
                    return composed
        return None

    def _answer(
        self,
        inbound: Inbound,
        intent: str,
        parse: ParseResult,
        state: ConversationState,
        form: Form,
        now: dt.datetime,
        question: str,
    ) -> tuple[str, str]:
        values = self.date_values(now)
        composed = self._stage.compose(intent, question, parse["entities"], now, form, values)
        if composed is None and intent in _SMALL_TALK:  # "这个是不是周末不算" is no question about the bot
            composed = self._general(parse, question, now, form, values)
            if composed is None:  # "线上只学二十个就冇事了吧": what it asks, whatever the topic
                composed = self._stage.compose(FALLBACK, question, parse["entities"], now, form, values)
        if intent in PERSONAL_INTENTS:
            desk = self._desk()
            if composed is None and not desk.is_bound(inbound):
                composed = self._general(parse, question, now, form, values)
            if composed is not None and composed.silent:
                return composed.text, composed.intent
            if composed is None or desk.is_bound(inbound):
                return desk.answer(inbound, intent, parse, state, form), intent
            # A personal question with a general answer ("我线上学了20学时够吗"): answer it, then offer binding.
            return f"{composed.text}\n{self._stage.offer_binding(now, form, values)}", composed.intent
        if state.awaiting == "bind":  # a question instead of the name; a code sent stays awaited
            state.awaiting = None
        if composed is not None:
            if composed.silent:  # "群里说确认是在三楼306 对吧": a value named otherwise is corrected first
                corrected = self._stage.contradicted(question, composed.text, form)
                return corrected or composed.text, composed.intent
            if composed.led and not composed.says_yes:
                # its own verdict stands, unless it gives the amount asked about otherwise (hours it counted
                # from the message are the asker's, not a claim: "全部线上学32个行不行" names no rule)
                contradicted = (
                    None if composed.counted else self._stage.contradicted(question, composed.text, form)
                )
                return contradicted or composed.text, composed.intent
            # A yes would be invented: the no-word instead, or what the notice says and its silence.
            vetted = self._stage.vetted(question, composed.text, form, values, broad=composed.says_yes)
            if vetted is not None:
                return vetted[0], NOT_IN_NOTICE if vetted[1] else composed.intent
            if composed.led:
                return composed.text, composed.intent
            return self._stage.confirmed(question, composed.text, form), composed.intent
        if intent not in self.campaign.answers:
            log.warning("no answer for intent %s; falling back", intent)
            intent = FALLBACK
        extra = {}
        if intent == FALLBACK:
            ranked = [r["name"] for r in parse["intent_ranking"][1:] if r["confidence"] >= 0.05]
            offered = tuple(suggested_intents(self.campaign, ranked))
            extra["suggestions"] = suggestions(self.campaign, list(offered))
            if form == "full":  # the short (SMS) form names topics without numbers
                state.offered = offered
        if extra:
            return render(self.campaign, intent, now, form=form, extra=extra, dates=values), intent
        if (intent, form) not in self._rendered:
            self._rendered[intent, form] = render(self.campaign, intent, now, form=form, dates=values)
        rendered = self._rendered[intent, form]
        if intent not in NOT_ANSWERS:
            vetted = self._stage.vetted(question, rendered, form, values)
            if vetted is not None:
                return vetted[0], NOT_IN_NOTICE if vetted[1] else intent
        return self._stage.confirmed(question, rendered, form), intent

    def date_values(self, now: dt.datetime) -> dict[str, str]:
        """The date-dependent values of the answers, computed once per local day."""
        today = local_date(self.campaign, now)
        if self._dates is None or self._dates[0] != today:
            self._dates = (today, date_values(self.campaign, now))
            self._rendered = {}
        return self._dates[1]

    def _desk(self) -> PersonalDesk:
        if self._personal_factory is None:
            return _NoLedger(self)
        with self._personal_lock:  # conversations are answered in parallel threads
            if self._personal is None:
                self._personal = self._personal_factory()
            return self._personal


def _name_only(text: str, confidence: float) -> bool:
    """A short Han-only message not confidently read as a question: the name a guided step waits for."""
    return confidence < NAME_CONFIDENCE and NAME_ONLY.fullmatch(text.strip()) is not None


def _certain(text: str, intent: str) -> ParseResult:
    chosen = {"name": intent, "confidence": 1.0}
    return {"text": text, "intent": chosen, "entities": [], "intent_ranking": [chosen]}


class _NoLedger:
    """Stands in where no ledger is configured: personal questions get the hotline."""

    def __init__(self, brain: Brain) -> None:
        self._brain = brain

    def answer(
        self, inbound: Inbound, intent: str, parse: ParseResult, state: ConversationState, form: Form
    ) -> str:
        now = self._brain.clock.now()
        dates = self._brain.date_values(now)
        return render(self._brain.campaign, "ask_not_in_notice", now, form=form, dates=dates)

    def is_bound(self, inbound: Inbound) -> bool:
        return False
