"""Reminders, missed-installment notices and confirmations: created once per key, sent at most once,
asked of the compliance engine first, waiting for the person's hours, previewed and cancellable."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection

from accounts.services import ledger_post
from arrangements.models import Send
from arrangements.sends import (
    arrangements_sweep,
    reminder_key,
    send_cancel,
    send_deliver,
    sends_create_due,
    sends_upcoming,
)
from arrangements.services import payment_post, plan_create
from compliance.services import hold_place
from contacts.models import ContactAttempt
from contacts.services import address_add, email_add, phone_add
from tests.factories import PatientAccountFactory

pytestmark = pytest.mark.django_db
# Thursday 26 November 2026, 11:00 in Denver (MST).
MORNING = dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def plan(east):
    with time_machine.travel(MORNING - dt.timedelta(days=10), tick=False):
        account = PatientAccountFactory(team=east, status="active", placement_date=dt.date(2026, 6, 1))
        ledger_post(
            account=account, kind="charge", amount="600.00", effective_date=dt.date(2026, 3, 2), actor=None
        )
        address_add(
            person=account.guarantor,
            line1="1 Main St",
            city="Denver",
            state="CO",
            zip_code="80202",
            actor=None,
        )
        account.refresh_from_db()
        plan = plan_create(
            account=account,
            actor=None,
            total="600.00",
            frequency="monthly",
            first_due_date=dt.date(2026, 11, 28),
            count=2,
            today=dt.date(2026, 11, 16),
        )
    return plan


def with_email(plan):
    email_add(person=plan.account.guarantor, address="pat@example.org", actor=None)


def test_a_reminder_goes_once_by_email_however_often_the_sweep_runs(plan):
    with_email(plan)
    with time_machine.travel(MORNING, tick=False):
        first = arrangements_sweep()
        second = arrangements_sweep()
    assert first["sends_created"] == 1  # installment 1 due 11-28, 3 days ahead
    assert second["sends_created"] == 0
    assert len(mail.outbox) == 1
    assert "$300.00" in mail.outbox[0].body
    send = Send.objects.get()
    assert (send.key, send.state, send.channel) == (
        reminder_key(send.installment_id, dt.date(2026, 11, 28)),
        "sent",
        "email",
    )
    attempt = ContactAttempt.objects.get()
    assert (attempt.channel, attempt.disposition, attempt.details["template"]) == (
        "email",
        "sent",
        "reminder",
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_send_send_it_once(plan):
    with_email(plan)
    with time_machine.travel(MORNING, tick=False):
        sends_create_due(today=dt.date(2026, 11, 26))
    send = Send.objects.get()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            with time_machine.travel(MORNING, tick=False):
                results.append(send_deliver(send_id=send.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(mail.outbox) == 1
    assert sorted(results) in (["sending", "sent"], ["sent", "sent"])
    assert ContactAttempt.objects.count() == 1


def test_a_send_the_engine_refuses_is_kept_blocked_with_its_reasons(plan):
    with_email(plan)
    # Received two days before the sweep (its receipt date is the day it is recorded).
    with time_machine.travel(MORNING - dt.timedelta(days=2), tick=False):
        hold_place(account=plan.account, kind="cease", actor=None, medium="written")
    with time_machine.travel(MORNING, tick=False):
        arrangements_sweep()
    send = Send.objects.get()
    assert send.state == "blocked"
    assert "CEASE-01" in [r["rule"] for r in send.reasons]
    assert mail.outbox == []


def test_a_text_due_before_the_persons_hours_waits_for_them(plan, settings, tmp_path):
    outbox = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = f"file:{outbox}"
    phone = phone_add(person=plan.account.guarantor, number="+1 303 555 0100", kind="mobile", actor=None)
    phone.sms_consent, phone.sms_consent_at = True, MORNING - dt.timedelta(days=30)
    phone.save()
    early = dt.datetime(2026, 11, 26, 13, 0, tzinfo=dt.UTC)  # 06:00 in Denver
    with time_machine.travel(early, tick=False):
        arrangements_sweep()
    send = Send.objects.get()
    assert (send.state, send.channel) == ("waiting", "sms")
    assert send.send_after == dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 08:00 MST
    assert not outbox.exists()
    with time_machine.travel(dt.datetime(2026, 11, 26, 15, 1, tzinfo=dt.UTC), tick=False):
        arrangements_sweep()
    send.refresh_from_db()
    assert send.state == "sent"
    [line] = outbox.read_text().splitlines()
    assert json.loads(line)["to"] == "+13035550100"


def test_a_missed_installment_breaks_the_plan_and_is_notified(plan):
    with_email(plan)
    with time_machine.travel(
        dt.datetime(2026, 12, 4, 18, 0, tzinfo=dt.UTC), tick=False
    ):  # due 11-28 + 5 days grace
        result = arrangements_sweep()
    plan.refresh_from_db()
    assert plan.state == "broken"
    assert result["plans_changed"] == 1
    assert Send.objects.filter(kind="missed", state="sent").count() == 1


def test_a_payment_is_confirmed_once(plan):
    with_email(plan)
    with time_machine.travel(MORNING, tick=False):
        payment_post(account=plan.account, amount="300.00", effective_date=dt.date(2026, 11, 26), actor=None)
        arrangements_sweep()
        arrangements_sweep()
    assert Send.objects.filter(kind="confirmation", state="sent").count() == 1
    assert Send.objects.filter(kind="reminder").count() == 0  # the installment was paid before its reminder


def test_no_email_phone_or_address_is_recorded_not_dropped(east):
    account = PatientAccountFactory(team=east, status="active")
    ledger_post(
        account=account, kind="charge", amount="300.00", effective_date=dt.date(2026, 3, 2), actor=None
    )
    account.refresh_from_db()
    plan_create(
        account=account,
        actor=None,
        total="300.00",
        frequency="monthly",
        first_due_date=dt.date(2026, 11, 28),
        count=1,
        today=dt.date(2026, 11, 16),
    )
    with time_machine.travel(MORNING, tick=False):
        arrangements_sweep()
    assert Send.objects.get().state == "no_channel"


def test_the_next_seven_days_are_previewed_with_their_cause_and_can_be_cancelled(plan):
    with_email(plan)
    upcoming = sends_upcoming(accounts=[plan.account], today=dt.date(2026, 11, 20))
    assert [(u.state, u.cause) for u in upcoming] == [
        ("planned", "installment of $300.00 due 2026-11-28 (goes on 2026-11-25)")
    ]
    send_cancel(key=upcoming[0].key, actor=None)
    with time_machine.travel(MORNING, tick=False):
        arrangements_sweep()
    assert Send.objects.get().state == "cancelled"
    assert mail.outbox == []
    assert Decimal(Send.objects.get().amount) == Decimal("300.00")


def test_the_desk_and_the_workspace_preview_and_cancel_messages(
    client, plan, manager, collector, west_manager
):
    from django.urls import reverse

    with_email(plan)
    with time_machine.travel(dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(west_manager)
        assert plan.account.client_account_number not in client.get(reverse("desk:sends")).content.decode()
        client.force_login(collector)
        assert client.get(reverse("desk:sends")).status_code == 404
        client.force_login(manager)
        page = client.get(reverse("desk:sends")).content.decode()
        assert "installment of $300.00 due 2026-11-28 (goes on 2026-11-25)" in page
        key = reminder_key(plan.installments.get(seq=1).pk, dt.date(2026, 11, 28))
        assert client.post(reverse("desk:sends"), {"key": "reminder:999999:2026-11-28"}).status_code == 404
        client.post(reverse("desk:sends"), {"key": key})
        assert Send.objects.get(key=key).state == "cancelled"
        page = client.get(reverse("workspace:account", args=[plan.account_id])).content.decode()
        assert 'id="upcoming"' in page


def test_a_broken_plan_brings_the_account_back_to_the_top_of_the_queue_until_someone_calls(plan, collector):
    from desk.models import AccountPriority
    from desk.services import queue_rescore

    with time_machine.travel(dt.datetime(2026, 12, 4, 18, 0, tzinfo=dt.UTC), tick=False):
        arrangements_sweep()
        queue_rescore()
    row = AccountPriority.objects.get(account=plan.account)
    assert row.factors["promise_due"] == 800
    with time_machine.travel(dt.datetime(2026, 12, 4, 19, 0, tzinfo=dt.UTC), tick=False):
        phone = phone_add(person=plan.account.guarantor, number="+1 303 555 0100", kind="mobile", actor=None)
        from contacts.services import contact_attempt_log

        contact_attempt_log(
            accounts=[plan.account], channel="call", disposition="no_answer", actor=collector, phone=phone
        )
        queue_rescore()
    row.refresh_from_db()
    assert "promise_due" not in row.factors


def test_an_unkept_promise_breaks_after_the_grace_days(east):
    from arrangements.models import Promise
    from arrangements.services import promise_record

    account = PatientAccountFactory(team=east)
    with time_machine.travel(MORNING, tick=False):
        promise = promise_record(
            account=account, actor=None, amount="50.00", due_date=dt.date(2026, 11, 30), channel="card"
        )
    with time_machine.travel(dt.datetime(2026, 12, 5, 18, 0, tzinfo=dt.UTC), tick=False):
        assert arrangements_sweep()["promises_broken"] == 0  # 11-30 + 5 days grace
    with time_machine.travel(dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.UTC), tick=False):
        assert arrangements_sweep()["promises_broken"] == 1
        assert arrangements_sweep()["promises_broken"] == 0
    promise.refresh_from_db()
    assert promise.state == Promise.State.BROKEN


# Two monthly installments of $300 due 11-28 and 12-28, 5 days of grace, broken after one missed.
@pytest.mark.parametrize(
    ("paid", "day", "expected"),
    [
        ("0", dt.date(2026, 11, 28), ("active", ["open", "open"])),
        ("0", dt.date(2026, 11, 30), ("late", ["open", "open"])),
        ("0", dt.date(2026, 12, 3), ("late", ["open", "open"])),  # 11-28 + 5 days is still grace
        ("0", dt.date(2026, 12, 4), ("broken", ["missed", "open"])),
        ("150.00", dt.date(2026, 12, 4), ("broken", ["missed", "open"])),  # a part is not the installment
        ("300.00", dt.date(2026, 12, 4), ("active", ["paid", "open"])),
        ("300.00", dt.date(2027, 1, 5), ("broken", ["paid", "missed"])),
        ("600.00", dt.date(2027, 1, 5), ("completed", ["paid", "paid"])),
    ],
)
def test_the_sweep_follows_each_plan_by_its_dates(east, paid, day, expected):
    from arrangements.services import plans_follow_dates

    with time_machine.travel(MORNING - dt.timedelta(days=10), tick=False):
        account = PatientAccountFactory(team=east, status="active")
        ledger_post(
            account=account, kind="charge", amount="600.00", effective_date=dt.date(2026, 3, 2), actor=None
        )
        account.refresh_from_db()
        made = plan_create(
            account=account,
            actor=None,
            total="600.00",
            frequency="monthly",
            first_due_date=dt.date(2026, 11, 28),
            count=2,
            today=dt.date(2026, 11, 16),
        )
        if paid != "0":
            payment_post(account=account, amount=paid, effective_date=dt.date(2026, 11, 20), actor=None)
    plans_follow_dates(today=day)
    made.refresh_from_db()
    assert (made.state, list(made.installments.values_list("state", flat=True))) == expected
    account.refresh_from_db()
    assert account.status == ("in_arrangement" if expected[0] in ("active", "late") else "active")


def test_a_message_already_sent_cannot_be_cancelled(plan):
    from django.core.exceptions import ValidationError

    with_email(plan)
    with time_machine.travel(MORNING, tick=False):
        arrangements_sweep()
    send = Send.objects.get()
    assert send.state == "sent"
    with pytest.raises(ValidationError, match="This message is sent: it cannot be cancelled."):
        send_cancel(key=send.key, actor=None)
    send.refresh_from_db()
    assert send.state == "sent"
