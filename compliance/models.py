from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Hold(models.Model):
    """Something that pauses collection on a debt until it is resolved. Recorded here by the desk; the
    compliance engine ([compliance] issue) decides what each kind forbids, on which channel, until when."""

    class Kind(models.TextChoices):
        DISPUTE = "dispute", "Dispute"
        CEASE = "cease", "Cease communication"
        ATTORNEY = "attorney", "Attorney representation"
        BANKRUPTCY = "bankruptcy", "Bankruptcy"
        DECEASED = "deceased", "Deceased"
        INSURANCE_PENDING = "insurance_pending", "Insurance pending"
        FAP_PENDING = "fap_pending", "Financial assistance pending"

    class Medium(models.TextChoices):
        ORAL = "oral", "Oral"
        WRITTEN = "written", "Written"
        ELECTRONIC = "electronic", "Electronic"

    account = models.ForeignKey("accounts.PatientAccount", on_delete=models.PROTECT, related_name="holds")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    medium = models.CharField(max_length=12, choices=Medium.choices, default=Medium.ORAL)
    received_on = models.DateField(default=timezone.localdate)
    details = models.JSONField(
        default=dict, blank=True, help_text="Attorney name/phone, bankruptcy case and chapter, date of death…"
    )
    note = models.TextField(blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            # One open hold of a kind per account: recording the same dispute twice changes nothing.
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(released_at__isnull=True),
                name="hold_one_open_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["account", "released_at"], name="hold_account_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on account {self.account_id}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class AccountNotice(models.Model):
    """A compliance-relevant fact about accounts other than a contact attempt or a hold: what the desk
    sent or furnished, and what the consumer asked for. Append-only. Kinds and their `details`:

    - original_creditor_request: `written`;
    - verification_sent (answers a dispute or an original-creditor request);
    - fap_application: `status` (incomplete | complete | approved | denied), `discount`;
    - eca_notice (the 501(r) 30-day written notice): `deadline` (ISO date), `pls` (the plain-language
      summary went with it);
    - oral_fap_notice (the oral attempt to tell the patient about financial assistance);
    - credit_report (information furnished to a consumer reporting agency).
    """

    class Kind(models.TextChoices):
        ORIGINAL_CREDITOR_REQUEST = "original_creditor_request", "Original creditor requested"
        VERIFICATION_SENT = "verification_sent", "Verification sent"
        FAP_APPLICATION = "fap_application", "Financial-assistance application"
        ECA_NOTICE = "eca_notice", "501(r) notice of extraordinary collection actions"
        ORAL_FAP_NOTICE = "oral_fap_notice", "Financial assistance explained orally"
        CREDIT_REPORT = "credit_report", "Furnished to a credit bureau"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    accounts = models.ManyToManyField("accounts.PatientAccount", related_name="compliance_notices")
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d}"
