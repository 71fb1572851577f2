"""Text messages go through a small gateway interface; the backend is a setting (SMS_BACKEND).

The default writes each message to the log (console) or to a file of JSON lines (`file:PATH`), so a demo
or a test can see what would have been sent; a real gateway plugs in as another backend class.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextMessage:
    to: str  # E.164
    body: str
    key: str  # the Send's key: a gateway that supports it gets it as its idempotency key


class ConsoleBackend:
    def send(self, message: TextMessage) -> None:
        # The number and body name a patient's debt: at INFO, never in production logs by default.
        logger.info("SMS %s to %s: %s", message.key, message.to, message.body)


class FileBackend:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def send(self, message: TextMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"at": timezone.now().isoformat(), "to": message.to, "body": message.body, "key": message.key}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


def sms_backend() -> ConsoleBackend | FileBackend:
    configured = getattr(settings, "SMS_BACKEND", "console")
    if configured.startswith("file:"):
        return FileBackend(configured.removeprefix("file:"))
    return ConsoleBackend()
