from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from desk.services import queue_rescore


class Command(BaseCommand):
    help = "Recompute every account's queue priority (set-based, in chunks of account ids)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--team", type=int, default=None, help="only this team's accounts")
        parser.add_argument("--chunk-size", type=int, default=50_000)

    def handle(self, *args, team: int | None, chunk_size: int, **options) -> None:
        started = time.monotonic()
        written = queue_rescore(team_id=team, chunk_size=chunk_size)
        self.stdout.write(f"Rescored: {written} priority rows written in {time.monotonic() - started:.1f} s")
