from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from collections_desk.lib.money import DECIMAL_PLACES, MAX_DIGITS


def MoneyField(**kwargs) -> models.DecimalField:  # noqa: N802 - reads like a field class
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


class Client(models.Model):
    """The creditor that placed the accounts: a hospital, physician group or the hospital's own office."""

    class Kind(models.TextChoices):
        AGENCY = "agency", "Agency (third-party collector)"
        FIRST_PARTY = "first_party", "First party (early-out)"

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.AGENCY)
    nonprofit_501r = models.BooleanField(
        "non-profit hospital (501(r))", default=False, help_text="Enables the 501(r) ECA waiting periods."
    )
    credit_reporting_enabled = models.BooleanField(default=False)
    policy_overrides = models.JSONField(
        default=dict, blank=True, help_text="Per-client overrides of compliance and plan parameters."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Facility(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=200)
    npi = models.CharField("NPI", max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)

    class Meta:
        verbose_name_plural = "facilities"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="facility_unique_per_client")]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A guarantor or a patient (often the same person).

    Only the last four digits of the SSN and a keyed hash of the whole number are kept: the last four is
    what right-party verification asks for, the hash lets placements match a person already on file, and
    no breach of this database can reveal a full SSN. Credit reporting (Metro 2) will need the full number;
    that issue adds it encrypted at rest, for the clients that enable reporting only.
    """

    first_name = models.CharField(max_length=60)
    middle_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=60)
    date_of_birth = models.DateField(null=True, blank=True)
    ssn_last4 = models.CharField("SSN (last four)", max_length=4, blank=True)
    ssn_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    preferred_language = models.CharField(max_length=10, default="en")
    deceased_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Search is case-insensitive on the last name (selectors.account_list_for).
        indexes = [models.Index(Upper("last_name"), "first_name", name="person_last_name_ci")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ssn_last4="") | Q(ssn_last4__regex=r"^\d{4}$"), name="ssn_last4_digits"
            ),
        ]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class AccountStatus(models.TextChoices):
    NEW = "new", "New"
    ACTIVE = "active", "Active"
    IN_ARRANGEMENT = "in_arrangement", "In arrangement"
    ON_HOLD = "on_hold", "On hold"
    ESCALATED = "escalated", "Escalated"
    CLOSED_PAID = "closed_paid", "Closed – paid"
    CLOSED_RETURNED = "closed_returned", "Closed – returned to client"
    CLOSED_WRITTEN_OFF = "closed_written_off", "Closed – written off"


class ItemizationDateType(models.TextChoices):
    """The five Reg F reference dates (12 CFR 1006.34(b)(3))."""

    LAST_STATEMENT = "last_statement", "Last statement"
    CHARGE_OFF = "charge_off", "Charge-off"
    LAST_PAYMENT = "last_payment", "Last payment"
    TRANSACTION = "transaction", "Transaction"
    JUDGMENT = "judgment", "Judgment"


class PatientAccount(models.Model):
    """One debt: a client's encounter/account number with its balance and where it stands.

    `status` changes only through `accounts.services.account_status_change`; `balance` only through
    `accounts.services.ledger_post` (it is a cached sum of the ledger, checked by `manage.py ledger_check`).
    """

    class Relationship(models.TextChoices):
        SELF = "self", "Self"
        CHILD = "child", "Child"
        SPOUSE = "spouse", "Spouse"
        OTHER = "other", "Other"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="accounts")
    client_account_number = models.CharField(max_length=40)
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    guarantor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="guaranteed_accounts")
    patient = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="patient_accounts")
    patient_relationship = models.CharField(
        "patient is guarantor's", max_length=10, choices=Relationship.choices, default=Relationship.SELF
    )
    service_date_from = models.DateField()
    service_date_to = models.DateField()
    first_statement_date = models.DateField(null=True, blank=True)
    first_delinquency_date = models.DateField(null=True, blank=True)
    placement_date = models.DateField()
    itemization_date = models.DateField(null=True, blank=True)
    itemization_date_type = models.CharField(max_length=20, choices=ItemizationDateType.choices, blank=True)
    itemization_balance = MoneyField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=AccountStatus.choices, default=AccountStatus.NEW)
    status_changed_at = models.DateTimeField(default=timezone.now)
    team = models.ForeignKey("staff.Team", on_delete=models.PROTECT, related_name="accounts")
    assigned_collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_accounts",
    )
    next_action_at = models.DateTimeField(null=True, blank=True)
    balance = MoneyField(default=Decimal("0.00"), editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "client_account_number"], name="account_number_unique_per_client"
            ),
            models.CheckConstraint(
                condition=Q(service_date_to__gte=models.F("service_date_from")), name="service_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(status__in=AccountStatus.values), name="account_status_valid"),
            models.CheckConstraint(
                condition=Q(itemization_date__isnull=True, itemization_date_type="")
                | Q(itemization_date__isnull=False, itemization_date_type__in=ItemizationDateType.values),
                name="itemization_date_has_type",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status"], name="account_team_status"),
            models.Index(fields=["assigned_collector", "status"], name="account_collector_status"),
            models.Index(fields=["next_action_at"], name="account_next_action"),
            models.Index(fields=["placement_date"], name="account_placement"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}/{self.client_account_number}"

    @property
    def is_closed(self) -> bool:
        return self.status.startswith("closed_")


class LedgerEntry(models.Model):
    """An append-only money movement. `amount` is signed as it moves the balance: charges, interest and
    fees are positive, payments negative, adjustments either way; a reversal negates the entry it reverses.

    A database trigger (migration) refuses UPDATE and DELETE: a correction is a new reversing entry.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        PATIENT_PAYMENT = "patient_payment", "Patient payment"
        INSURANCE_PAYMENT = "insurance_payment", "Insurance payment"
        ADJUSTMENT = "adjustment", "Adjustment"
        INTEREST = "interest", "Interest"
        FEE = "fee", "Fee"
        REVERSAL = "reversal", "Reversal"

    account = models.ForeignKey(PatientAccount, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = MoneyField()
    effective_date = models.DateField()
    posted_at = models.DateTimeField(default=timezone.now)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_ref = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text="Processor/remit reference; unique so a payment posts once.",
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    memo = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["account", "effective_date", "id"], name="ledger_account_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["charge", "interest", "fee"], amount__gt=0)
                | Q(kind__in=["patient_payment", "insurance_payment"], amount__lt=0)
                | (Q(kind__in=["adjustment", "reversal"]) & ~Q(amount=0)),
                name="ledger_amount_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_reversal_names_its_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.effective_date}"


class InsuranceCoverage(models.Model):
    class ClaimStatus(models.TextChoices):
        NOT_BILLED = "not_billed", "Not billed"
        BILLED = "billed", "Billed"
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        DENIED = "denied", "Denied"
        APPEALED = "appealed", "Appealed"

    account = models.ForeignKey(PatientAccount, on_delete=models.PROTECT, related_name="coverages")
    payer_name = models.CharField(max_length=120)
    payer_id = models.CharField(max_length=20, blank=True)
    member_id = models.CharField(max_length=40)
    group_number = models.CharField(max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(default=1, help_text="1 primary, 2 secondary, 3 tertiary")
    claim_status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.BILLED)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["account", "order"], name="coverage_order_unique"),
            models.CheckConstraint(condition=Q(order__gte=1, order__lte=3), name="coverage_order_1_to_3"),
        ]

    def __str__(self) -> str:
        return f"{self.payer_name} #{self.order}"


class Note(models.Model):
    account = models.ForeignKey(PatientAccount, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["account", "-created_at"], name="note_account_time")]

    def __str__(self) -> str:
        return f"Note {self.pk} on account {self.account_id}"
