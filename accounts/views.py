from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.forms import AccountSearchForm, NoteForm
from accounts.selectors import account_get_for_user, account_list_for
from accounts.services import note_add
from audit.services import audit_record_view
from collections_desk.lib.http import AuthedRequest

PAGE_SIZE = 50
NOTE_FORM = "accounts/_note_form.html"


@require_GET
@login_required
def account_list(request: AuthedRequest) -> HttpResponse:
    form = AccountSearchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    page = data.get("page") or 1
    rows = account_list_for(
        user=request.user,
        query=data.get("q") or "",
        status=data.get("status") or "",
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    audit_record_view(
        actor=request.user,
        action="accounts.account.viewed",
        account_ids=[a.pk for a in rows],
        data={"via": "list"},
    )
    context = {"form": form, "accounts": rows, "page": page, "has_next": has_next}
    template = "accounts/account_list.html#results" if request.htmx else "accounts/account_list.html"
    return render(request, template, context)


@require_GET
@login_required
def account_detail(request: AuthedRequest, account_id: int) -> HttpResponse:
    """The account page is the workspace; this address stays valid for links and bookmarks."""
    account = account_get_for_user(user=request.user, account_id=account_id)
    return redirect("workspace:account", account.pk)


@require_POST
@login_required
def note_create(request: AuthedRequest, account_id: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, account_id=account_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        note_add(account=account, author=request.user, body=form.cleaned_data["body"])
        if not request.htmx:
            return redirect("workspace:account", account.pk)  # no-JS: post/redirect/get
        response = render(request, NOTE_FORM, {"account": account, "note_form": NoteForm()})
        return trigger_client_event(response, "account-changed")
    # Status 200 with the errors: htmx does not swap 4xx responses by default.
    if request.htmx:
        return render(request, NOTE_FORM, {"account": account, "note_form": form})
    messages.error(request, "The note was not saved: " + " ".join(form.errors.get("body", [])))
    return redirect("workspace:account", account.pk)
