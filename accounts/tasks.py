"""Celery adapters for accounts: each loads by id or selects, calls one service, and logs ids only."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def ledger_check() -> int:
    """Beat: nightly (CELERY_BEAT_SCHEDULE). Every cached balance against its ledger; the outcome goes to
    the audit log and, on a mismatch, to the error log with account ids (never patient data)."""
    from accounts.services import ledger_check_record

    mismatches = ledger_check_record()
    if mismatches:
        logger.error(
            "ledger check: %d accounts' balance differs from their ledger; first ids: %s",
            len(mismatches),
            [account_id for account_id, _, _ in mismatches[:20]],
        )
    return len(mismatches)
