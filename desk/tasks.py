"""Celery adapters for the desk: ids in, one service call, nothing about patients in the broker."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def queue_rescore(team_id: int | None = None) -> int:
    """Beat: every 15 minutes (CELERY_BEAT_SCHEDULE), and after a weights change (for that team).
    Recomputes the materialized priorities set-based; safe to run twice (it converges)."""
    from desk.services import queue_rescore as rescore

    written = rescore(team_id=team_id)
    logger.info("queue rescore: %d priority rows written (team %s)", written, team_id)
    return written
