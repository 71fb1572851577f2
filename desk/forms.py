from __future__ import annotations

from typing import Any

from django import forms

from desk.models import QUEUE_FIELDS, Lease, Queue
from desk.scoring import FACTORS


class SkipForm(forms.Form):
    reason = forms.ChoiceField(choices=Lease.SkipReason.choices, label="Why skip?")
    note = forms.CharField(max_length=200, required=False, label="Note")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reason") == Lease.SkipReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", "Say why you are skipping this account.")
        return data


class WeightsForm(forms.Form):
    """One integer field per factor, labelled with its unit, in the order of desk.scoring.FACTORS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in FACTORS:
            self.fields[f.name] = forms.IntegerField(
                label=f.label, help_text=f.unit, min_value=-10_000, max_value=100_000
            )


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = list(QUEUE_FIELDS)
        labels = {"is_active": "Active (collectors can work it)"}

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_state(self) -> str:
        return (self.cleaned_data.get("state") or "").strip().upper()
