"""Promises to pay, payment plans and their installments, and each client's plan policy.

Money is Decimal in NUMERIC(12,2). A plan's installments always sum to its total (a database check on each
installment's share cannot see the others, so `arrangements.schedule.split` guarantees it and a test checks
every plan the services write). Payments are ledger entries (accounts.LedgerEntry); an installment only
records how much of them it has received, and a reversal takes it back.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import MoneyField


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class PlanPolicy(models.Model):
    """What a collector may agree to without a manager, per client (admins edit it). `max_months` is by
    balance tier: [[up to balance, months], …], the last tier covering everything above."""

    client = models.OneToOneField("accounts.Client", on_delete=models.CASCADE, related_name="plan_policy")
    min_installment = MoneyField(default=Decimal("25.00"))
    max_months = models.JSONField(
        default=list,
        blank=True,
        help_text='Longest plan by balance: [["500.00", 6], ["2000.00", 12], [null, 24]]',
    )
    max_settlement_discount_pct = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("20.00")
    )
    grace_days = models.PositiveSmallIntegerField(
        default=5, help_text="Days after a due date before it is missed"
    )
    broken_after_missed = models.PositiveSmallIntegerField(
        default=1, help_text="Missed installments (past grace) that break the plan"
    )
    reminder_days_before = models.PositiveSmallIntegerField(default=3)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "plan policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_installment__gt=0), name="policy_min_installment_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_settlement_discount_pct__gte=0, max_settlement_discount_pct__lt=100),
                name="policy_discount_in_range",
            ),
            models.CheckConstraint(
                condition=Q(broken_after_missed__gte=1), name="policy_broken_after_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return f"Plan policy of {self.client}"


class Promise(models.Model):
    """A one-off commitment to pay an amount by a date (DESIGN.md glossary: PTP)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        KEPT = "kept", "Kept"
        BROKEN = "broken", "Broken"
        CANCELLED = "cancelled", "Cancelled"

    account = models.ForeignKey("accounts.PatientAccount", on_delete=models.PROTECT, related_name="promises")
    amount = MoneyField()
    due_date = models.DateField()
    channel = models.CharField(
        max_length=20, help_text="How the guarantor said they will pay (card, check, …)"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive")]
        indexes = [models.Index(fields=["state", "due_date"], name="promise_state_due")]

    def __str__(self) -> str:
        return f"Promise of {self.amount} by {self.due_date}"


class PaymentPlan(models.Model):
    """A schedule of installments agreed with the guarantor for one account."""

    class State(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", "Waiting for a manager"
        DENIED = "denied", "Denied"
        ACTIVE = "active", "Active"
        LATE = "late", "Late (within grace)"
        BROKEN = "broken", "Broken"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    account = models.ForeignKey("accounts.PatientAccount", on_delete=models.PROTECT, related_name="plans")
    total = MoneyField()
    down_payment = MoneyField(default=Decimal("0.00"))
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    first_due_date = models.DateField()
    installment_count = models.PositiveSmallIntegerField()
    settlement_discount_pct = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    state = models.CharField(max_length=20, choices=State.choices)
    # Why a manager must approve it (policy rules it exceeds), and the manager's answer.
    outside_policy = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True)
    broken_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_total_positive"),
            models.CheckConstraint(
                condition=Q(down_payment__gte=0, down_payment__lt=F("total")),
                name="plan_down_payment_in_range",
            ),
            models.CheckConstraint(condition=Q(installment_count__gte=1), name="plan_has_installments"),
            # One plan in force per account: a new one needs the old one cancelled, broken or completed.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(state__in=["pending_approval", "active", "late"]),
                name="plan_one_in_force_per_account",
            ),
        ]
        indexes = [models.Index(fields=["state"], name="plan_state")]

    def __str__(self) -> str:
        return f"Plan {self.pk} ({self.get_state_display()}) on account {self.account_id}"


class Installment(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="installments")
    seq = models.PositiveSmallIntegerField(help_text="0 is the down payment, if any")
    due_date = models.DateField()
    amount = MoneyField()
    paid = MoneyField(default=Decimal("0.00"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)

    class Meta:
        ordering = ["plan", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="installment_seq_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="installment_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=F("amount")), name="installment_paid_in_range"
            ),
        ]
        indexes = [models.Index(fields=["state", "due_date"], name="installment_state_due")]

    def __str__(self) -> str:
        return f"Installment {self.seq} of plan {self.plan_id}: {self.amount} due {self.due_date}"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.paid


class Allocation(models.Model):
    """How much of a payment (a ledger entry) went to an installment, so a reversal takes back exactly
    what that payment paid. Append-only: a reversal writes negative allocations."""

    entry = models.ForeignKey("accounts.LedgerEntry", on_delete=models.PROTECT, related_name="allocations")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="allocations")
    amount = MoneyField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="allocation_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} of entry {self.entry_id} to installment {self.installment_id}"


class Send(models.Model):
    """One automated message the desk sends (or decided not to), keyed so that a retried or duplicated
    task can never send it twice: the database refuses a second row with the same key (installment, kind
    and due date; or the payment it confirms). A send the compliance engine refuses is kept, blocked,
    with the engine's reasons; one that must wait for the person's hours waits with the time it may go."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder of an installment"
        MISSED = "missed", "Missed installment"
        CONFIRMATION = "confirmation", "Payment confirmation"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        LETTER = "letter", "Letter"

    class State(models.TextChoices):
        PENDING = "pending", "To send"
        WAITING = "waiting", "Waiting for an allowed time"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        LETTER_REQUESTED = "letter_requested", "Letter requested (not yet printed)"
        BLOCKED = "blocked", "Blocked by compliance"
        CANCELLED = "cancelled", "Cancelled"
        NO_CHANNEL = "no_channel", "No way to reach the person"

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    account = models.ForeignKey("accounts.PatientAccount", on_delete=models.PROTECT, related_name="sends")
    installment = models.ForeignKey(
        Installment, null=True, blank=True, on_delete=models.PROTECT, related_name="sends"
    )
    entry = models.ForeignKey(
        "accounts.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    amount = MoneyField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    send_after = models.DateTimeField(default=timezone.now)
    reasons = models.JSONField(
        default=list, blank=True, help_text="The compliance engine's rule ids and messages"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["send_after"], condition=Q(state__in=["pending", "waiting"]), name="send_due"
            ),
            models.Index(fields=["account", "-created_at"], name="send_account_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()}) {self.key}"
