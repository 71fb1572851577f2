"""A real Celery worker, on the real broker, against the test database: what beat schedules is delivered
and runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import PatientAccount
from accounts.services import ledger_post
from accounts.tasks import ledger_check
from audit.models import AuditEvent
from tests.factories import PatientAccountFactory

ROOT = Path(__file__).resolve().parents[1]


def test_the_nightly_ledger_check_is_scheduled():
    assert settings.CELERY_BEAT_SCHEDULE["ledger-check-nightly"]["task"] == ledger_check.name


@pytest.mark.django_db
def test_calling_the_ledger_check_records_its_outcome(east):
    account = PatientAccountFactory(team=east)
    ledger_post(
        account=account, kind="charge", amount="80.00", effective_date=account.placement_date, actor=None
    )
    assert ledger_check() == 0
    PatientAccount.objects.filter(pk=account.pk).update(balance=Decimal("8.00"))
    assert ledger_check() == 1
    outcomes = list(
        AuditEvent.objects.filter(action="accounts.ledger.checked")
        .order_by("id")
        .values_list("data", flat=True)
    )
    assert outcomes == [{"mismatches": 0, "account_ids": []}, {"mismatches": 1, "account_ids": [account.pk]}]


def database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}@{host}{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_ledger_check_sent_through_redis(east):
    account = PatientAccountFactory(team=east)
    PatientAccount.objects.filter(pk=account.pk).update(balance=Decimal("12.34"))  # no ledger behind it
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a queue of our own: no other worker on this Redis can take it
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "collections_desk.settings.test",
    }
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "collections_desk",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "1",
            "--pool",
            "solo",
            "-l",
            "warning",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        ledger_check.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while not AuditEvent.objects.filter(action="accounts.ledger.checked").exists():
            assert worker.poll() is None, worker.stdout.read().decode()
            assert time.monotonic() < deadline, "the worker did not run the task within 60 s"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(30)

    event = AuditEvent.objects.get(action="accounts.ledger.checked")
    assert event.data == {"mismatches": 1, "account_ids": [account.pk]}
