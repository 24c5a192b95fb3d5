"""A dispatcher process for the crash test: send everything due to a JSON-lines file, then exit 0.

Usage: python -m tests.reminders.crash_worker DATABASE_URL LOG_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.kernel.clock import FixedClock
from ledger.db import make_engine
from reminders.dispatcher import Dispatcher, DispatchLimits
from reminders.gateways import LogSmsGateway
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours
from tests.reminders.support import shanghai
from tests.timezone import SHANGHAI


async def main(url: str, log_file: Path) -> None:
    engine = make_engine(url)
    clock = FixedClock(shanghai("2023-11-20T10:00"))
    quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
    limits = DispatchLimits(batch_size=100, concurrency=20)
    dispatcher = Dispatcher(SqlOutbox(engine), {"sms": LogSmsGateway(log_file)}, clock, quiet, limits)
    dispatcher.start()
    print("started", flush=True)
    await dispatcher.dispatch_due()
    dispatcher.stop()
    engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
