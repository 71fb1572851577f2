from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from arrangements.models import PlanPolicy
from audit.services import audit_record
from collections_desk.lib.money import to_money


class PlanPolicyForm(ModelForm):
    class Meta:
        model = PlanPolicy
        fields = [
            "client",
            "min_installment",
            "max_months",
            "max_settlement_discount_pct",
            "grace_days",
            "broken_after_missed",
            "reminder_days_before",
        ]

    def clean_max_months(self) -> list[list[Any]]:
        """[[up to balance or null, months], …] with rising balances: a typo must not reach the builder."""
        tiers = self.cleaned_data["max_months"] or []
        cleaned, last = [], None
        try:
            for up_to, months in tiers:
                months = int(months)
                if months < 1:
                    raise ValueError
                if up_to is not None:
                    up_to = to_money(str(up_to))
                    if last is not None and up_to <= last:
                        raise ValueError
                    last = up_to
                cleaned.append([str(up_to) if up_to is not None else None, months])
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                'Give tiers as [["500.00", 6], ["2000.00", 12], [null, 24]]: rising balances, '
                "months of 1 or more."
            ) from exc
        return cleaned


@admin.register(PlanPolicy)
class PlanPolicyAdmin(admin.ModelAdmin):
    """Admins set each client's plan policy; every change is audited with what changed."""

    form = PlanPolicyForm
    list_display = [
        "client",
        "min_installment",
        "max_settlement_discount_pct",
        "grace_days",
        "broken_after_missed",
    ]

    def save_model(self, request: Any, obj: PlanPolicy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            action="arrangements.policy.changed",
            actor=request.user,
            data={
                "client_id": obj.client_id,
                "changed": sorted(form.changed_data),
                "policy": {name: str(form.cleaned_data.get(name)) for name in form.changed_data},
            },
        )
