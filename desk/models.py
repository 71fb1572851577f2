from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import AccountStatus, MoneyField

# Accounts a collector works from a queue. on_hold and closed_* are paused or finished; escalated
# accounts wait for a manager's decision in the escalation review, not in a collector's queue.
WORKABLE_STATUSES = (AccountStatus.NEW, AccountStatus.ACTIVE, AccountStatus.IN_ARRANGEMENT)


class PriorityWeights(models.Model):
    """Points per factor (see desk/scoring.py for each factor's unit and cap). The row without a team is
    the global default; a team row overrides it for that team's accounts. Negative weights are allowed
    (e.g. to prefer fresh placements)."""

    team = models.OneToOneField(
        "staff.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="priority_weights"
    )
    callback_due = models.IntegerField(default=2000)
    promise_due = models.IntegerField(default=800)
    new_placement = models.IntegerField(default=150)
    balance = models.IntegerField(default=15)
    days_since_placement = models.IntegerField(default=-4)
    days_since_contact = models.IntegerField(default=10)
    attempts_without_rpc = models.IntegerField(default=10)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "priority weights"
        constraints = [
            # One global row: NULLs are not distinct here, so a second team-less row is refused.
            models.UniqueConstraint(fields=["team"], nulls_distinct=False, name="weights_one_per_team"),
        ]

    def __str__(self) -> str:
        return f"Weights for {self.team or 'all teams'}"


class QueueOrder(models.TextChoices):
    """How a saved queue hands out its accounts. Callbacks that are due come first in every order."""

    PRIORITY = "priority", "Priority score, highest first"
    BALANCE = "balance", "Balance, highest first"
    OLDEST = "oldest", "Placement date, oldest first"
    LEAST_RECENT = "least_recent", "Last attempt, longest ago first (never tried first)"


class Queue(models.Model):
    """A saved filter and order over one team's workable accounts. Every collector also has the implicit
    "My queue" (all their teams, no filter, priority order), which is not stored."""

    name = models.CharField(max_length=80)
    team = models.ForeignKey("staff.Team", on_delete=models.CASCADE, related_name="queues")
    client = models.ForeignKey(
        "accounts.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, blank=True, choices=[(s.value, s.label) for s in WORKABLE_STATUSES]
    )
    balance_min = MoneyField(null=True, blank=True)
    balance_max = MoneyField(null=True, blank=True)
    age_min_days = models.PositiveIntegerField("placed at least (days)", null=True, blank=True)
    age_max_days = models.PositiveIntegerField("placed at most (days)", null=True, blank=True)
    state = models.CharField("guarantor's state", max_length=2, blank=True)
    order_by = models.CharField(
        "order", max_length=16, choices=QueueOrder.choices, default=QueueOrder.PRIORITY
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="queue_name_unique_per_team"),
            models.CheckConstraint(
                condition=Q(balance_min__isnull=True)
                | Q(balance_max__isnull=True)
                | Q(balance_max__gte=F("balance_min")),
                name="queue_balance_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(age_min_days__isnull=True)
                | Q(age_max_days__isnull=True)
                | Q(age_max_days__gte=F("age_min_days")),
                name="queue_age_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"


# What a manager may change on a saved queue (desk.services.queue_update, desk.forms.QueueForm).
QUEUE_FIELDS = (
    "name",
    "team",
    "client",
    "status",
    "balance_min",
    "balance_max",
    "age_min_days",
    "age_max_days",
    "state",
    "order_by",
    "is_active",
)


class ReleaseReason(models.TextChoices):
    FINISHED = "finished", "Finished"
    NEXT = "next", "Moved to the next account"
    SKIPPED = "skipped", "Skipped"
    EXPIRED = "expired", "Expired"
    LOGOUT = "logout", "Logged out"
    BROKEN = "broken", "Broken by a manager"


class Lease(models.Model):
    """A collector's time-limited hold on one account, and the history of every hold.

    Two partial unique indexes are the guarantee behind DESIGN.md invariant 2: an account has at most one
    open lease, and a collector holds at most one. An expired lease stays open (released_at NULL) until
    the next claimer of that account closes it, with released_at = expires_at, so the history never shows
    two holds of an account overlapping in time.
    """

    ReleaseReason = ReleaseReason

    class SkipReason(models.TextChoices):
        NO_GOOD_PHONE = "no_good_phone", "No good phone number"
        OUTSIDE_HOURS = "outside_hours", "Outside the guarantor's calling hours"
        NEEDS_MANAGER = "needs_manager", "Needs a manager"
        WAITING_INFO = "waiting_info", "Waiting for information"
        OTHER = "other", "Other"

    account = models.ForeignKey(
        "accounts.PatientAccount", on_delete=models.PROTECT, db_index=False, related_name="+"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False, related_name="leases"
    )
    # No index on the two foreign keys below: each costs every claim two index writes (the lease row is
    # inserted, then rewritten when released), and nothing looks leases up by them; queues are retired,
    # not deleted, and users deactivated.
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, related_name="+"
    )
    claimed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=10, choices=ReleaseReason.choices, blank=True)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(released_at__isnull=True), name="lease_one_open_per_account"
            ),
            models.UniqueConstraint(
                fields=["holder"], condition=Q(released_at__isnull=True), name="lease_one_open_per_holder"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("claimed_at")), name="lease_expires_after_claim"
            ),
            # Open with no reason, or closed with one of the reasons and not before it began. The
            # closed case says "not null" outright: for an open lease `released_at >= claimed_at` is
            # unknown, which a check lets pass, and an open lease with a reason once did.
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, release_reason="")
                | Q(
                    released_at__isnull=False,
                    released_at__gte=F("claimed_at"),
                    release_reason__in=ReleaseReason.values,
                ),
                name="lease_release_has_reason",
            ),
        ]
        indexes = [
            # An account's lease history (the double-claim check reads it). Not one per holder: a
            # holder's open lease is found through lease_one_open_per_holder, nothing reads their past
            # leases in order, and the index cost every claim two more index writes.
            models.Index(fields=["account", "claimed_at"], name="lease_account_time"),
        ]

    def __str__(self) -> str:
        return f"Lease {self.pk} on account {self.account_id}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None and self.expires_at > timezone.now()


class AccountPriority(models.Model):
    """The materialized priority of one account: its score, the points of each factor, and the facts
    queues filter on (copied from the account so a queue reads one table through one index).

    Written only by `desk.services` (the set-based rescore, `account_rescore`, and the lease services for
    `lease`/`held_until`). `lease`/`held_until` mirror the open lease so that the claimer's row lock and
    update make "not held" part of the same SKIP LOCKED pick (see services.lease_claim_next).
    """

    account = models.OneToOneField(
        "accounts.PatientAccount", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey("staff.Team", on_delete=models.CASCADE, db_index=False, related_name="+")
    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, db_index=False, related_name="+")
    status = models.CharField(max_length=20)
    workable = models.BooleanField()
    balance = MoneyField()
    placement_date = models.DateField()
    state = models.CharField(max_length=2, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True)
    # The callback time while it is still in the future at scoring time: such a callback is not in
    # `score` yet, and claim-next finds it through its own small index once it falls due.
    callback_pending_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts_without_rpc = models.IntegerField(default=0)
    score = models.IntegerField()
    factors = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    lease = models.ForeignKey(
        Lease, null=True, blank=True, on_delete=models.SET_NULL, db_index=False, related_name="+"
    )
    held_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "account priorities"
        indexes = [
            # "Highest score among workable accounts of team T": walked in order, held rows filtered.
            models.Index(
                fields=["team", "-score", "account"], condition=Q(workable=True), name="prio_team_score"
            ),
            # Queues spanning several teams (managers, admins) walk the global order instead.
            models.Index(fields=["-score", "account"], condition=Q(workable=True), name="prio_score"),
            # The other orders of saved queues (QueueOrder): claim-next reads the first free row of each,
            # after the callbacks due (next_action_at). The account breaks ties in the index itself, as
            # in the claim's ORDER BY, so its first due row needs no sort: see prio_callback_pending.
            models.Index(
                fields=["next_action_at", "account"],
                condition=Q(next_action_at__isnull=False, workable=True),
                name="prio_next_action",
            ),
            models.Index(
                fields=["team", "-balance", "account"], condition=Q(workable=True), name="prio_team_balance"
            ),
            models.Index(
                fields=["team", "placement_date", "account"],
                condition=Q(workable=True),
                name="prio_team_placed",
            ),
            models.Index(
                F("team"),
                F("last_attempt_at").asc(nulls_first=True),
                F("account"),
                condition=Q(workable=True),
                name="prio_team_last_attempt",
            ),
            # Callbacks fallen due since the last rescore, earliest first, ties by account. With the
            # account in the index, PostgreSQL reckons the claim's generic plan cheaper than a custom one
            # and keeps it after five runs; without it, it re-planned the claim on every run (0.6 ms),
            # unless told otherwise by a statement of its own (bench/README.md, sixth pass).
            models.Index(
                fields=["callback_pending_at", "account"],
                condition=Q(callback_pending_at__isnull=False, workable=True),
                name="prio_callback_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Priority {self.score} of account {self.account_id}"
