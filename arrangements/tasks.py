"""Celery adapters for arrangements: each calls one service and logs counts and ids only."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def daily_sweep() -> dict:
    """Beat, every morning (CELERY_BEAT_SCHEDULE): late and broken plans, reminders, missed-installment
    notices and confirmations, sent where the compliance engine allows. Safe late or twice."""
    from arrangements.sends import arrangements_sweep

    result = arrangements_sweep()
    logger.info("arrangements sweep: %s", result)
    return result


@shared_task
def deliver_due_sends() -> dict:
    """Beat, every 15 minutes: the sends that were waiting for the person's hours."""
    from arrangements.sends import sends_deliver_due

    return sends_deliver_due()
