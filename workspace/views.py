"""The account workspace. Each action is a small POST that calls one service; with htmx it returns its
own fragment and announces `account-changed` so the other panels refresh themselves; without JavaScript it
redirects back to the page (POST/redirect/GET). Invalid input re-renders the form with its errors and
changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.forms import NoteForm
from accounts.models import PatientAccount
from accounts.selectors import account_contact_points, account_get_for_user, account_ledger, account_timeline
from arrangements.models import PaymentPlan, Promise
from arrangements.sends import send_cancel, sends_upcoming
from arrangements.services import payment_post, plan_cancel, plan_create, plan_propose, promise_record
from audit.services import audit_record_view
from collections_desk.lib.http import AuthedRequest
from compliance.models import AccountNotice, Hold
from compliance.selectors import CallDecision, phone_call_decisions
from compliance.services import hold_place, hold_release, notice_record
from contacts.models import ContactPreference, Phone, RelatedParty
from contacts.services import (
    address_add,
    callback_schedule,
    contact_attempt_log,
    contact_preference_record,
    email_add,
    phone_add,
    phone_status_change,
    related_party_add,
    rpv_current,
    rpv_verify,
)
from desk.services import account_rescore
from workspace.forms import (
    AddressForm,
    AttemptForm,
    CallbackForm,
    EmailForm,
    HoldForm,
    HoldReleaseForm,
    NoticeForm,
    PaymentForm,
    PhoneForm,
    PhoneStatusForm,
    PlanForm,
    PreferenceForm,
    PromiseForm,
    ReasonForm,
    RelatedPartyForm,
    VerifyForm,
)
from workspace.selectors import (
    account_with_guarantor_accounts,
    guarantor_accounts,
    person_zone,
    phone_local_times,
)

PAGE = "workspace/account.html"
NOT_VERIFIED = (
    "Not verified: fewer than two identifiers matched. Disclose nothing; ask again or end the call."
)
PANELS = {
    "header",
    "money",
    "contact-points",
    "holds",
    "preferences",
    "records",
    "arrangements",
    "accounts",
    "verify-form",
    "timeline",
}


def _people(
    request: AuthedRequest, account: PatientAccount, accounts: list[PatientAccount] | None = None
) -> dict[str, Any]:
    """What the forms need: the guarantor's accounts this user may see (`accounts` if read already),
    contact points, local zone."""
    if accounts is None:
        accounts = guarantor_accounts(user=request.user, account=account)
    points = account_contact_points(account=account)
    zone = person_zone(person=account.guarantor, addresses=points["addresses"], phones=points["phones"])
    return {
        "accounts": accounts,
        **points,
        "zone": zone,
        "zone_name": zone.zones[0] if zone.known else None,
    }


def _context(
    request: AuthedRequest,
    account: PatientAccount,
    accounts: list[PatientAccount] | None = None,
    **forms: Form,
) -> dict[str, Any]:
    user = request.user
    people = _people(request, account, accounts)
    points = {key: people[key] for key in ("phones", "addresses", "emails")}
    accounts, zone = people["accounts"], people["zone"]
    rpv = rpv_current(person=account.guarantor, actor=user)
    form_kwargs = {"account": account, "accounts": accounts, **points, "zone": people["zone_name"]}
    # The compliance engine's answer for each phone: a number is offered to dial only when calling it is
    # allowed now; otherwise the page says which rule stops it and until when.
    calls = SimpleLazyObject(lambda: phone_call_decisions(account=account))
    # Each HTMX panel renders one part of this page: the reads are lazy, so a panel costs its own reads
    # only (an action refreshes every panel of the page at once).
    return {
        "account": account,
        "accounts": accounts,
        **points,
        "zone": zone,
        "phone_rows": SimpleLazyObject(lambda: phone_local_times(points["phones"], calls)),
        "call": SimpleLazyObject(lambda: _best_call(points["phones"], calls)),
        "coverages": SimpleLazyObject(lambda: list(account.coverages.all())),
        "ledger": SimpleLazyObject(lambda: account_ledger(account=account)),
        "timeline": SimpleLazyObject(lambda: account_timeline(account=account)),
        "timeline_url": reverse("workspace:panel", args=[account.pk, "timeline"]),
        "holds": SimpleLazyObject(lambda: _open_holds(accounts)),
        "rpv": rpv,
        # Collectors are the ones on the phone: balances and services stay hidden until the right party is
        # verified. Managers and admins review accounts, they do not talk to callers from this page.
        "disclosed": rpv is not None or user.role != "collector",
        "attempt_form": forms.get("attempt_form") or AttemptForm(**form_kwargs),
        "verify_form": forms.get("verify_form") or VerifyForm(),
        "callback_form": forms.get("callback_form") or CallbackForm(zone=form_kwargs["zone"]),
        "phone_form": forms.get("phone_form") or PhoneForm(),
        "address_form": forms.get("address_form") or AddressForm(),
        "email_form": forms.get("email_form") or EmailForm(),
        "hold_form": forms.get("hold_form") or HoldForm(),
        "pref_form": forms.get("pref_form")
        or PreferenceForm(phones=points["phones"], zone=people["zone_name"]),
        "preferences": SimpleLazyObject(
            lambda: list(
                ContactPreference.objects.filter(person_id=account.guarantor_id)
                .select_related("phone")
                .order_by("-occurred_at", "-pk")[:20]
            )
        ),
        **_arrangements(account, forms),
        "party_form": forms.get("party_form") or RelatedPartyForm(),
        "notice_form": forms.get("notice_form") or NoticeForm(),
        "parties": SimpleLazyObject(
            lambda: list(
                RelatedParty.objects.filter(consumer_id=account.guarantor_id).select_related("person")
            )
        ),
        "notices": SimpleLazyObject(
            lambda: list(AccountNotice.objects.filter(accounts=account).order_by("-occurred_at", "-pk")[:10])
        ),
        "note_form": NoteForm(),
    }


def _open_holds(accounts: list[PatientAccount]) -> list[Hold]:
    """The open holds on the guarantor's accounts, each with its account from `accounts` (already read:
    a join for it cost twice the read itself)."""
    by_id = {a.pk: a for a in accounts}
    holds = list(Hold.objects.filter(account_id__in=by_id, released_at__isnull=True).order_by("placed_at"))
    for hold in holds:
        hold.account = by_id[hold.account_id]
    return holds


def _arrangements(account: PatientAccount, forms: dict[str, Form]) -> dict[str, Any]:
    """The plan in force (or waiting for approval) with its installments, pending promises, and the forms."""
    today = timezone.localdate()
    return {
        "plan": SimpleLazyObject(
            lambda: (
                PaymentPlan.objects.filter(account=account)
                .exclude(state__in=["denied", "cancelled"])
                .order_by("-created_at")
                .prefetch_related("installments")
                .first()
            )
        ),
        "promises": SimpleLazyObject(
            lambda: list(Promise.objects.filter(account=account, state="pending").order_by("due_date"))
        ),
        "upcoming": SimpleLazyObject(lambda: sends_upcoming(accounts=[account], today=today)),
        "plan_form": forms.get("plan_form")
        or PlanForm(
            initial={
                "total": account.balance,
                "first_due_date": today + dt.timedelta(days=14),
                "count": 6,
                "frequency": "monthly",
            }
        ),
        "promise_form": forms.get("promise_form")
        or PromiseForm(initial={"due_date": today + dt.timedelta(days=7)}),
        "payment_form": forms.get("payment_form") or PaymentForm(initial={"effective_date": today}),
    }


def _best_call(phones: list[Any], calls: dict[int, CallDecision]) -> CallDecision | None:
    """The decision for the phone a collector would dial first (phones come good first, bad last)."""
    for phone in phones:
        if phone.status != "bad" and phone.pk in calls:
            return calls[phone.pk]
    return None


def _rescore(accounts: list[PatientAccount]) -> None:
    # The queue must see an attempt, a callback or a hold at once, not at the next periodic rescore.
    for account in accounts:
        account_rescore(account_id=account.pk)


def _act(
    request: AuthedRequest,
    account: PatientAccount,
    *,
    form: Form,
    form_name: str,
    partial: str,
    action: Callable[[], Any],
    errors_on_panel: bool = False,
) -> HttpResponse:
    """Run `action` if the form is valid. On an error the panel is rendered with the form and its errors;
    with `errors_on_panel`, the posted form is a small button form (release a hold, mark a phone) whose errors
    are shown at the top of the panel instead."""
    if form.is_valid():
        try:
            action()
        except ValidationError as exc:
            form.add_error(None, exc)
    if form.is_valid():
        if not request.htmx:
            return redirect("workspace:account", account.pk)
        response = render(request, f"{PAGE}#{partial}", _context(request, account))
        return trigger_client_event(response, "account-changed")
    context = _context(request, account, **({} if errors_on_panel else {form_name: form}))
    if errors_on_panel:
        context["panel_error"] = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.htmx:
        return render(request, f"{PAGE}#{partial}", context)
    audit_record_view(actor=request.user, action="accounts.account.viewed", account_ids=[account.pk])
    return render(request, PAGE, context)


@require_GET
@login_required
def account_workspace(request: AuthedRequest, account_id: int) -> HttpResponse:
    # The page only reads: the guarantor's accounts come with the account, in one query. (An action
    # reads them after it has changed them, so the views that post keep the two reads.)
    account, accounts = account_with_guarantor_accounts(user=request.user, account_id=account_id)
    audit_record_view(actor=request.user, action="accounts.account.viewed", account_ids=[account.pk])
    return render(request, PAGE, _context(request, account, accounts))


@require_GET
@login_required
def panel(request: AuthedRequest, account_id: int, name: str) -> HttpResponse:
    if name not in PANELS:
        raise Http404("No such panel")
    account, accounts = account_with_guarantor_accounts(user=request.user, account_id=account_id)
    audit_record_view(
        actor=request.user, action="accounts.account.viewed", account_ids=[account.pk], data={"via": name}
    )
    return render(request, f"{PAGE}#{name}", _context(request, account, accounts))


@require_POST
@login_required
def attempt_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    base = _people(request, account)
    form = AttemptForm(
        request.POST,
        account=account,
        accounts=base["accounts"],
        phones=base["phones"],
        addresses=base["addresses"],
        emails=base["emails"],
        zone=base["zone_name"],
    )

    def log() -> None:
        kwargs = form.service_kwargs()
        contact_attempt_log(actor=request.user, **kwargs)
        if form.cleaned_data["callback_at"]:
            callback_schedule(
                accounts=kwargs["accounts"], at=form.cleaned_data["callback_at"], actor=request.user
            )
        _rescore(kwargs["accounts"])

    return _act(request, account, form=form, form_name="attempt_form", partial="attempt-form", action=log)


@require_POST
@login_required
def verify(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = VerifyForm(request.POST)
    accounts = guarantor_accounts(user=request.user, account=account)

    def check() -> None:
        result = rpv_verify(
            person=account.guarantor,
            actor=request.user,
            answers=form.cleaned_data,
            account_ids=[a.pk for a in accounts],
        )
        if not result.passed:
            raise ValidationError(NOT_VERIFIED)

    return _act(request, account, form=form, form_name="verify_form", partial="verify-form", action=check)


@require_POST
@login_required
def callback_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    base = _people(request, account)
    form = CallbackForm(request.POST, zone=base["zone_name"])

    def schedule() -> None:
        callback_schedule(
            accounts=[account], at=form.cleaned_data["at"], actor=request.user, note=form.cleaned_data["note"]
        )
        _rescore([account])

    return _act(
        request, account, form=form, form_name="callback_form", partial="callback-form", action=schedule
    )


@require_POST
@login_required
def phone_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = PhoneForm(request.POST)

    def add() -> None:
        phone_add(
            person=account.guarantor,
            number=form.cleaned_data["number"],
            kind=form.cleaned_data["kind"],
            actor=request.user,
            source="consumer",
        )

    return _act(request, account, form=form, form_name="phone_form", partial="contact-points", action=add)


@require_POST
@login_required
def phone_status(request: AuthedRequest, account_id: int, phone_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    try:
        phone = Phone.objects.get(pk=phone_id, person_id=account.guarantor_id)
    except Phone.DoesNotExist:
        raise Http404("No such phone") from None
    form = PhoneStatusForm(request.POST)

    def change() -> None:
        phone_status_change(phone=phone, status=form.cleaned_data["status"], actor=request.user)

    return _act(
        request,
        account,
        form=form,
        form_name="phone_form",
        partial="contact-points",
        action=change,
        errors_on_panel=True,
    )


@require_POST
@login_required
def address_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = AddressForm(request.POST)

    def add() -> None:
        address_add(person=account.guarantor, actor=request.user, source="consumer", **form.cleaned_data)

    return _act(request, account, form=form, form_name="address_form", partial="contact-points", action=add)


@require_POST
@login_required
def email_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = EmailForm(request.POST)

    def add() -> None:
        email_add(
            person=account.guarantor,
            address=form.cleaned_data["address"],
            actor=request.user,
            source="consumer",
        )

    return _act(request, account, form=form, form_name="email_form", partial="contact-points", action=add)


@require_POST
@login_required
def preference_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    people = _people(request, account)
    form = PreferenceForm(request.POST, phones=people["phones"], zone=people["zone_name"])

    def record() -> None:
        contact_preference_record(person=account.guarantor, actor=request.user, **form.record())
        _rescore(people["accounts"])  # the queue's call marks of every account of the guarantor

    return _act(request, account, form=form, form_name="pref_form", partial="preferences", action=record)


@require_POST
@login_required
def plan_preview(request: AuthedRequest, account_id: int) -> HttpResponse:
    """The builder's live schedule (HTMX, on every change of the terms): nothing is written."""
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = PlanForm(request.POST)
    proposal, error = None, ""
    if form.is_valid():
        try:
            proposal = plan_propose(account=account, **form.terms())
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return render(
        request, f"{PAGE}#plan-preview", {"account": account, "proposal": proposal, "preview_error": error}
    )


@require_POST
@login_required
def plan_create_view(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = PlanForm(request.POST)

    def create() -> None:
        plan_create(account=account, actor=request.user, **form.terms())
        _rescore([account])

    return _act(request, account, form=form, form_name="plan_form", partial="arrangements", action=create)


@require_POST
@login_required
def promise_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = PromiseForm(request.POST)

    def record() -> None:
        promise_record(account=account, actor=request.user, **form.cleaned_data)
        _rescore([account])

    return _act(request, account, form=form, form_name="promise_form", partial="arrangements", action=record)


@require_POST
@login_required
def payment_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = PaymentForm(request.POST)

    def post() -> None:
        data = form.cleaned_data
        payment_post(
            account=account,
            amount=data["amount"],
            effective_date=data["effective_date"],
            actor=request.user,
            external_ref=data["reference"].strip() or None,
        )
        _rescore([account])

    return _act(request, account, form=form, form_name="payment_form", partial="arrangements", action=post)


@require_POST
@login_required
def plan_cancel_view(request: AuthedRequest, account_id: int, plan_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    if not PaymentPlan.objects.filter(pk=plan_id, account=account).exists():
        raise Http404("No such plan")
    form = ReasonForm(request.POST)

    def cancel() -> None:
        plan_cancel(plan_id=plan_id, actor=request.user, reason=form.cleaned_data["reason"])
        _rescore([account])

    return _act(
        request,
        account,
        form=form,
        form_name="plan_cancel_form",
        partial="arrangements",
        action=cancel,
        errors_on_panel=True,
    )


@require_POST
@login_required
def party_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = RelatedPartyForm(request.POST)

    def add() -> None:
        data = form.cleaned_data
        with transaction.atomic():
            party = related_party_add(
                consumer=account.guarantor,
                first_name=data["first_name"],
                last_name=data["last_name"],
                relation=data["relation"],
                actor=request.user,
            )
            if data["phone"].strip():
                phone_add(
                    person=party.person,
                    number=data["phone"],
                    kind="mobile",
                    actor=request.user,
                    source="consumer",
                )

    return _act(request, account, form=form, form_name="party_form", partial="records", action=add)


@require_POST
@login_required
def notice_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = NoticeForm(request.POST)

    def record() -> None:
        notice_record(
            accounts=[account], kind=form.cleaned_data["kind"], actor=request.user, details=form.details()
        )
        _rescore([account])

    return _act(request, account, form=form, form_name="notice_form", partial="records", action=record)


@require_POST
@login_required
def send_cancel_view(request: AuthedRequest, account_id: int) -> HttpResponse:
    """Cancel one of the account's messages before it goes (the key must be one of this account's)."""
    account = account_get_for_user(user=request.user, account_id=account_id)
    key = request.POST.get("key", "")
    if key not in {u.key for u in sends_upcoming(accounts=[account], today=timezone.localdate())}:
        raise Http404("No such message")
    form = ReasonForm({"reason": ""})

    def cancel() -> None:
        send_cancel(key=key, actor=request.user)

    return _act(
        request,
        account,
        form=form,
        form_name="send_form",
        partial="arrangements",
        action=cancel,
        errors_on_panel=True,
    )


@require_POST
@login_required
def hold_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = HoldForm(request.POST)

    def place() -> None:
        hold_place(
            account=account,
            kind=form.cleaned_data["kind"],
            medium=form.cleaned_data["medium"],
            note=form.cleaned_data["note"],
            details=form.details(),
            actor=request.user,
        )
        _rescore([account])

    return _act(request, account, form=form, form_name="hold_form", partial="holds", action=place)


@require_POST
@login_required
def hold_end(request: AuthedRequest, account_id: int, hold_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    try:
        hold = Hold.objects.get(
            pk=hold_id, account__in=[a.pk for a in guarantor_accounts(user=request.user, account=account)]
        )
    except Hold.DoesNotExist:
        raise Http404("No such hold") from None
    form = HoldReleaseForm(request.POST)

    def release() -> None:
        hold_release(hold=hold, actor=request.user, reason=form.cleaned_data["reason"])
        _rescore([hold.account])

    return _act(
        request,
        account,
        form=form,
        form_name="hold_form",
        partial="holds",
        action=release,
        errors_on_panel=True,
    )
