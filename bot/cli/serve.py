"""`jxjy serve`: the HTTP endpoints, Telegram and the reminder scheduler in one process."""

from __future__ import annotations

import errno
import logging
import queue
import socket
from logging.handlers import QueueHandler, QueueListener
from typing import Annotated

import typer

HostOption = Annotated[str, typer.Option("--host", help="监听的地址。")]
PortOption = Annotated[int, typer.Option("--port", help="监听的端口。")]
EXIT_CANNOT_START = 2


def port_taken(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in Chinese), or None when it is free."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return f"地址 {host} 无法解析：检查 --host"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As aiohttp binds: SO_REUSEADDR, so a port in TIME_WAIT after a restart counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return _bind_problem(host, port, exc)
    return None


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"端口 {port} 已被占用（{host}:{port}）：可能 jxjy serve 已在运行；换一个 --port，或先停掉占用它的程序"
    if exc.errno == errno.EACCES:
        return f"没有权限监听端口 {port}：1024 以下的端口需要管理员权限，换一个 --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"本机没有地址 {host}：检查 --host"
    return f"无法监听 {host}:{port}：{exc.strerror}"


def serve(host: HostOption = "127.0.0.1", port: PortOption = 8080) -> None:
    """运行服务：HTTP 接口、Telegram（设置了令牌时）、按时发送提醒。"""
    problem = port_taken(host, port)
    if problem is not None:
        typer.echo(f"错误：{problem}", err=True)
        raise typer.Exit(EXIT_CANNOT_START)
    from bot.app import build_service
    from bot.cli.common import engine_or_exit, fail, runtime_or_exit
    from bot.server import run
    from ledger.locks import LockBusyError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    listener = _log_from_a_thread()
    # httpx logs each Bot API URL, which contains the bot token; telegram's debug lines carry message text.
    # aiohttp's access log is a line per request; the reverse proxy in front keeps one (deploy/nginx).
    for noisy in ("httpx", "telegram", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        runtime = runtime_or_exit(None)
        engine_or_exit(runtime)
        services, background = build_service(runtime)
        run(services, host=host, port=port, background=background)
    except LockBusyError as exc:
        raise fail(str(exc), EXIT_CANNOT_START) from None
    except OSError as exc:
        # Taken between the check and the bind.
        typer.echo(f"错误：{_bind_problem(host, port, exc)}", err=True)
        raise typer.Exit(EXIT_CANNOT_START) from None
    finally:
        listener.stop()  # writes what is still queued first


class _Handover(QueueHandler):
    """Queue a record as it is: the writing thread formats it, once.

    The standard QueueHandler formats each record in the caller's thread (the event loop's, for the line
    logged per message) and the listener's handler formats it again. Our log calls pass strings and
    numbers, which do not change meanwhile; a record with a traceback is still prepared at once, while
    its frames are alive.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return super().prepare(record) if record.exc_info or record.stack_info else record


def _log_from_a_thread() -> QueueListener:
    """Hand log records to a thread that writes them: the event loop never waits on a write to stderr.

    `jxjy serve` logs a line per message it answers; written from the event loop, each write gives the
    interpreter lock away and every request waits until the loop gets it back.
    """
    root = logging.getLogger()
    handlers = list(root.handlers)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    for handler in handlers:
        root.removeHandler(handler)
    root.addHandler(_Handover(records))
    listener = QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()
    return listener
