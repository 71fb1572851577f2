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
