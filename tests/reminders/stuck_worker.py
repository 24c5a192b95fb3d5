"""A dispatcher process that claims messages and then hangs in its gateway, to be killed by a test.

Usage: python -m tests.reminders.stuck_worker DATABASE_URL
Prints ``claimed <owner>`` once its first batch is in ``sending``, then waits forever.
"""

from __future__ import annotations

import asyncio
import sys

from bot.kernel.clock import FixedClock
from ledger.db import make_engine
from reminders.dispatcher import Dispatcher, DispatchLimits
from reminders.gateways import OutboundMessage, SendResult
from reminders.outbox import SqlOutbox
from reminders.policy import QuietHours
from tests.reminders.support import shanghai
from tests.timezone import SHANGHAI


class HangingGateway:
    def __init__(self, owner: list[str]) -> None:
        self.owner = owner
        self.announced = False

    async def send(self, msg: OutboundMessage) -> SendResult:
        if not self.announced:
            self.announced = True
            print("claimed", self.owner[0], flush=True)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def main(url: str) -> None:
    engine = make_engine(url)
    clock = FixedClock(shanghai("2023-11-20T10:00"))
    quiet = QuietHours.parse("21:00", "08:00", SHANGHAI)
    owner: list[str] = []
    gateway = HangingGateway(owner)
    dispatcher = Dispatcher(SqlOutbox(engine), {"sms": gateway}, clock, quiet, DispatchLimits(batch_size=5))
    dispatcher.start()
    owner.append(dispatcher.owner)
    await dispatcher.dispatch_due()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
