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

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import PatientAccount
from arrangements.models import Installment, PlanPolicy, Send
from arrangements.services import IN_FORCE, plans_follow_dates, promises_follow_dates
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


# The send rows due by `today`, made in one statement each, set-based: the sweep must keep pace with
# hundreds of thousands of plans (bench/arrangements_sweep.py). ON CONFLICT on the key: made once.
_SENDS_SQL = {
    "reminder": """
INSERT INTO arrangements_send (key, kind, account_id, installment_id, entry_id, due_date, amount, channel,
                               state, send_after, reasons, created_at, updated_at)
SELECT 'reminder:' || i.id || ':' || i.due_date, 'reminder', p.account_id, i.id, NULL, i.due_date,
       i.amount - i.paid, '', 'pending', %(now)s, '[]'::jsonb, %(now)s, %(now)s
  FROM arrangements_installment i
  JOIN arrangements_paymentplan p ON p.id = i.plan_id AND p.state IN ('active', 'late')
  JOIN accounts_patientaccount a ON a.id = p.account_id
  LEFT JOIN arrangements_planpolicy pp ON pp.client_id = a.client_id
 WHERE i.state = 'open' AND i.due_date >= %(today)s
   AND i.due_date <= %(today)s + coalesce(pp.reminder_days_before, %(reminder_days)s)
ON CONFLICT (key) DO NOTHING
""",
    "missed": """
INSERT INTO arrangements_send (key, kind, account_id, installment_id, entry_id, due_date, amount, channel,
                               state, send_after, reasons, created_at, updated_at)
SELECT 'missed:' || i.id || ':' || i.due_date, 'missed', p.account_id, i.id, NULL, i.due_date,
       i.amount - i.paid, '', 'pending', %(now)s, '[]'::jsonb, %(now)s, %(now)s
  FROM arrangements_installment i
  JOIN arrangements_paymentplan p ON p.id = i.plan_id
 WHERE i.state = 'missed' AND i.due_date >= %(today)s - 60
ON CONFLICT (key) DO NOTHING
""",
    "confirmation": """
INSERT INTO arrangements_send (key, kind, account_id, installment_id, entry_id, due_date, amount, channel,
                               state, send_after, reasons, created_at, updated_at)
SELECT 'confirmation:' || e.id, 'confirmation', e.account_id, NULL, e.id, NULL, -e.amount, '', 'pending',
       %(now)s, '[]'::jsonb, %(now)s, %(now)s
  FROM accounts_ledgerentry e
 WHERE e.kind = 'patient_payment' AND e.posted_at >= %(now)s - interval '2 days'
   AND NOT EXISTS (SELECT 1 FROM accounts_ledgerentry r WHERE r.reverses_id = e.id)
ON CONFLICT (key) DO NOTHING
""",
}


def sends_create_due(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Create the send rows that are due by `today`: reminders (each client's reminder days before an
    open installment of a plan in force), notices of missed installments (of the last 60 days),
    confirmations of payments of the last two days. Returns the rows created (existing keys are left
    alone)."""
    now = now or timezone.now()
    params = {"today": today, "now": now, "reminder_days": DEFAULT_REMINDER_DAYS}
    created = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in _SENDS_SQL.values():
            cursor.execute(sql, params)
            created += cursor.rowcount
    return created


def _reminder_days() -> dict[int, int]:
    return dict(PlanPolicy.objects.values_list("client_id", "reminder_days_before"))


# --- sending -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    channel: str
    phone: Any = None
    email: Any = None
    address: Any = None


# A send's channel as a contact attempt's (and the compliance engine's action).
_ATTEMPT_CHANNEL = {Send.Channel.EMAIL: "email", Send.Channel.SMS: "text", Send.Channel.LETTER: "letter"}


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
    kind = _ATTEMPT_CHANNEL[route.channel]  # the engine's action is the attempt's channel
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
            channel=_ATTEMPT_CHANNEL[route.channel],
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


def arrangements_sweep(
    *, today: dt.date | None = None, now: dt.datetime | None = None, deliver: bool = True
) -> dict[str, Any]:
    """The daily job: late and broken plans, then the sends that are due, then sending them. Safe to run
    late or twice (each step looks at dates and keys, not at what the last run did)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    changed = plans_follow_dates(today=today, now=now)
    broken_promises = promises_follow_dates(today=today)
    created = sends_create_due(today=today, now=now)
    delivered = sends_deliver_due(now=now) if deliver else {}
    return {
        "plans_changed": changed,
        "promises_broken": broken_promises,
        "sends_created": created,
        "delivered": delivered,
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
        .filter(
            state__in=[
                Send.State.PENDING,
                Send.State.WAITING,
                Send.State.BLOCKED,
                Send.State.CANCELLED,
                Send.State.LETTER_REQUESTED,  # until the letters capability prints it
            ]
        )
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
            raise ValidationError("Only planned reminders can be cancelled before they exist.", code="kind")
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
        raise ValidationError(
            "This message is %(state)s: it cannot be cancelled.",
            code="state",
            params={"state": send.get_state_display().lower()},
        )
    audit_record(
        action="arrangements.send.cancelled",
        actor=actor,
        account_id=send.account_id,
        data={"send_id": send.pk, "key": send.key, "summary": f"{send.get_kind_display()} cancelled"},
    )
    return send
