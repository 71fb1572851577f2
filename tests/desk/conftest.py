from __future__ import annotations

import pytest
from django.db import transaction

from desk import tasks


@pytest.fixture
def rescore_inline(monkeypatch):
    """Run the rescore a weights change enqueues on commit in this process (no broker), and record it."""
    calls = []

    def run(**kwargs):
        def later():
            calls.append(kwargs)
            tasks.queue_rescore(**kwargs)

        transaction.on_commit(later)

    monkeypatch.setattr(tasks.queue_rescore, "delay_on_commit", run)
    return calls
