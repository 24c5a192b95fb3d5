"""Unanswered questions, grouped; teach an existing topic or write a new one (reviewed before it goes live)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bot.console.grouping import fold, group_questions
from bot.console.teaching import STATUS_LABELS, TeachingError
from bot.console.web import ConsoleServices, back, in_thread, render, services, staff
from bot.kernel.messages import Inbound
from ledger.store import SQLAlchemyLedgerStore

SCANNED = 2000  # latest unanswered messages grouped
SHOWN_GROUPS = 50
KINDS = {"nlu_fallback": "没听懂", "ask_not_in_notice": "通知未说明"}
CONSOLE_CHANNEL = "console"  # staff trying the bot from this page; never listed as unanswered
_INTENT = re.compile(r"[a-z_0-9]{1,64}")


def _groups(console: ConsoleServices) -> tuple[list[Any], int]:
    messages = SQLAlchemyLedgerStore(console.engine, console.vault).unanswered(SCANNED)
    taught = {fold(text) for text in console.taught.taught_texts()}
    pending = [
        (m.text, m.intent or "")
        for m in messages
        if m.channel != CONSOLE_CHANNEL and fold(m.text) not in taught
    ]
    groups = group_questions(pending)
    return groups[:SHOWN_GROUPS], len(pending)


def topic_choices(console: ConsoleServices, topics: list[dict[str, Any]]) -> dict[str, str]:
    """Every topic a question can be filed under: the campaign's and the approved taught ones."""
    choices = dict(console.current().labels)
    choices.update({t["intent"]: t["label"] for t in topics if t["status"] == "approved"})
    return choices


async def unanswered(request: web.Request) -> web.Response:
    return await _page(request, None)


async def _page(request: web.Request, tried: dict[str, Any] | None) -> web.Response:
    console = services(request)
    follower = console.follower
    # Another instance may have retrained: start loading its model now, not at the next periodic check.
    following = follower is not None and await in_thread(follower.check_soon)
    groups, scanned = await in_thread(_groups, console)
    topics = await in_thread(console.taught.topics)
    retrainer = console.retrainer
    return render(
        request,
        "unanswered.html",
        title="未答问题",
        groups=groups,
        scanned=scanned,
        kinds=KINDS,
        choices=topic_choices(console, topics),
        topics=topics,
        topic_status=STATUS_LABELS,
        training=retrainer is not None and retrainer.busy,
        generation=retrainer.generation if retrainer is not None else 0,
        train_error=(retrainer.error if retrainer is not None else None)
        or (follower.error if follower is not None else None),
        following=following,
        model_version=follower.version if follower is not None else 0,
        tried=tried,
    )


def _texts(form: Any) -> list[str]:
    return [t for t in form.getall("text", []) if isinstance(t, str) and t.strip()][:200]


async def teach(request: web.Request) -> web.Response:
    """File a group's questions under an existing topic and retrain."""
    console = services(request)
    form = await request.post()
    intent, texts = str(form.get("intent", "")), _texts(form)
    topics = await in_thread(console.taught.topics)
    choices = topic_choices(console, topics)
    if intent not in choices or not texts:
        raise back("/unanswered", "请选择一个主题")
    who = staff(request).name
    added = await in_thread(console.taught.add_examples, texts, intent, who, console.clock.now())
    detail = f"把 {len(texts)} 个问题归入主题“{choices[intent]}”（{intent}），如：{texts[0]}"
    await in_thread(console.audit.record, who, "teach", detail)
    if console.retrainer is not None:
        console.retrainer.retrain_soon()
    raise back("/unanswered", f"已记录 {added} 条例句，模型正在后台重新训练")


async def new_topic(request: web.Request) -> web.Response:
    """Write a new topic with its answer, as a draft for review."""
    console = services(request)
    form = await request.post()
    texts = _texts(form)
    label, full, short = (str(form.get(k, "")) for k in ("label", "full", "short"))
    who = staff(request).name
    try:
        intent = await in_thread(
            console.taught.add_topic, label, full, short, texts, who, console.clock.now()
        )
    except TeachingError as exc:
        raise back("/unanswered", str(exc)) from exc
    await in_thread(
        console.audit.record,
        who,
        "topic",
        f"新建主题“{label.strip()}”（{intent}），待审核。回答：{full.strip()}",
    )
    raise back("/unanswered", "新主题已提交，审核通过后上线")


async def review(request: web.Request) -> web.Response:
    """Approve a draft topic (it goes live after retraining) or send it back."""
    console = services(request)
    intent = request.match_info["intent"]
    if not _INTENT.fullmatch(intent):
        raise web.HTTPNotFound()
    form = await request.post()
    approve = form.get("decision") == "approve"
    who = staff(request).name
    try:
        await in_thread(console.taught.review_topic, intent, approve, who, console.clock.now())
    except TeachingError as exc:
        raise back("/unanswered", str(exc)) from exc
    await in_thread(console.audit.record, who, "review", f"{'批准' if approve else '退回'}主题 {intent}")
    if approve and console.retrainer is not None:
        console.retrainer.retrain_soon()
    raise back("/unanswered", "已批准，模型正在后台重新训练" if approve else "已退回")


async def try_bot(request: web.Request) -> web.Response:
    """Ask the running bot a question, as a trainee would."""
    console = services(request)
    form = await request.post()
    text = str(form.get("text", "")).strip()[:500]
    tried = None
    if text and console.ask is not None:
        reply = await console.ask(Inbound(CONSOLE_CHANNEL, f"staff:{staff(request).name}", text))
        tried = {"text": text, "answer": reply.text, "intent": reply.intent, "confidence": reply.confidence}
    return await _page(request, tried)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/unanswered", unanswered)
    app.router.add_post("/unanswered/teach", teach)
    app.router.add_post("/unanswered/topic", new_topic)
    app.router.add_post("/unanswered/try", try_bot)
    app.router.add_post("/topics/{intent}/review", review)
