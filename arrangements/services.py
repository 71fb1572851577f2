"""Promises, plans and payments: every write, its audit event and the account status that follows.

Bad input raises ValidationError with a message for the collector and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import AccountStatus, LedgerEntry, PatientAccount
from accounts.selectors import accounts_visible_to
from accounts.services import DuplicatePosting, account_status_change, ledger_post, ledger_reverse
from accounts.status import can_transition
from arrangements.models import Allocation, Installment, PaymentPlan, PlanPolicy, Promise
from arrangements.schedule import Policy, Proposal, propose
from audit.services import audit_record
from collections_desk.lib.money import format_money, to_money

IN_FORCE = (PaymentPlan.State.ACTIVE, PaymentPlan.State.LATE)


def policy_for(account: PatientAccount) -> Policy:
    """The client's plan policy (the defaults until an admin sets one)."""
    found = PlanPolicy.objects.filter(client_id=account.client_id).first() or PlanPolicy()
    tiers = tuple(
        (to_money(up_to) if up_to is not None else None, int(months))
        for up_to, months in found.max_months or ()
    )
    return Policy(found.min_installment, tiers, found.max_settlement_discount_pct)


def plan_propose(
    *,
    account: PatientAccount,
    total: Decimal | str,
    frequency: str,
    first_due_date: dt.date,
    count: int,
    down_payment: Decimal | str = Decimal("0.00"),
    today: dt.date | None = None,
) -> Proposal:
    """The schedule the builder shows for these terms, with what lies outside the client's policy."""
    try:
        return propose(
            balance=account.balance,
            total=to_money(total),
            frequency=frequency,
            first_due_date=first_due_date,
            count=count,
            down_payment=to_money(down_payment),
            policy=policy_for(account),
            today=today or timezone.localdate(),
        )
    except ValueError as exc:
        raise ValidationError(str(exc), code="terms") from exc


@transaction.atomic
def plan_create(
    *,
    account: PatientAccount,
    actor: Any,
    total: Decimal | str,
    frequency: str,
    first_due_date: dt.date,
    count: int,
    down_payment: Decimal | str = Decimal("0.00"),
    today: dt.date | None = None,
) -> PaymentPlan:
    """Agree a plan: active at once within policy (the account goes in_arrangement), else waiting for a
    manager's approval. One plan in force per account."""
    account = PatientAccount.objects.select_for_update().get(pk=account.pk)
    proposal = plan_propose(
        account=account,
        total=total,
        frequency=frequency,
        first_due_date=first_due_date,
        count=count,
        down_payment=down_payment,
        today=today,
    )
    if PaymentPlan.objects.filter(
        account=account, state__in=[*IN_FORCE, PaymentPlan.State.PENDING_APPROVAL]
    ).exists():
        raise ValidationError(
            "This account already has a plan in force or waiting for approval.", code="in_force"
        )
    state = PaymentPlan.State.ACTIVE if proposal.within_policy else PaymentPlan.State.PENDING_APPROVAL
    plan = PaymentPlan.objects.create(
        account=account,
        total=proposal.total,
        down_payment=to_money(down_payment),
        frequency=frequency,
        first_due_date=first_due_date,
        installment_count=count,
        settlement_discount_pct=proposal.discount_pct,
        state=state,
        outside_policy=list(proposal.outside_policy),
        created_by=actor,
    )
    Installment.objects.bulk_create(
        Installment(plan=plan, seq=line.seq, due_date=line.due_date, amount=line.amount)
        for line in proposal.lines
    )
    audit_record(
        action="arrangements.plan.created",
        actor=actor,
        account_id=account.pk,
        data={
            "plan_id": plan.pk,
            "state": state,
            "total": str(plan.total),
            "installments": len(proposal.lines),
            "outside_policy": list(proposal.outside_policy),
            "summary": (
                f"Plan of {format_money(plan.total)} in {len(proposal.lines)} payments"
                f" ({plan.get_state_display().lower()})"
            ),
        },
    )
    if state == PaymentPlan.State.ACTIVE:
        _enter_arrangement(account, actor)
    return plan


def _enter_arrangement(account: PatientAccount, actor: Any) -> None:
    if account.status != AccountStatus.IN_ARRANGEMENT and can_transition(
        account.status, AccountStatus.IN_ARRANGEMENT
    ):
        account_status_change(account=account, to=AccountStatus.IN_ARRANGEMENT, actor=actor, reason="plan")


def _leave_arrangement(account: PatientAccount, actor: Any, reason: str) -> None:
    account.refresh_from_db(fields=["status"])
    if account.status == AccountStatus.IN_ARRANGEMENT:
        account_status_change(account=account, to=AccountStatus.ACTIVE, actor=actor, reason=reason)


def _plan_locked(*, plan_id: int, actor: Any) -> PaymentPlan:
    """The plan, locked for the decision about it, if its account is one the actor may see (else 404)."""
    plan = (
        PaymentPlan.objects.select_for_update()
        .filter(pk=plan_id, account__in=accounts_visible_to(actor))
        .select_related("account")
        .first()
    )
    if plan is None:
        raise Http404("No such plan")
    return plan


@transaction.atomic
def plan_decide(*, plan_id: int, actor: Any, approve: bool, reason: str = "") -> PaymentPlan:
    """A manager of the account's team (or an admin) approves or denies a plan outside policy; a denial
    needs a reason. Collectors: PermissionDenied; other teams: 404."""
    if not (getattr(actor, "is_manager_role", False) or getattr(actor, "is_admin_role", False)):
        raise PermissionDenied
    plan = _plan_locked(plan_id=plan_id, actor=actor)
    if plan.state != PaymentPlan.State.PENDING_APPROVAL:
        raise ValidationError("This plan is not waiting for a decision.", code="decided")
    if not approve and not reason.strip():
        raise ValidationError("Say why the plan is denied.", code="reason")
    plan.state = PaymentPlan.State.ACTIVE if approve else PaymentPlan.State.DENIED
    plan.decided_by, plan.decided_at, plan.decision_reason = actor, timezone.now(), reason.strip()
    plan.state_changed_at = plan.decided_at
    plan.save(update_fields=["state", "decided_by", "decided_at", "decision_reason", "state_changed_at"])
    audit_record(
        action=f"arrangements.plan.{'approved' if approve else 'denied'}",
        actor=actor,
        account_id=plan.account_id,
        data={"plan_id": plan.pk, "summary": f"Plan {'approved' if approve else 'denied'} by a manager"},
    )
    if approve:
        _enter_arrangement(plan.account, actor)
    return plan


@transaction.atomic
def promise_record(
    *, account: PatientAccount, actor: Any, amount: Decimal | str, due_date: dt.date, channel: str
) -> Promise:
    amount = to_money(amount)
    if amount <= 0:
        raise ValidationError("Enter a positive amount.", code="amount")
    if due_date < timezone.localdate():
        raise ValidationError("A promise cannot fall due in the past.", code="due_date")
    if not channel.strip():
        raise ValidationError("Say how the payment will be made.", code="channel")
    promise = Promise.objects.create(
        account=account, amount=amount, due_date=due_date, channel=channel.strip(), created_by=actor
    )
    audit_record(
        action="arrangements.promise.recorded",
        actor=actor,
        account_id=account.pk,
        data={
            "promise_id": promise.pk,
            "amount": str(amount),
            "due_date": due_date.isoformat(),
            "summary": f"Promise to pay {format_money(amount)} by {due_date:%Y-%m-%d}",
        },
    )
    return promise


@transaction.atomic
def payment_post(
    *,
    account: PatientAccount,
    amount: Decimal | str,
    effective_date: dt.date,
    actor: Any,
    external_ref: str | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Post a payment to the ledger and apply it to the plan in force, installment by installment in
    order (partial payments leave an installment open); the plan completes when all are paid, and
    pending promises it covers are kept. A reference posted before returns the earlier entry and changes
    nothing (a re-sent file or webhook)."""
    try:
        posting = ledger_post(
            account=account,
            kind=LedgerEntry.Kind.PATIENT_PAYMENT,
            amount=amount,
            effective_date=effective_date,
            actor=actor,
            external_ref=external_ref,
            memo=memo,
        )
    except DuplicatePosting as exc:
        return exc.entry
    entry = posting.entry
    left = -entry.amount  # payments are negative in the ledger
    plan = PaymentPlan.objects.select_for_update().filter(account=account, state__in=IN_FORCE).first()
    if plan is not None:
        for installment in (
            plan.installments.select_for_update().filter(state__in=["open", "missed"]).order_by("seq")
        ):
            if left <= 0:
                break
            applied = min(left, installment.remaining)
            installment.paid += applied
            if installment.paid == installment.amount:
                installment.state = Installment.State.PAID
            installment.save(update_fields=["paid", "state"])
            Allocation.objects.create(entry=entry, installment=installment, amount=applied)
            left -= applied
        _plan_follow_payments(plan, actor)
    _keep_promises(account, actor)
    return entry


def _plan_follow_payments(plan: PaymentPlan, actor: Any) -> None:
    open_left = plan.installments.exclude(state=Installment.State.PAID).exists()
    if not open_left and plan.state != PaymentPlan.State.COMPLETED:
        _plan_state(plan, PaymentPlan.State.COMPLETED, actor)
        _leave_arrangement(plan.account, actor, "plan completed")
    elif open_left and plan.state == PaymentPlan.State.COMPLETED:
        _plan_state(plan, PaymentPlan.State.ACTIVE, actor)
        _enter_arrangement(plan.account, actor)


def _plan_state(plan: PaymentPlan, state: str, actor: Any, reason: str = "") -> None:
    old = plan.state
    plan.state, plan.state_changed_at = state, timezone.now()
    if state == PaymentPlan.State.BROKEN:
        plan.broken_reason = reason
    plan.save(update_fields=["state", "state_changed_at", "broken_reason"])
    audit_record(
        action="arrangements.plan.state_changed",
        actor=actor,
        account_id=plan.account_id,
        data={
            "plan_id": plan.pk,
            "from": old,
            "to": state,
            "summary": f"Plan {plan.get_state_display().lower()}",
        },
    )


def _keep_promises(account: PatientAccount, actor: Any) -> None:
    """A pending promise is kept once the payments since it was made reach its amount."""
    for promise in Promise.objects.select_for_update().filter(account=account, state=Promise.State.PENDING):
        paid = -sum(
            account.ledger_entries.filter(
                kind=LedgerEntry.Kind.PATIENT_PAYMENT,
                posted_at__gte=promise.created_at,
                reversed_by__isnull=True,
            ).values_list("amount", flat=True),
            Decimal("0.00"),
        )
        if paid >= promise.amount:
            promise.state, promise.state_changed_at = Promise.State.KEPT, timezone.now()
            promise.save(update_fields=["state", "state_changed_at"])
            audit_record(
                action="arrangements.promise.kept",
                actor=actor,
                account_id=account.pk,
                data={"promise_id": promise.pk, "summary": "Promise kept"},
            )


@transaction.atomic
def payment_reverse(*, entry: LedgerEntry, actor: Any, memo: str = "") -> LedgerEntry:
    """A returned payment or chargeback: the reversing ledger entry, and every installment it paid
    opens again by what it received (a completed plan becomes active again)."""
    reversal = ledger_reverse(entry=entry, actor=actor, memo=memo).entry
    plans = set()
    for allocation in Allocation.objects.select_related("installment").filter(entry=entry):
        installment = Installment.objects.select_for_update().get(pk=allocation.installment_id)
        installment.paid -= allocation.amount
        installment.state = Installment.State.OPEN
        installment.save(update_fields=["paid", "state"])
        Allocation.objects.create(entry=reversal, installment=installment, amount=-allocation.amount)
        plans.add(installment.plan_id)
    for plan in PaymentPlan.objects.select_for_update().filter(pk__in=plans):
        _plan_follow_payments(plan, actor)
    return reversal


# Late and broken plans by their dates, set-based (the daily sweep over 200k plans; plan_evaluate for
# one): installments past the grace days become missed; a plan with as many missed as its policy allows
# breaks (the account leaves in_arrangement); one with an unpaid installment past due is late, and late
# becomes active again once nothing is past due. Every change is audited in the same statements, in the
# events account_status_change and _plan_state write.
_FOLLOW_SQL = """
WITH missed AS (
    UPDATE arrangements_installment i SET state = 'missed'
      FROM arrangements_paymentplan p
      JOIN accounts_patientaccount a ON a.id = p.account_id
      LEFT JOIN arrangements_planpolicy pp ON pp.client_id = a.client_id
     WHERE i.plan_id = p.id AND p.state IN ('active', 'late') AND i.state = 'open' {plans}
       AND i.due_date + coalesce(pp.grace_days, %(grace)s) < %(today)s
    RETURNING i.plan_id
)
SELECT count(*) FROM missed
"""
_BREAK_SQL = """
WITH counted AS (
    SELECT p.id, p.account_id, p.state AS old_state, count(*) AS n,
           (array_agg(i.seq ORDER BY i.seq))[1] AS seq, (array_agg(i.amount ORDER BY i.seq))[1] AS amount,
           (array_agg(i.due_date ORDER BY i.seq))[1] AS due
      FROM arrangements_paymentplan p
      JOIN arrangements_installment i ON i.plan_id = p.id AND i.state = 'missed'
     WHERE p.state IN ('active', 'late') {plans}
     GROUP BY p.id, p.account_id, p.state
),
broke AS (
    UPDATE arrangements_paymentplan p
       SET state = 'broken', state_changed_at = %(now)s,
           broken_reason = 'installment ' || c.seq || ' of $' || to_char(c.amount, 'FM999,999,990.00')
                           || ' due ' || to_char(c.due, 'YYYY-MM-DD') || ' missed'
      FROM counted c
      JOIN accounts_patientaccount a ON a.id = c.account_id
      LEFT JOIN arrangements_planpolicy pp ON pp.client_id = a.client_id
     WHERE p.id = c.id AND c.n >= coalesce(pp.broken_after_missed, %(broken_after)s)
    RETURNING p.id, p.account_id, c.old_state
),
freed AS (
    UPDATE accounts_patientaccount a SET status = 'active', status_changed_at = %(now)s
      FROM broke b WHERE a.id = b.account_id AND a.status = 'in_arrangement'
    RETURNING a.id
),
audited AS (
    INSERT INTO audit_auditevent (created_at, actor_id, action, account_id, data)
    SELECT %(now)s, NULL::bigint, 'arrangements.plan.state_changed', b.account_id,
           jsonb_build_object('plan_id', b.id, 'from', b.old_state, 'to', 'broken', 'summary', 'Plan broken')
      FROM broke b
    UNION ALL
    SELECT %(now)s, NULL::bigint, 'accounts.status.changed', f.id,
           jsonb_build_object('from', 'in_arrangement', 'to', 'active', 'reason', 'plan broken',
                              'summary', 'in_arrangement → active')
      FROM freed f
    RETURNING 1
)
SELECT (SELECT count(*) FROM broke), (SELECT count(*) FROM audited)
"""
_LATE_SQL = """
WITH due AS (
    SELECT DISTINCT i.plan_id FROM arrangements_installment i
      JOIN arrangements_paymentplan p ON p.id = i.plan_id AND p.state IN ('active', 'late')
     WHERE i.state <> 'paid' AND i.due_date < %(today)s {plans}
),
late AS (
    UPDATE arrangements_paymentplan p SET state = 'late', state_changed_at = %(now)s
      FROM due WHERE p.id = due.plan_id AND p.state = 'active'
    RETURNING p.id, p.account_id, 'active'::text AS old_state, 'late'::text AS new_state
),
back AS (
    UPDATE arrangements_paymentplan p SET state = 'active', state_changed_at = %(now)s
     WHERE p.state = 'late' AND NOT EXISTS (SELECT 1 FROM due WHERE due.plan_id = p.id) {plans}
    RETURNING p.id, p.account_id, 'late'::text AS old_state, 'active'::text AS new_state
),
audited AS (
    INSERT INTO audit_auditevent (created_at, actor_id, action, account_id, data)
    SELECT %(now)s, NULL::bigint, 'arrangements.plan.state_changed', c.account_id,
           jsonb_build_object('plan_id', c.id, 'from', c.old_state, 'to', c.new_state,
                              'summary', CASE c.new_state WHEN 'late' THEN 'Plan late (within grace)'
                                                          ELSE 'Plan active' END)
      FROM (SELECT * FROM late UNION ALL SELECT * FROM back) c
    RETURNING 1
)
SELECT count(*) FROM audited
"""


def plans_follow_dates(
    *, today: dt.date, now: dt.datetime | None = None, plan_ids: list[int] | None = None
) -> int:
    """Late and broken plans by their dates (see _FOLLOW_SQL), for every plan in force or only
    `plan_ids`. Returns how many plans changed state. Safe to run late or twice."""
    params = {
        "today": today,
        "now": now or timezone.now(),
        "grace": PlanPolicy._meta.get_field("grace_days").default,
        "broken_after": PlanPolicy._meta.get_field("broken_after_missed").default,
        "plan_ids": plan_ids,
    }
    only = "AND p.id = ANY(%(plan_ids)s)" if plan_ids is not None else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_FOLLOW_SQL.format(plans=only), params)
        cursor.execute(_BREAK_SQL.format(plans=only), params)
        broken = cursor.fetchone()[0]
        cursor.execute(_LATE_SQL.format(plans=only), params)
        late_or_back = cursor.fetchone()[0]
    return broken + late_or_back


def plan_evaluate(*, plan_id: int, today: dt.date) -> PaymentPlan:
    """One plan's state by the dates (the sweep's rules, for one plan): installments past the grace
    days become missed; the plan is late while one is past due within grace, broken once the policy's
    number are missed (the account leaves in_arrangement), active otherwise."""
    plans_follow_dates(today=today, plan_ids=[plan_id])
    return PaymentPlan.objects.select_related("account").get(pk=plan_id)


@transaction.atomic
def promises_follow_dates(*, today: dt.date, actor: Any = None) -> int:
    """Pending promises past their date and the client's grace days, not kept by then, are broken (the
    queue then brings the account back). Safe to run late or twice. Returns how many broke."""
    broken = 0
    grace = dict(PlanPolicy.objects.values_list("client_id", "grace_days"))
    default_grace = PlanPolicy._meta.get_field("grace_days").default
    for promise in (
        Promise.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(state=Promise.State.PENDING, due_date__lt=today)
    ):
        days = grace.get(promise.account.client_id, default_grace)
        if promise.due_date + dt.timedelta(days=days) >= today:
            continue
        promise.state, promise.state_changed_at = Promise.State.BROKEN, timezone.now()
        promise.save(update_fields=["state", "state_changed_at"])
        audit_record(
            action="arrangements.promise.broken",
            actor=actor,
            account_id=promise.account_id,
            data={"promise_id": promise.pk, "summary": f"Promise of {format_money(promise.amount)} broken"},
        )
        broken += 1
    return broken


@transaction.atomic
def plan_cancel(*, plan_id: int, actor: Any, reason: str) -> PaymentPlan:
    """End a plan before its time (the guarantor asked, a settlement replaced it): its open installments
    are cancelled, nothing more is reminded, the account leaves in_arrangement. A reason is required;
    payments already received stay on the ledger."""
    if not reason.strip():
        raise ValidationError("Say why the plan is cancelled.", code="reason")
    plan = _plan_locked(plan_id=plan_id, actor=actor)
    if plan.state not in (*IN_FORCE, PaymentPlan.State.PENDING_APPROVAL):
        raise ValidationError("Only a plan in force or waiting for approval can be cancelled.", code="state")
    plan.installments.exclude(state=Installment.State.PAID).update(state=Installment.State.CANCELLED)
    plan.decision_reason = reason.strip()[:300]
    plan.save(update_fields=["decision_reason"])
    _plan_state(plan, PaymentPlan.State.CANCELLED, actor)
    _leave_arrangement(plan.account, actor, "plan cancelled")
    return plan
