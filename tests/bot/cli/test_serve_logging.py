"""`jxjy serve` hands log records to a writing thread, which formats each once."""

from __future__ import annotations

import logging
import queue
import sys

from bot.cli.serve import _Handover


def test_a_plain_record_is_queued_as_it_is_and_formatted_by_the_writer() -> None:
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = _Handover(records)
    record = logging.LogRecord("bot.channels.sms", logging.INFO, __file__, 1, "sms %s: %s", ("a", 3), None)
    handler.emit(record)
    queued = records.get_nowait()
    assert queued is record and queued.args == ("a", 3)
    assert logging.Formatter("%(message)s").format(queued) == "sms a: 3"


def test_a_record_with_a_traceback_is_prepared_at_once() -> None:
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = _Handover(records)
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("now",), sys.exc_info())
    handler.emit(record)
    queued = records.get_nowait()
    assert queued is not record and queued.exc_info is None
    assert "failed now" in queued.getMessage() and "ValueError: boom" in queued.getMessage()
