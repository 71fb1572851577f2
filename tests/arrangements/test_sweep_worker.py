"""A real Celery worker killed (SIGKILL) in the middle of the daily sweep, then the sweep run again:
no message goes out twice (issue [arrangements], figure 2)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.services import ledger_post
from arrangements.models import Send
from arrangements.sends import arrangements_sweep
from arrangements.services import plan_create
from arrangements.tasks import daily_sweep
from contacts.services import address_add, phone_add
from tests.factories import ClientFactory, PatientAccountFactory
from tests.test_celery_worker import ROOT, database_url

ACCOUNTS = 60
# The sweep runs at the wall clock's hour: this client's window is the whole day so that the texts go
# whatever the hour the suite runs (the window itself is tested elsewhere).
ALL_DAY = {
    "regf.call_window_local.start": "00:00",
    "regf.call_window_local.end": "23:59",
    "regf.call_window_local.exclusive": False,
    "regf.call_window_local.end_buffer_min": 0,
}


def plans_due_in_two_days(east) -> None:
    client = ClientFactory(policy_overrides={"compliance": ALL_DAY})
    today = timezone.localdate()
    for i in range(ACCOUNTS):
        account = PatientAccountFactory(team=east, client=client, status="active")
        ledger_post(
            account=account, kind="charge", amount="200.00", effective_date=dt.date(2026, 3, 2), actor=None
        )
        account.refresh_from_db()
        person = account.guarantor
        address_add(person=person, line1="1 Main St", city="Denver", state="CO", zip_code="80202", actor=None)
        phone = phone_add(person=person, number=f"+1 303 555 {1000 + i:04d}", kind="mobile", actor=None)
        phone.sms_consent, phone.sms_consent_at = True, timezone.now() - dt.timedelta(days=30)
        phone.save()
        plan_create(
            account=account,
            actor=None,
            total="200.00",
            frequency="monthly",
            first_due_date=today + dt.timedelta(days=2),
            count=2,
            today=today,
        )


def texts(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    return [json.loads(line)["key"] for line in outbox.read_text().splitlines() if line.strip()]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_then_the_sweep_again_sends_nothing_twice(east, tmp_path, settings):
    plans_due_in_two_days(east)
    outbox = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = f"file:{outbox}"  # the rerun below, in this process, writes to the same file
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "collections_desk.settings.test",
        "SMS_BACKEND": f"file:{outbox}",
    }
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "collections_desk", "worker", "-Q", queue, "--pool", "solo",
         "-l", "warning", "-n", f"{queue}@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        daily_sweep.apply_async(queue=queue)
        deadline = time.monotonic() + 90
        while len(texts(outbox)) < 5:
            assert worker.poll() is None, worker.stdout.read().decode()
            assert time.monotonic() < deadline, "the worker sent nothing within 90 s"
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)  # mid-sweep: no chance to finish or clean up
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    sent_before = texts(outbox)
    assert len(sent_before) < ACCOUNTS, "the sweep finished before the kill: nothing was interrupted"

    arrangements_sweep()  # the next run (beat would start it the next morning, or an operator now)
    arrangements_sweep()  # and once more, late

    sent = texts(outbox)
    assert [key for key, n in Counter(sent).items() if n > 1] == []  # 0 duplicate sends
    states = Counter(Send.objects.values_list("state", flat=True))
    # Every reminder went, except at most the one the killed worker had claimed: it stays "sending"
    # (never sent again) for someone to check against the gateway.
    assert states["sent"] + states["sending"] == ACCOUNTS
    assert states["sending"] <= 1
    assert len(set(sent)) >= ACCOUNTS - 1
