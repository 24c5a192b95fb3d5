"""Optional backend: parse with a running Rasa server's ``POST /model/parse`` instead of in-process."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from nlu.interpreter import FALLBACK, OUT_OF_SCOPE, Interpreter, ParseResult

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """The Rasa server did not answer; the message says where and why."""


class RasaHttpInterpreter:
    """Send each message to ``{url}/model/parse`` and return Rasa's result, fallback applied as ours."""

    def __init__(self, url: str, *, threshold: float = 0.45, timeout: float = 5.0) -> None:
        self._endpoint = url.rstrip("/") + "/model/parse"
        self.threshold = threshold
        self._timeout = timeout

    def parse(self, text: str) -> ParseResult:
        body = json.dumps({"text": text}).encode()
        request = urllib.request.Request(
            self._endpoint, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                result: dict[str, Any] = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise RasaUnavailable(f"Rasa server at {self._endpoint} did not answer: {exc}") from exc
        intent = result.get("intent") or {"name": FALLBACK, "confidence": 0.0}
        if intent.get("name") in (None, OUT_OF_SCOPE) or float(intent.get("confidence", 0)) < self.threshold:
            intent = {
                "name": FALLBACK,
                "confidence": max(self.threshold, float(intent.get("confidence") or 0)),
            }
        return {
            "text": text,
            "intent": intent,
            "entities": result.get("entities", []),
            "intent_ranking": result.get("intent_ranking", [intent]),
        }


class FailoverInterpreter:
    """Parse with ``primary`` (a Rasa server); when it does not answer, with ``backup`` (built on first need)."""

    def __init__(self, primary: RasaHttpInterpreter, backup: Callable[[], Interpreter]) -> None:
        self._primary = primary
        self._backup_factory = backup
        self._backup: Interpreter | None = None
        self._lock = threading.Lock()  # conversations are parsed in parallel threads: build the backup once

    def parse(self, text: str) -> ParseResult:
        try:
            return self._primary.parse(text)
        except RasaUnavailable as exc:
            log.warning("%s; answering with the in-process engine", exc)
            with self._lock:
                if self._backup is None:
                    self._backup = self._backup_factory()
                backup = self._backup
            return backup.parse(text)
