"""The composition root: build settings, clock, campaign, NLU and stores, and wire them into one brain."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.kernel.clock import Clock, parse_now
from bot.kernel.settings import Settings
from knowledge.campaign import Campaign
from knowledge.years import load_campaigns, season_at

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import AsyncIterator, Callable

    from aiohttp import web
    from sqlalchemy import Engine

    from bot.channels.common import DispatchSoon, ServerServices
    from bot.console.taught import LiveInterpreter, Taught
    from bot.console.web import ConsoleServices
    from bot.dialogue.brain import Brain, PersonalDesk
    from bot.dialogue.held_writes import Journal
    from bot.dialogue.notices import Notifier
    from bot.kernel.messages import Responder
    from bot.server import CleanupContext
    from nlu.interpreter import Interpreter, LocalInterpreter
    from reminders.dispatcher import DispatchLimits
    from reminders.gateways import Channel, Gateway
    from reminders.policy import QuietHours

log = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """The configured database cannot be opened; the message says why in one line."""


@dataclass
class Runtime:
    """Everything a command needs, built once at its entry point."""

    settings: Settings
    clock: Clock
    campaign: Campaign  # the campaign of the moment the command starts at (``--now``)
    campaigns: tuple[Campaign, ...] = ()  # every year's campaign, with JXJY_CAMPAIGN_DIR
    # Called when the NLU model must be trained first (a pause of seconds): the command says so.
    on_training: Callable[[int], None] | None = None
    _engine: Any = field(default=None, init=False, repr=False)
    _taught: Any = field(default=None, init=False, repr=False)
    # The interpreter of the last brain built: the console's retraining swaps the model inside it.
    live_interpreter: Any = field(default=None, init=False, repr=False)

    @classmethod
    def create(cls, now: str | None = None, settings: Settings | None = None) -> Runtime:
        settings = settings or Settings()
        campaigns = load_campaigns(settings.campaign_file, settings.campaign_dir)
        # The campaigns' time zone is read here, once, and travels with the clock.
        clock = parse_now(now, campaigns[0].tz)
        campaign = season_at(campaigns, clock.now()).campaign
        return cls(settings, clock, campaign, tuple(campaigns) if settings.campaign_dir else ())

    @property
    def cache_dir(self) -> Path:
        return self.settings.ensure_data_dir() / "cache"

    def interpreter(self) -> Interpreter:
        """The NLU: a Rasa server when JXJY_RASA_URL is set, otherwise the in-process engine."""
        # Imported here: commands that never answer a message (reminders, ledger) skip numpy and the NLU.
        from nlu.interpreter import LocalInterpreter

        def local() -> Interpreter:
            from nlu.model import load_or_train
            from nlu.training_data import load_training_data

            data = self.taught().training_data(load_training_data())
            pipeline = load_or_train(data, self.cache_dir, on_training=self.on_training)
            return LocalInterpreter(pipeline, data, self.settings.nlu_threshold)

        if self.settings.rasa_url:
            from nlu.rasa_http import FailoverInterpreter, RasaHttpInterpreter

            rasa = RasaHttpInterpreter(self.settings.rasa_url, threshold=self.settings.nlu_threshold)
            return FailoverInterpreter(rasa, local)
        return local()

    def taught(self) -> Taught:
        """What staff taught in the console (examples, approved topics), merged in whenever a model loads.

        Read without migrating, and only when a database is configured or its SQLite file exists, so a
        FAQ-only run on a fresh machine creates nothing (and imports no SQLAlchemy: a faster start).
        """
        if self._taught is None:
            from bot.console.taught import Taught

            self._taught = Taught()
            sqlite_file = self.settings.data_dir / "jxjy.sqlite3"
            if self._engine is not None or self.settings.database_url or sqlite_file.exists():
                from bot.console.teaching import read_taught
                from ledger.db import make_engine

                try:
                    engine = self._engine or make_engine(self.settings.effective_database_url)
                except (ValueError, ImportError) as exc:
                    log.warning("taught NLU data not read: %s", exc)
                else:
                    self._taught = read_taught(engine)
                    if engine is not self._engine:
                        engine.dispose()
        return self._taught  # type: ignore[no-any-return]

    def use_taught(self, taught: Taught) -> None:
        """Replace what was taught (after the console retrained the model)."""
        self._taught = taught

    def engine(self) -> Engine:
        """The database, migrated to head; opened once, on first use, so FAQ-only runs never pay for it.

        Raise DatabaseUnavailable, with a one-line reason, when the URL is wrong or the server does not answer.
        """
        if self._engine is None:
            from sqlalchemy.exc import SQLAlchemyError

            from ledger.db import open_database
            from ledger.locks import LockBusyError

            try:
                self._engine = open_database(self.settings)
            except (SQLAlchemyError, ValueError, ImportError, OSError, LockBusyError) as exc:
                cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
                reason = cause[0] if cause else type(exc).__name__
                raise DatabaseUnavailable(f"无法打开数据库（JXJY_DATABASE_URL）：{reason}") from exc
        return self._engine  # type: ignore[no-any-return]

    def id_vault(self) -> Any:
        """The ID-number vault keyed by JXJY_SECRET_KEY (or the generated key file)."""
        from ledger.crypto import IdVault

        return IdVault(self.settings.effective_secret_key())

    def ledger_store(self, campaign: Campaign | None = None) -> Any:
        """The SQLAlchemy ledger store of a campaign's records (default: the campaign of the moment)."""
        from ledger.store import SQLAlchemyLedgerStore

        campaign_id = (campaign or self.campaign).campaign.id
        return SQLAlchemyLedgerStore(self.engine(), self.id_vault(), self.clock, campaign_id)

    def gateways(self) -> dict[Channel, Gateway]:
        """The outbound gateways the settings configure (SMS always, Telegram with a token, WeChat with an app).

        Template variables (mainland SMS, WeChat templates) are filled from the campaign and the ledger.
        """
        from bot.channels.message_fields import CampaignFields
        from bot.channels.outbound import gateways_from_settings

        settings = self.settings
        store = self.ledger_store() if self._needs_ledger() else None
        fields = CampaignFields(self.campaign, store.get, self.clock) if store is not None else None
        engine = self.engine() if settings.wechat_app_id and settings.wechat_app_secret else None
        return gateways_from_settings(settings, self.clock, engine=engine, fields=fields)

    def _needs_ledger(self) -> bool:
        """Template variables come from the ledger only for providers that use templates."""
        settings = self.settings
        templated = settings.sms_gateway.strip().lower() in ("aliyun", "tencent")
        return templated or bool(settings.wechat_app_id and settings.wechat_app_secret)

    def dispatch_limits(self) -> DispatchLimits:
        """Batch, retry and rate limits for the dispatcher, per-number SMS caps from the settings."""
        from reminders.dispatcher import limits_from_settings

        return limits_from_settings(self.settings)

    def quiet_hours(self) -> QuietHours:
        """The quiet hours from the settings, read in the campaign's time zone."""
        from reminders.policy import QuietHours

        return QuietHours.parse(self.settings.quiet_start, self.settings.quiet_end, self.clock.tz)

    def personal_desk(
        self, campaign: Campaign | None = None, notifier: Notifier | None = None
    ) -> PersonalDesk:
        """The ledger-backed desk on a campaign's records; binding codes go out by ``notifier`` (SMS)."""
        from bot.dialogue.desk import LedgerDesk
        from ledger.bind_codes import SqlBindCodeStore, code_key
        from ledger.binding import BindingService

        campaign = campaign or self.campaign
        store = self.ledger_store(campaign)
        binding = BindingService(
            store,
            self.clock,
            codes=SqlBindCodeStore(self.engine()),
            code_key=code_key(self.settings.effective_secret_key()),
        )
        return LedgerDesk(store, binding, self.clock, campaign, notifier)

    def brain(
        self,
        *,
        log_messages: bool = False,
        shared_state: bool = False,
        notifier: Notifier | None = None,
        held: Journal | None = None,
    ) -> Responder:
        """The brain; with ``log_messages`` every exchange is stored (masked) for staff to review.

        With ``shared_state`` the conversations live in the database (every instance of `jxjy serve`
        continues any conversation); otherwise in this process. With ``held`` (`jxjy serve`), both wait for
        the service's group commits (bot.dialogue.held_writes). ``notifier`` sends binding codes by SMS. With
        JXJY_CAMPAIGN_DIR, one brain per year behind a SeasonalBrain that follows the clock (shared state).
        """
        from bot.dialogue.brain import Brain
        from bot.dialogue.conversation import ConversationStore, MemoryConversationStore
        from bot.dialogue.second_stage import default_reader

        on_exchange = self._message_logger(held) if log_messages else None
        conversations: ConversationStore = MemoryConversationStore()
        if shared_state:
            from bot.dialogue.conversation_sql import SqlConversationStore

            conversations = SqlConversationStore(self.engine(), self.id_vault())
            if held is not None:
                from bot.dialogue.held_writes import HeldConversations

                conversations = held.conversations = HeldConversations(conversations)
        local = self.interpreter()
        # The second stage folds text as the classifier does; its cues are the same every year: read once.
        reader = default_reader(local)
        interpreter = self.live_interpreter = self._live(local)
        if not self.campaigns:
            return Brain(
                self.taught().campaign(self.campaign),
                interpreter,
                self.clock,
                personal=lambda: self.personal_desk(notifier=notifier),
                on_exchange=on_exchange,
                conversations=conversations,
                aspects=reader,
            )
        from bot.dialogue.seasons import SeasonalBrain

        def brain_for(campaign: Campaign) -> Brain:
            return Brain(
                self.taught().campaign(campaign),
                interpreter,
                self.clock,
                personal=lambda: self.personal_desk(campaign, notifier),
                conversations=conversations,
                aspects=reader,
            )

        return SeasonalBrain(self.campaigns, self.clock, brain_for, on_exchange=on_exchange)

    @staticmethod
    def _live(interpreter: Interpreter) -> LiveInterpreter:
        from bot.console.taught import LiveInterpreter

        return LiveInterpreter(interpreter)

    def _message_logger(self, held: Journal | None = None) -> Any:
        """The exchange log; with ``held``, what the service answers waits for its group commit."""
        from bot.dialogue.held_writes import HeldExchanges
        from ledger.message_log import SqlMessageLog

        exchanges = HeldExchanges(SqlMessageLog(self.engine()), self.clock.now)
        if held is not None:
            held.exchanges = exchanges
        return exchanges


def build_service(runtime: Runtime) -> tuple[ServerServices, list[CleanupContext]]:
    """Wire `jxjy serve`: the HTTP services on the database, and the reminder scheduler as background work.

    Replies (SMS, Telegram, WeChat's slow answers) go in the outbox under ``reply:<channel>:<id>``, claimed
    for the scheduler's dispatcher, which sends them at once and records the sends in the same group
    commit; receipts update the outbox. The ``keys`` lock is held shared while the service runs, so
    `jxjy ledger rotate-key` refuses meanwhile (LockBusyError here while a rotation runs)."""
    from bot.channels.common import LOCAL_ANSWER_THREADS, RASA_ANSWER_THREADS, ServerServices
    from bot.dialogue.held_writes import Journal
    from bot.dialogue.notices import OutboxNotifier, wake_from_threads
    from bot.http import engine_health
    from ledger.channel_blocks import SqlChannelBlocks
    from ledger.inbound import SqlInboundStore
    from ledger.rotation import key_user_lock
    from reminders.gateways import close_gateways
    from reminders.outbox import SqlOutbox
    from reminders.scheduler import ReminderScheduler

    engine = runtime.engine()
    key_lock = key_user_lock(engine, wait=60.0)
    outbox = SqlOutbox(engine)
    gateways = runtime.gateways()
    campaigns = runtime.campaigns

    def campaign_at(now: dt.datetime) -> Campaign:
        return season_at(campaigns, now).campaign

    scheduler = ReminderScheduler(
        engine,
        campaign_at if campaigns else runtime.campaign,
        runtime.clock,
        runtime.quiet_hours(),
        gateways,
        runtime.dispatch_limits(),
    )

    def on_delivery_status(message_id: str, status: str, error: str | None) -> None:
        if not outbox.record_receipt(message_id, status, error):
            log.info("receipt for unknown message %s: %s", message_id, status)

    notifier = OutboxNotifier(outbox)  # binding codes; woken below once the event loop runs
    # The conversation states and the exchange log wait for the group commit of each request's reply.
    journal = Journal()
    brain = runtime.brain(log_messages=True, shared_state=True, notifier=notifier, held=journal)
    from bot.dialogue.brain import Brain
    from bot.dialogue.seasons import SeasonalBrain

    if isinstance(brain, Brain | SeasonalBrain):
        brain.warm_up()  # before the first request, not during it
    services = ServerServices(
        settings=runtime.settings,
        responder=brain,
        answer_threads=RASA_ANSWER_THREADS if runtime.settings.rasa_url else LOCAL_ANSWER_THREADS,
        health=engine_health(engine),
        inbound_store=SqlInboundStore(engine),
        outbox=outbox,
        dispatch_soon=scheduler.dispatch_now,
        dispatch_replies=partial(scheduler.dispatch_now, claim=False),  # they come claimed (handoff)
        handoff=scheduler.dispatcher.handoff,
        clock=runtime.clock,
        on_delivery_status=on_delivery_status,
        blocks=SqlChannelBlocks(engine),
        journal=journal,
    )
    scheduler.dispatcher.sent_recorder = services.record_sent  # in the requests' group commit
    services.rehearse(answer=not runtime.settings.rasa_url)  # the first requests' costs, paid before serving
    from bot.console.web import install

    console = build_console(runtime, brain, scheduler.dispatch_now)
    console.ask = services.answer
    services.extra_routes = (install(console),)

    async def reminders_ctx(app: web.Application) -> AsyncIterator[None]:
        scheduler.start()
        notifier.wake = wake_from_threads(asyncio.get_running_loop(), scheduler.dispatch_now)
        yield
        notifier.wake = None
        scheduler.shutdown()
        await close_gateways(gateways)
        key_lock.release()

    return services, [reminders_ctx]


def build_console(
    runtime: Runtime, brain: Responder, dispatch_soon: DispatchSoon | None = None
) -> ConsoleServices:
    """The staff console's services on the runtime's database; taught data retrains ``brain`` in place."""
    from bot.console.accounts import AuditLog, StaffAccounts
    from bot.console.shared_models import ModelFollower, SharedModels
    from bot.console.teaching import Retrainer, TaughtStore, swap_into
    from bot.console.web import ConsoleServices

    engine = runtime.engine()
    work_dir = runtime.settings.ensure_data_dir() / "console"
    work_dir.mkdir(mode=0o700, exist_ok=True)
    store = TaughtStore(engine)
    into_brains = swap_into(brain, runtime.live_interpreter)

    def swap(interpreter: LocalInterpreter, taught: Taught) -> None:
        runtime.use_taught(taught)  # brains built from now on (a new campaign year) start with it
        into_brains(interpreter, taught)

    # The retrained model goes to every instance on the database: published here, followed there.
    threshold, cache = runtime.settings.nlu_threshold, runtime.cache_dir
    follower = ModelFollower(SharedModels(engine, runtime.clock), store, cache, threshold, swap)
    retrainer = Retrainer(store, cache, threshold, swap, on_trained=follower.publish)
    return ConsoleServices(
        engine=engine,
        campaign=runtime.campaign,
        clock=runtime.clock,
        quiet=runtime.quiet_hours(),
        vault=runtime.id_vault(),
        accounts=StaffAccounts(engine, runtime.clock),
        audit=AuditLog(engine, runtime.clock),
        taught=store,
        work_dir=work_dir,
        secure_cookies=(runtime.settings.public_url or "").lower().startswith("https://"),
        retrainer=retrainer,
        follower=follower,
        dispatch_soon=dispatch_soon,
        campaigns=runtime.campaigns,
    )
