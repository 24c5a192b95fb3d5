"""The console's aiohttp sub-application: sessions, CSRF, security headers, templates, sign-in and out."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.console.accounts import AccountError, AuditLog, SessionInfo, StaffAccounts
from bot.console.cache import ConsoleCaches
from bot.console.shared_models import FOLLOW_INTERVAL, ModelFollower
from bot.console.teaching import Retrainer, TaughtStore
from bot.kernel.clock import Clock
from bot.kernel.messages import Inbound, Reply
from knowledge.campaign import Campaign
from reminders.policy import QuietHours

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
PREFIX = "/console"
SESSION_COOKIE = "jxjy_console"
LOGIN_COOKIE = "jxjy_login_csrf"
PUBLIC = frozenset({"/login", "/static/console.css"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ACTION_LABELS = {
    "login": "登录",
    "import": "导入",
    "export": "导出",
    "broadcast": "群发",
    "cancel": "取消群发",
    "teach": "归入主题",
    "topic": "新主题",
    "review": "审核主题",
    "staff": "账号",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class ConsoleServices:
    """What the console needs, built by the composition root (``bot.app.build_console``)."""

    engine: Engine
    campaign: Campaign
    clock: Clock
    quiet: QuietHours
    vault: Any  # ledger.crypto.IdVault
    accounts: StaffAccounts
    audit: AuditLog
    taught: TaughtStore
    work_dir: Path
    secure_cookies: bool = False
    retrainer: Retrainer | None = None
    follower: ModelFollower | None = None  # follows the models other instances train
    follow_interval: float = FOLLOW_INTERVAL
    dispatch_soon: Callable[[], Awaitable[object]] | None = None
    ask: Callable[[Inbound], Awaitable[Reply]] | None = None
    # Every year's campaign (JXJY_CAMPAIGN_DIR): the console shows the one of the moment.
    campaigns: tuple[Campaign, ...] = ()
    # Aggregates over the ledger and the outbox, kept for seconds to minutes (``bot.console.cache``).
    caches: ConsoleCaches = field(default_factory=ConsoleCaches)

    def current(self) -> Campaign:
        """The campaign of the moment: its records, posts and rules are what the pages show."""
        if not self.campaigns:
            return self.campaign
        from knowledge.years import season_at

        return season_at(self.campaigns, self.clock.now()).campaign


CONSOLE = web.AppKey("console", ConsoleServices)
TEMPLATES = web.AppKey("console_templates", jinja2.Environment)
# The signed-in staff member of the request being handled; set (or cleared) by ``guard`` for every request.
_STAFF: ContextVar[SessionInfo | None] = ContextVar("console_staff", default=None)


def templates(tz: dt.tzinfo) -> jinja2.Environment:
    """The page templates, HTML-escaped by default; times shown in ``tz`` (the campaign's zone)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["local"] = lambda value, fmt="%Y-%m-%d %H:%M": _local_time(value, tz, fmt)
    env.filters["num"] = lambda v: f"{v:g}" if isinstance(v, float) else str(v)
    return env


def _local_time(value: dt.datetime | None, tz: dt.tzinfo, fmt: str) -> str:
    return "" if value is None else value.astimezone(tz).strftime(fmt)


def staff(request: web.Request) -> SessionInfo:
    """The signed-in staff member of this request."""
    info = _STAFF.get()
    if info is None:
        raise web.HTTPFound(f"{PREFIX}/login")
    return info


def services(request: web.Request) -> ConsoleServices:
    """The console's services."""
    return request.app[CONSOLE]


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    """A page from ``templates/name`` with the layout's values (who is signed in, the CSRF token)."""
    env = request.app[TEMPLATES]
    who = _STAFF.get()
    page = env.get_template(name).render(
        staff=who,
        csrf=who.csrf if who is not None else "",
        path=request.path,
        msg=request.query.get("msg", "")[:200],
        **context,
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def back(location: str, msg: str = "") -> web.HTTPFound:
    """A redirect after a form, with a message to show."""
    target = PREFIX + location
    if msg:
        target += ("&" if "?" in target else "?") + "msg=" + quote(msg)
    return web.HTTPFound(target)


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking database work off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


def client_address(request: web.Request) -> str:
    """The visitor's address, as the sign-in rate limit counts it."""
    return request.remote or "unknown"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only the sign-in page for visitors without a session; a POST must carry the session's CSRF token."""
    tail = request.path[len(PREFIX) :] or "/"
    _STAFF.set(None)
    if tail not in PUBLIC:
        token = request.cookies.get(SESSION_COOKIE, "")
        info = await in_thread(services(request).accounts.session, token) if token else None
        if info is None:
            raise web.HTTPFound(f"{PREFIX}/login")
        _STAFF.set(info)
        if request.method == "POST":
            form = await request.post()
            sent = form.get("csrf")
            if not isinstance(sent, str) or not secrets.compare_digest(sent, info.csrf):
                return render(
                    request, "error.html", status=403, message="表单已过期或来源不明，请刷新页面后重试。"
                )
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    return response


async def login_page(request: web.Request) -> web.Response:
    """The sign-in form; it sets a fresh CSRF cookie that the form must echo."""
    return _login_form(request, "")


def _login_form(request: web.Request, error: str, status: int = 200) -> web.Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status=status, login_csrf=token, error=error)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path=PREFIX,
        httponly=True,
        samesite="Lax",
        secure=services(request).secure_cookies,
    )
    return response


async def login(request: web.Request) -> web.Response:
    """Check the CSRF pair, the rate limit and the password; on success start a session."""
    form = await request.post()
    sent, expected = form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        return render(request, "error.html", status=403, message="登录表单已过期，请刷新页面后重试。")
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    console = services(request)
    try:
        staff_id = await in_thread(console.accounts.authenticate, name, password, client_address(request))
    except AccountError as exc:
        return _login_form(request, str(exc), status=401)
    token = await in_thread(console.accounts.open_session, staff_id)
    await in_thread(console.audit.record, name.strip(), "login", f"登录（来自 {client_address(request)}）")
    response = web.HTTPFound(f"{PREFIX}/")
    response.set_cookie(
        SESSION_COOKIE, token, path=PREFIX, httponly=True, samesite="Lax", secure=console.secure_cookies
    )
    response.del_cookie(LOGIN_COOKIE, path=PREFIX)
    raise response


async def logout(request: web.Request) -> web.Response:
    """End the session."""
    console = services(request)
    await in_thread(console.accounts.close_session, request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPFound(f"{PREFIX}/login")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    raise response


async def stylesheet(request: web.Request) -> web.FileResponse:
    """The one stylesheet (ours; no external CSS or fonts)."""
    response = web.FileResponse(HERE / "static" / "console.css")
    response.headers["Cache-Control"] = "max-age=3600"
    return response


async def audit_page(request: web.Request) -> web.Response:
    """The audit log, 50 entries a page."""
    page = max(1, int(request.query.get("page", "1") or 1)) if request.query.get("page", "1").isdigit() else 1
    entries, total = await in_thread(services(request).audit.entries, 50, (page - 1) * 50)
    pages = max(1, -(-total // 50))
    return render(
        request, "audit.html", entries=entries, total=total, page=page, pages=pages, actions=ACTION_LABELS
    )


async def _warm_up(app: web.Application) -> AsyncIterator[None]:
    """As the server starts, in a worker thread: compile the page templates and count the ledger, so the
    first visitors wait for neither.

    The server listens only once this is done: run beside the first requests, compiling the templates held
    the interpreter's lock for most of their first 100 ms (the slowest answers of a fresh instance).
    """
    from bot.console.pages_overview import warm_caches

    env, console = app[TEMPLATES], app[CONSOLE]

    def warm() -> None:
        try:
            for name in env.list_templates(extensions=["html"]):
                env.get_template(name)
            warm_caches(console)
        except (jinja2.TemplateError, SQLAlchemyError):
            log.exception("the console's warm-up failed; pages will do it on their first request")

    await asyncio.to_thread(warm)
    yield


def build_console_app(console: ConsoleServices) -> web.Application:
    """The console as an aiohttp sub-application, to be mounted at ``/console``."""
    from bot.console import pages_broadcasts, pages_ledger, pages_overview, pages_unanswered

    app = web.Application(middlewares=[guard], client_max_size=50 * 1024 * 1024)
    app[CONSOLE] = console
    app[TEMPLATES] = templates(console.clock.tz)
    app.cleanup_ctx.append(_warm_up)
    if console.follower is not None:
        app.cleanup_ctx.append(console.follower.following(console.follow_interval))
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/static/console.css", stylesheet)
    app.router.add_get("/audit", audit_page)
    for module in (pages_overview, pages_ledger, pages_broadcasts, pages_unanswered):
        module.add_routes(app)
    return app


def install(console: ConsoleServices) -> Callable[[web.Application], None]:
    """A route installer for ``bot.http.build_app``: mount the console at ``/console``."""

    def add(app: web.Application) -> None:
        sub = build_console_app(console)
        app.router.add_get(PREFIX, _to_slash)
        app.add_subapp(PREFIX, sub)

    return add


async def _to_slash(request: web.Request) -> web.Response:
    raise web.HTTPFound(PREFIX + "/")
