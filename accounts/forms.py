from __future__ import annotations

from django import forms

from accounts.models import AccountStatus


class AccountSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=80,
        label="Search",
        help_text="Account id, client account number, or last name[, first name]",
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *AccountStatus.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


class NoteForm(forms.Form):
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
