"""Workspace forms: parse and validate input only. Times a collector types are in the person's local
time and are converted to aware UTC here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from accounts.models import PatientAccount
from arrangements.models import Frequency
from compliance.models import Hold
from contacts.models import ContactAttempt, ContactStatus, Disposition, Phone

CHANNEL_POINT = {"call": "phone", "text": "phone", "email": "email", "letter": "address", "visit": "address"}


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the person's zone (set by the form), never the server's."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.zone: str | None = None
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        for fmt in self.input_formats:
            try:
                naive = datetime.strptime(str(value).strip(), fmt)  # noqa: DTZ007 - made aware just below
                break
            except ValueError:
                continue
        else:
            raise ValidationError("Enter a date and time.", code="invalid")
        if not self.zone:
            raise ValidationError("The person's time zone is unknown: add an address first.", code="zone")
        return naive.replace(tzinfo=ZoneInfo(self.zone)).astimezone(timezone.UTC)


class WorkspaceForm(forms.Form):
    """A form of the workspace: `{{ form }}` renders its fields in one call of the Jinja2 form renderer
    (workspace/jinja2/workspace/fields.html): a label and the widget per field, the field's errors under
    it, `wide_fields` across the whole row. One markup for the page's thirteen forms, and ~10% less
    time than a Django-template loop over the same fields (4.3 against 4.8 ms for ten forms)."""

    template_name = "workspace/fields.html"
    wide_fields: tuple[str, ...] = ()
    # True for a form whose empty markup depends on its class alone (no choices, initial values or
    # attributes made per account or per day): printed once per process and language, then reused.
    # Thirteen forms were a fifth of the workspace's server time (bench/README.md, seventh pass).
    fixed_markup: ClassVar[bool] = False

    def render(
        self, template_name: str | None = None, context: Any = None, renderer: Any = None
    ) -> SafeString:
        if not self.fixed_markup or self.is_bound or self.initial or template_name or context or renderer:
            return super().render(template_name, context, renderer)
        key = (type(self), self.prefix, self.auto_id, translation.get_language())
        markup = _FIXED_MARKUP.get(key)
        if markup is None:
            markup = _FIXED_MARKUP[key] = super().render()
        return markup

    # RenderableMixin binds these to its own render.
    __str__ = render
    __html__ = render


_FIXED_MARKUP: dict[tuple[Any, ...], SafeString] = {}


def _contact_point_choices(phones, addresses, emails) -> list[tuple[str, str]]:
    choices = [
        (f"phone:{p.pk}", f"{p.number.as_national} ({p.get_kind_display()}, {p.get_status_display()})")
        for p in phones
    ]
    choices += [(f"address:{a.pk}", f"{a.line1}, {a.city} {a.state}") for a in addresses]
    choices += [(f"email:{e.pk}", e.address) for e in emails]
    return choices


class AttemptForm(WorkspaceForm):
    prefix = "attempt"  # several forms share the page: ids must stay unique
    wide_fields = ("note", "accounts")
    channel = forms.ChoiceField(choices=ContactAttempt.Channel.choices, initial="call")
    direction = forms.ChoiceField(choices=ContactAttempt.Direction.choices, initial="outbound")
    contact_point = forms.ChoiceField(label="Contact point")
    accounts = forms.TypedMultipleChoiceField(
        coerce=int, label="Accounts concerned", widget=forms.CheckboxSelectMultiple
    )
    disposition = forms.ChoiceField(choices=Disposition.choices)
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    callback_at = LocalDateTimeField(required=False, label="Callback (person's local time)")

    def __init__(
        self,
        *args: Any,
        account: PatientAccount,
        accounts: list[PatientAccount],
        phones,
        addresses,
        emails,
        zone: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.points = (
            {f"phone:{p.pk}": p for p in phones}
            | {f"address:{a.pk}": a for a in addresses}
            | {f"email:{e.pk}": e for e in emails}
        )
        self.fields["contact_point"].choices = _contact_point_choices(phones, addresses, emails)
        self.fields["accounts"].choices = [
            (a.pk, f"{a.client_account_number} · {a.client.code}") for a in accounts
        ]
        self.fields["accounts"].initial = [account.pk]
        self.fields["callback_at"].zone = zone
        self.account_objects = {a.pk: a for a in accounts}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        channel, key = data.get("channel"), data.get("contact_point")
        if channel and key and not key.startswith(CHANNEL_POINT[channel] + ":"):
            self.add_error("contact_point", f"A {channel} needs a {CHANNEL_POINT[channel]}.")
        callback = data.get("callback_at")
        if callback and callback <= timezone.now():
            self.add_error("callback_at", "Choose a callback time in the future.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        point = self.points[data["contact_point"]]
        kind = data["contact_point"].split(":")[0]
        return {
            "accounts": [self.account_objects[pk] for pk in data["accounts"]],
            "channel": data["channel"],
            "direction": data["direction"],
            "disposition": data["disposition"],
            "note": data["note"],
            kind: point,
        }


class VerifyForm(WorkspaceForm):
    prefix = "rpv"  # several forms share the page: ids must stay unique
    fixed_markup = True
    date_of_birth = forms.CharField(required=False, max_length=20, label="Date of birth")
    ssn_last4 = forms.CharField(required=False, max_length=4, label="SSN, last four")
    zip_code = forms.CharField(required=False, max_length=10, label="ZIP code")
    street_number = forms.CharField(required=False, max_length=10, label="Street number")


class CallbackForm(WorkspaceForm):
    prefix = "callback"  # several forms share the page: ids must stay unique
    at = LocalDateTimeField(label="Call back at (person's local time)")
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, zone: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].zone = zone


class PhoneForm(WorkspaceForm):
    prefix = "phone"  # several forms share the page: ids must stay unique
    fixed_markup = True
    number = forms.CharField(max_length=30, label="Phone number")
    kind = forms.ChoiceField(choices=Phone.Kind.choices)


class EmailForm(WorkspaceForm):
    prefix = "email"  # several forms share the page: ids must stay unique
    fixed_markup = True
    address = forms.CharField(max_length=254, label="Email address")  # the service validates it


class AddressForm(WorkspaceForm):
    prefix = "address"  # several forms share the page: ids must stay unique
    fixed_markup = True
    line1 = forms.CharField(max_length=120, label="Street")
    line2 = forms.CharField(max_length=120, required=False, label="Apt / suite")
    city = forms.CharField(max_length=80)
    state = forms.CharField(max_length=2)
    zip_code = forms.CharField(max_length=10, label="ZIP")


class HoldForm(WorkspaceForm):
    prefix = "hold"  # several forms share the page: ids must stay unique
    fixed_markup = True
    wide_fields = ("note",)
    kind = forms.ChoiceField(choices=Hold.Kind.choices)
    medium = forms.ChoiceField(choices=Hold.Medium.choices, initial="oral")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    attorney_name = forms.CharField(required=False, max_length=120)
    attorney_phone = forms.CharField(required=False, max_length=30)
    bankruptcy_case = forms.CharField(required=False, max_length=40)
    bankruptcy_chapter = forms.ChoiceField(
        required=False, choices=[("", "—"), ("7", "7"), ("11", "11"), ("13", "13")]
    )
    date_of_death = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind == "attorney" and not data.get("attorney_name"):
            self.add_error("attorney_name", "Name the attorney (and their phone if given).")
        if kind == "bankruptcy" and not data.get("bankruptcy_case"):
            self.add_error("bankruptcy_case", "Enter the case number.")
        return data

    def details(self) -> dict[str, str]:
        data = self.cleaned_data
        keys = {
            "attorney": ["attorney_name", "attorney_phone"],
            "bankruptcy": ["bankruptcy_case", "bankruptcy_chapter"],
            "deceased": ["date_of_death"],
        }.get(data["kind"], [])
        return {k: str(data[k]) for k in keys if data.get(k)}


class PhoneStatusForm(forms.Form):
    prefix = "phone-status"  # several forms share the page: ids must stay unique
    status = forms.ChoiceField(choices=ContactStatus.choices)


class HoldReleaseForm(forms.Form):
    prefix = "release"  # several forms share the page: ids must stay unique
    reason = forms.CharField(max_length=200, error_messages={"required": "Say why the hold is released."})


WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class PreferenceForm(WorkspaceForm):
    """What the person said about being contacted (the compliance engine then respects it). Times are the
    person's local time."""

    prefix = "pref"  # several forms share the page: ids must stay unique
    wide_fields = ("weekdays",)
    kind = forms.ChoiceField(
        choices=[
            ("inconvenient", "Inconvenient time (or place)"),
            ("medium_optout", "Do not contact by…"),
            ("consent", "Asked to be called at a given time"),
            ("tcpa_revocation", "Refused automated calls and texts"),
            ("reassigned_number", "Number now belongs to someone else"),
        ]
    )
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Days"
    )
    start = forms.TimeField(required=False, label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(required=False, label="Until", widget=forms.TimeInput(attrs={"type": "time"}))
    at_work = forms.BooleanField(required=False, label="Only at work")
    day = forms.DateField(required=False, label="On", widget=forms.DateInput(attrs={"type": "date"}))
    medium = forms.ChoiceField(
        required=False,
        choices=[
            ("", "—"),
            ("phone", "Phone calls"),
            ("text", "Texts"),
            ("email", "Email"),
            ("letter", "Letters"),
        ],
    )
    phone = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Phone")
    written = forms.BooleanField(required=False, label="In writing")

    def __init__(self, *args: Any, phones: list[Phone] = (), zone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.phones = {p.pk: p for p in phones}
        self.fields["phone"].choices = [("", "—")] + [(p.pk, p.number.as_national) for p in phones]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind == "inconvenient" and not (data.get("weekdays") or data.get("start") or data.get("at_work")):
            self.add_error("weekdays", "Say which days or hours (or that work is the inconvenient place).")
        if kind == "inconvenient" and bool(data.get("start")) != bool(data.get("end")):
            self.add_error("end", "Give both the start and the end of the inconvenient hours.")
        if kind == "medium_optout" and not (data.get("medium") or data.get("phone")):
            self.add_error("medium", "Choose the medium (or the number) not to use.")
        if kind in ("tcpa_revocation", "reassigned_number") and not data.get("phone"):
            self.add_error("phone", "Choose the number.")
        if kind == "consent":
            if not (data.get("day") and data.get("start") and data.get("end")):
                self.add_error("day", "Give the day and the hours the person asked to be called.")
            elif data["end"] <= data["start"]:
                self.add_error("end", "The end must be after the start.")
            elif not self.zone:
                self.add_error(None, "The person's time zone is unknown: add an address first.")
        return data

    def record(self) -> dict[str, Any]:
        """The arguments of contact_preference_record."""
        data, kind = self.cleaned_data, self.cleaned_data["kind"]
        details: dict[str, Any] = {}
        if kind == "inconvenient":
            details = {
                "weekdays": sorted(data.get("weekdays") or range(7)),
                "from": data["start"].isoformat(timespec="minutes") if data.get("start") else None,
                "to": data["end"].isoformat(timespec="minutes") if data.get("end") else None,
                "place": "work" if data.get("at_work") else None,
                "written": data.get("written", False),
            }
        elif kind == "medium_optout" and data.get("medium"):
            details = {"medium": data["medium"]}
        elif kind == "consent":
            zone = ZoneInfo(self.zone)
            details = {
                "given_to": "collector",
                "scope": "window",
                "from": datetime.combine(data["day"], data["start"], zone).isoformat(),
                "until": datetime.combine(data["day"], data["end"], zone).isoformat(),
                "written": data.get("written", False),
            }
        return {"kind": kind, "phone": self.phones.get(data.get("phone")), "details": details}


class PlanForm(WorkspaceForm):
    """The plan builder's terms; the schedule is recomputed from them on every change."""

    prefix = "plan"  # several forms share the page: ids must stay unique
    total = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label="Plan total")
    down_payment = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.00"), initial=Decimal("0.00"), required=False
    )
    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.MONTHLY)
    first_due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="First due")
    count = forms.IntegerField(min_value=1, max_value=120, label="Installments")

    def terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "total": data["total"],
            "down_payment": data.get("down_payment") or Decimal("0.00"),
            "frequency": data["frequency"],
            "first_due_date": data["first_due_date"],
            "count": data["count"],
        }


class PromiseForm(WorkspaceForm):
    prefix = "promise"  # several forms share the page: ids must stay unique
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="By")
    channel = forms.ChoiceField(
        choices=[
            ("card", "Card"),
            ("ach", "Bank transfer"),
            ("check", "Check"),
            ("cash", "Cash"),
            ("other", "Other"),
        ],
        label="Paying by",
    )


class PaymentForm(WorkspaceForm):
    prefix = "payment"  # several forms share the page: ids must stay unique
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    effective_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Paid on")
    reference = forms.CharField(
        max_length=60,
        required=False,
        help_text="The processor's reference: the same one is never posted twice",
    )


class RelatedPartyForm(WorkspaceForm):
    prefix = "party"  # several forms share the page: ids must stay unique
    fixed_markup = True
    first_name = forms.CharField(max_length=60)
    last_name = forms.CharField(max_length=60)
    relation = forms.ChoiceField(
        choices=[
            ("spouse", "Spouse"),
            ("parent", "Parent of a minor"),
            ("guardian", "Legal guardian"),
            ("executor", "Executor or administrator of the estate"),
            ("successor", "Successor in interest"),
            ("attorney", "The consumer's attorney"),
            ("relative", "Other relative (third party)"),
            ("employer", "Employer (third party)"),
            ("other", "Other third party"),
        ]
    )
    phone = forms.CharField(max_length=30, required=False, label="Their phone")


class NoticeForm(WorkspaceForm):
    """What the account's file must know: a request received, a notice given."""

    prefix = "notice"  # several forms share the page: ids must stay unique
    fixed_markup = True
    kind = forms.ChoiceField(
        choices=[
            ("original_creditor_request", "Original creditor requested"),
            ("verification_sent", "Verification sent"),
            ("fap_application", "Financial-assistance application"),
            ("oral_fap_notice", "Financial assistance explained orally"),
            ("eca_notice", "501(r) notice of extraordinary collection actions sent"),
        ]
    )
    fap_status = forms.ChoiceField(
        required=False,
        label="Application",
        choices=[
            ("", "—"),
            ("incomplete", "Incomplete"),
            ("complete", "Complete"),
            ("approved", "Approved"),
            ("denied", "Denied"),
        ],
    )
    deadline = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Deadline in the notice"
    )
    with_summary = forms.BooleanField(required=False, label="Plain-language summary enclosed")
    written = forms.BooleanField(required=False, label="In writing")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == "fap_application" and not data.get("fap_status"):
            self.add_error("fap_status", "Say where the application stands.")
        if data.get("kind") == "eca_notice" and not data.get("deadline"):
            self.add_error("deadline", "Give the deadline the notice states.")
        return data

    def details(self) -> dict[str, Any]:
        data, kind = self.cleaned_data, self.cleaned_data["kind"]
        if kind == "original_creditor_request":
            return {"written": data.get("written", False)}
        if kind == "fap_application":
            return {"status": data["fap_status"], "discount": None}
        if kind == "eca_notice":
            return {"deadline": data["deadline"].isoformat(), "pls": data.get("with_summary", False)}
        return {}


class ReasonForm(forms.Form):
    """The reason of a small button form (cancel a plan): the service says when one is needed."""

    reason = forms.CharField(max_length=300, required=False)
