"""Automated sends of the arrangements: reminders before installments fall due, notices of missed
installments, payment confirmations; and the daily sweep that finds them and breaks plans.

Exactly-once is kept by the database, not by hope:

* every send is a row with a unique key ("reminder:<installment>:<due date>", "confirmation:<entry>"),
  created with ON CONFLICT DO NOTHING, so a sweep run twice, late, or by two workers creates it once;
* a send goes out only after its row moves from pending/waiting to "sending" in one conditional UPDATE
  committed before the message leaves, so of two workers only one sends it, and a worker killed after
  that point leaves it "sending", never sent again (at most once; `sends_stuck` lists them for a look);
* the compliance engine is asked just before: a refusal is recorded (blocked, with the engine's
  reasons), never dropped; a message due outside the person's hours waits for them (waiting, with the
  time it may go).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import LedgerEntry, PatientAccount
from arrangements.models import Installment, PaymentPlan, PlanPolicy, Send
from arrangements.services import IN_FORCE, plan_evaluate, promises_follow_dates
from arrangements.sms import TextMessage, sms_backend
from audit.services import audit_record
from collections_desk.lib.money import format_money
from compliance.selectors import action_decision
from contacts.models import ContactStatus
from contacts.services import contact_attempt_log

# A refusal by these rules only means "not at this hour": the send waits for the engine's next time.
WAIT_RULES = frozenset({"TIME-01", "TIME-02", "TIME-03"})
DEFAULT_REMINDER_DAYS = PlanPolicy._meta.get_field("reminder_days_before").default
STUCK_AFTER = dt.timedelta(minutes=30)


def reminder_key(installment_id: int, due_date: dt.date) -> str:
    return f"reminder:{installment_id}:{due_date.isoformat()}"


def missed_key(installment_id: int, due_date: dt.date) -> str:
    return f"missed:{installment_id}:{due_date.isoformat()}"


def confirmation_key(entry_id: int) -> str:
    return f"confirmation:{entry_id}"


# --- finding what to send ------------------------------------------------------------------------------


def sends_create_due(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Create the send rows that are due by `today`: reminders (each client's reminder days before an
    open installment of a plan in force), notices of missed installments, confirmations of payments of
    the last two days. Returns the rows created (existing keys are left alone)."""
    now = now or timezone.now()
    horizon = today + dt.timedelta(days=max(_reminder_days().values(), default=DEFAULT_REMINDER_DAYS))
    rows: list[Send] = []
    days_by_client = _reminder_days()
    for inst in (
        Installment.objects.filter(state=Installment.State.OPEN, plan__state__in=IN_FORCE)
        .filter(due_date__gte=today, due_date__lte=horizon)
        .select_related("plan__account")
    ):
        account = inst.plan.account
        days = days_by_client.get(account.client_id, DEFAULT_REMINDER_DAYS)
        if inst.due_date - dt.timedelta(days=days) <= today:
            rows.append(
                Send(
                    key=reminder_key(inst.pk, inst.due_date),
                    kind=Send.Kind.REMINDER,
                    account=account,
                    installment=inst,
                    due_date=inst.due_date,
                    amount=inst.remaining,
                    send_after=now,
                )
            )
    for inst in Installment.objects.filter(state=Installment.State.MISSED).select_related("plan__account"):
        rows.append(
            Send(
                key=missed_key(inst.pk, inst.due_date),
                kind=Send.Kind.MISSED,
                account=inst.plan.account,
                installment=inst,
                due_date=inst.due_date,
                amount=inst.remaining,
                send_after=now,
            )
        )
    since = now - dt.timedelta(days=2)
    for entry in LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.PATIENT_PAYMENT, posted_at__gte=since, reversed_by__isnull=True
    ).select_related("account"):
        rows.append(
            Send(
                key=confirmation_key(entry.pk),
                kind=Send.Kind.CONFIRMATION,
                account=entry.account,
                entry=entry,
                amount=-entry.amount,
                send_after=now,
            )
        )
    before = Send.objects.count()
    Send.objects.bulk_create(rows, ignore_conflicts=True)  # ON CONFLICT (key) DO NOTHING
    return Send.objects.count() - before


def _reminder_days() -> dict[int, int]:
    return dict(PlanPolicy.objects.values_list("client_id", "reminder_days_before"))


def plans_follow_dates(*, today: dt.date) -> int:
    """Late and broken plans (plan_evaluate) for every plan in force with an unpaid installment past due."""
    ids = (
        Installment.objects.filter(plan__state__in=IN_FORCE, due_date__lt=today)
        .exclude(state=Installment.State.PAID)
        .values_list("plan_id", flat=True)
        .distinct()
    )
    changed = 0
    for plan_id in ids:
        before = PaymentPlan.objects.values_list("state", flat=True).get(pk=plan_id)
        changed += plan_evaluate(plan_id=plan_id, today=today).state != before
    return changed


# --- sending -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    channel: str
    phone: Any = None
    email: Any = None
    address: Any = None


def _route(account: PatientAccount) -> Route | None:
    """Email if the guarantor has one that is not bad; else a text to a mobile number they agreed to
    receive texts on; else a letter to their primary address."""
    person = account.guarantor
    email = person.emails.exclude(status=ContactStatus.BAD).order_by("id").first()
    if email is not None:
        return Route(Send.Channel.EMAIL, email=email)
    phone = person.phones.filter(kind="mobile", sms_consent=True).exclude(status=ContactStatus.BAD).first()
    if phone is not None:
        return Route(Send.Channel.SMS, phone=phone)
    address = person.addresses.filter(is_primary=True).first()
    if address is not None:
        return Route(Send.Channel.LETTER, address=address)
    return None


def _text(send: Send) -> tuple[str, str]:
    amount = format_money(send.amount or Decimal("0"))
    number = send.account.client_account_number
    if send.kind == Send.Kind.REMINDER:
        return (
            "Payment reminder",
            f"Your payment of {amount} on account {number} is due {send.due_date:%b %d}.",
        )
    if send.kind == Send.Kind.MISSED:
        return "Missed payment", f"We did not receive {amount} due {send.due_date:%b %d} on account {number}."
    return "Payment received", f"Thank you: we received {amount} on account {number}."


def send_deliver(*, send_id: int, now: dt.datetime | None = None) -> str:
    """Send one due send now, if the compliance engine allows it. Returns its new state."""
    now = now or timezone.now()
    send = Send.objects.select_related("account__guarantor", "account__client").get(pk=send_id)
    if send.state not in (Send.State.PENDING, Send.State.WAITING) or send.send_after > now:
        return send.state
    route = _route(send.account)
    if route is None:
        _settle(send, Send.State.NO_CHANNEL, now)
        return Send.State.NO_CHANNEL
    kind = {"email": "email", "sms": "text", "letter": "letter"}[route.channel]
    decision = action_decision(
        account=send.account,
        kind=kind,
        now=now,
        phone_pk=getattr(route.phone, "pk", None),
        email_pk=getattr(route.email, "pk", None),
        template="reminder" if send.kind != Send.Kind.CONFIRMATION else "payment_confirmation",
        automated=route.channel == Send.Channel.SMS,
    )
    reasons = [{"rule": r.rule_id, "message": r.message} for r in decision.reasons if not r.is_warning]
    if not decision.allowed:
        if set(decision.blocking) <= WAIT_RULES and decision.next_allowed is not None:
            _settle(
                send,
                Send.State.WAITING,
                now,
                channel=route.channel,
                reasons=reasons,
                send_after=decision.next_allowed,
            )
            return Send.State.WAITING
        _settle(send, Send.State.BLOCKED, now, channel=route.channel, reasons=reasons)
        return Send.State.BLOCKED
    # Claim it: of two workers only one moves it to "sending"; committed before the message leaves.
    claimed = Send.objects.filter(pk=send.pk, state__in=[Send.State.PENDING, Send.State.WAITING]).update(
        state=Send.State.SENDING, channel=route.channel, updated_at=now
    )
    if not claimed:
        return Send.objects.values_list("state", flat=True).get(pk=send.pk)
    subject, body = _text(send)
    if route.channel == Send.Channel.EMAIL:
        EmailMessage(subject=subject, body=body, to=[route.email.address]).send()
    elif route.channel == Send.Channel.SMS:
        sms_backend().send(TextMessage(to=str(route.phone.number), body=body, key=send.key))
    # A letter is a request the letters capability will print; until then it shows as pending.
    state = Send.State.LETTER_REQUESTED if route.channel == Send.Channel.LETTER else Send.State.SENT
    with transaction.atomic():
        contact_attempt_log(
            accounts=[send.account],
            channel={"email": "email", "sms": "text", "letter": "letter"}[route.channel],
            disposition="sent",
            actor=None,
            phone=route.phone,
            email=route.email,
            address=route.address,
            occurred_at=now,
            details={"automated": route.channel == Send.Channel.SMS, "template": send.kind},
        )
        _settle(send, state, now, channel=route.channel, sent=True)
    return state


def _settle(
    send: Send,
    state: str,
    now: dt.datetime,
    *,
    channel: str = "",
    reasons: list[dict[str, str]] | None = None,
    send_after: dt.datetime | None = None,
    sent: bool = False,
) -> None:
    fields: dict[str, Any] = {"state": state, "updated_at": now}
    if channel:
        fields["channel"] = channel
    if reasons is not None:
        fields["reasons"] = reasons
    if send_after is not None:
        fields["send_after"] = send_after
    if sent:
        fields["sent_at"] = now
    Send.objects.filter(pk=send.pk).update(**fields)
    audit_record(
        action="arrangements.send.settled",
        actor=None,
        account_id=send.account_id,
        data={
            "send_id": send.pk,
            "kind": send.kind,
            "state": state,
            "rules": [r["rule"] for r in reasons or []],
            "summary": f"{send.get_kind_display()}: {Send.State(state).label.lower()}",
        },
    )


def sends_deliver_due(*, now: dt.datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Every pending or waiting send whose time has come."""
    now = now or timezone.now()
    ids = Send.objects.filter(
        state__in=[Send.State.PENDING, Send.State.WAITING], send_after__lte=now
    ).order_by("id")
    counts: dict[str, int] = {}
    for send_id in ids.values_list("pk", flat=True)[:limit] if limit else ids.values_list("pk", flat=True):
        state = send_deliver(send_id=send_id, now=now)
        counts[state] = counts.get(state, 0) + 1
    return counts


def arrangements_sweep(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The daily job: late and broken plans, then the sends that are due, then sending them. Safe to run
    late or twice (each step looks at dates and keys, not at what the last run did)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    changed = plans_follow_dates(today=today)
    broken_promises = promises_follow_dates(today=today)
    created = sends_create_due(today=today, now=now)
    return {
        "plans_changed": changed,
        "promises_broken": broken_promises,
        "sends_created": created,
        "delivered": sends_deliver_due(now=now),
    }


def sends_stuck(*, now: dt.datetime | None = None) -> list[Send]:
    """Sends a worker claimed and never finished (it died between claiming and recording): not resent,
    listed for a person to check with the gateway."""
    now = now or timezone.now()
    return list(Send.objects.filter(state=Send.State.SENDING, updated_at__lt=now - STUCK_AFTER))


# --- preview and cancellation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Upcoming:
    key: str
    kind: str
    account_id: int
    account_number: str
    due_date: dt.date | None
    amount: Decimal | None
    state: str  # a Send state, or "planned" for a reminder the sweep will create
    cause: str
    reasons: tuple[str, ...] = ()


def sends_upcoming(
    *, accounts: Iterable[PatientAccount] | None = None, today: dt.date, days: int = 7
) -> list[Upcoming]:
    """What will be sent in the next `days` days, each with its cause: sends already made and not yet
    sent, and the reminders the sweep will create for installments falling due (cancellable ahead)."""
    end = today + dt.timedelta(days=days)
    reminder_days = _reminder_days()
    # A queryset stays a subquery (a manager's whole desk), a list becomes ids (one account).
    account_filter = Q() if accounts is None else Q(account__in=accounts)
    rows: dict[str, Upcoming] = {}
    for send in (
        Send.objects.filter(account_filter)
        .filter(state__in=[Send.State.PENDING, Send.State.WAITING, Send.State.BLOCKED, Send.State.CANCELLED])
        .filter(Q(due_date__isnull=True) | Q(due_date__lte=end + dt.timedelta(days=30)))
        .select_related("account")
    ):
        rows[send.key] = Upcoming(
            send.key,
            send.kind,
            send.account_id,
            send.account.client_account_number,
            send.due_date,
            send.amount,
            send.state,
            _cause(send.kind, send.due_date, send.amount),
            tuple(r["rule"] for r in send.reasons),
        )
    plan_filter = Q() if accounts is None else Q(plan__account__in=accounts)
    reach = end + dt.timedelta(days=max(reminder_days.values(), default=DEFAULT_REMINDER_DAYS))
    planned = []
    for inst in (
        Installment.objects.filter(plan_filter)
        .filter(
            state=Installment.State.OPEN, plan__state__in=IN_FORCE, due_date__gte=today, due_date__lte=reach
        )
        .select_related("plan__account")
    ):
        account = inst.plan.account
        send_day = inst.due_date - dt.timedelta(
            days=reminder_days.get(account.client_id, DEFAULT_REMINDER_DAYS)
        )
        if today <= send_day <= end:
            planned.append((reminder_key(inst.pk, inst.due_date), inst, account, send_day))
    made = set(Send.objects.filter(key__in=[key for key, *_ in planned]).values_list("key", flat=True))
    for key, inst, account, send_day in planned:
        if key in rows or key in made:
            continue
        rows[key] = Upcoming(
            key,
            Send.Kind.REMINDER,
            account.pk,
            account.client_account_number,
            inst.due_date,
            inst.remaining,
            "planned",
            _cause(Send.Kind.REMINDER, inst.due_date, inst.remaining) + f" (goes on {send_day:%Y-%m-%d})",
        )
    return sorted(rows.values(), key=lambda u: (u.due_date or today, u.key))


def _cause(kind: str, due: dt.date | None, amount: Decimal | None) -> str:
    money = format_money(amount) if amount is not None else ""
    if kind == Send.Kind.REMINDER:
        return f"installment of {money} due {due:%Y-%m-%d}"
    if kind == Send.Kind.MISSED:
        return f"installment of {money} due {due:%Y-%m-%d} missed"
    return f"payment of {money} received"


@transaction.atomic
def send_cancel(*, key: str, actor: Any) -> Send:
    """Cancel a send before it goes (a planned reminder too: its row is made, cancelled, so the sweep
    leaves it alone). Sent ones cannot be cancelled."""
    send = Send.objects.select_for_update().filter(key=key).first()
    if send is None:
        kind, installment_id, due = key.split(":")
        if kind != Send.Kind.REMINDER:
            raise ValueError("Only planned reminders can be cancelled before they exist.")
        inst = Installment.objects.select_related("plan__account").get(pk=int(installment_id))
        send = Send.objects.create(
            key=key,
            kind=kind,
            account=inst.plan.account,
            installment=inst,
            due_date=dt.date.fromisoformat(due),
            amount=inst.remaining,
            state=Send.State.CANCELLED,
            cancelled_by=actor,
        )
    elif send.state in (Send.State.PENDING, Send.State.WAITING, Send.State.BLOCKED):
        send.state, send.cancelled_by, send.updated_at = Send.State.CANCELLED, actor, timezone.now()
        send.save(update_fields=["state", "cancelled_by", "updated_at"])
    else:
        raise ValueError(f"This message is {send.get_state_display().lower()}: it cannot be cancelled.")
    audit_record(
        action="arrangements.send.cancelled",
        actor=actor,
        account_id=send.account_id,
        data={"send_id": send.pk, "key": send.key, "summary": f"{send.get_kind_display()} cancelled"},
    )
    return send
