from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from accounts.selectors import accounts_visible_to
from arrangements.selectors import plans_waiting_for
from arrangements.sends import send_cancel, sends_upcoming
from arrangements.services import plan_decide
from audit.services import audit_record_view
from collections_desk.lib.http import AuthedRequest
from contacts.selectors import attempts_to_review
from contacts.services import attempt_review
from desk.forms import QueueForm, SkipForm, WeightsForm
from desk.models import Lease
from desk.queue_cache import RowMark, queue_parts, teams_changed
from desk.scoring import FACTOR_NAMES, callback_dominance_gap
from desk.selectors import (
    QueueChoice,
    can_manage,
    desk_overview,
    lease_open_for,
    queue_rows_with_calls,
    queues_managed_by,
    team_ids_visible_to,
    weights_for,
    workspace_url,
)
from desk.services import (
    LeaseLost,
    lease_break,
    lease_claim_next,
    lease_finish,
    lease_renew,
    lease_skip,
    queue_create,
    queue_update,
    weights_update,
)
from staff.models import Team

PAGE_SIZE = 50
QUEUE = "desk/queue.html"
QUEUE_ROWS = "desk/queue_rows.html"  # Jinja2
MANAGER = "desk/manager.html"


def _queue_url(queue_id: int | None) -> str:
    return reverse("desk:queue-saved", args=[queue_id]) if queue_id else reverse("desk:queue")


def _manager_only(request: AuthedRequest) -> None:
    # Pages a role may not use do not exist for it (404, like accounts of other teams).
    if not can_manage(request.user):
        raise Http404("No such page")


@require_GET
@login_required
def queue_page(request: AuthedRequest, queue_id: int | None = None) -> HttpResponse:
    choice, queues, rows, rows_html = _queue_parts(request, queue_id)
    if request.htmx and not request.htmx.boosted:
        return HttpResponse(rows_html)
    context = _queue_context(request, choice, queues, rows_html)
    return render(request, QUEUE, {**context, "rows": rows})


def _queue_parts(
    request: AuthedRequest, queue_id: int | None, *, shown: bool = True
) -> tuple[QueueChoice, list[QueueChoice], list[RowMark], SafeString]:
    """The queue, the queues to pick from, and the queue's next rows, rendered (shared by the team's
    collectors for a few seconds: desk.queue_cache); `shown`: the rows are shown, and their view is
    written to the audit log (rows not shown may be a few seconds stale: see _work_next)."""
    teams = team_ids_visible_to(request.user)
    choice, queues, rows, html = queue_parts(
        user=request.user, queue_id=queue_id, teams=teams, build_rows=_rows_build, current=shown
    )
    if shown:
        audit_record_view(
            actor=request.user,
            action="accounts.account.viewed",
            account_ids=[r.account_id for r in rows],
            data={"via": "queue"},
        )
    return choice, queues, rows, mark_safe(html)  # noqa: S308 - Jinja2 escaped every value (autoescape is on)


def _work_next(request: AuthedRequest, queue_id: int | None) -> tuple[QueueChoice, Lease | None]:
    """What "Work next account" does: the queue's accounts that may be called now go first, in the order
    its page lists them, then the rest. The shared rows only order the claim's first tries and it checks
    each account afresh, so rows made stale by another claim seconds ago still do: in a busy team every
    claim makes them stale, and rebuilding them was most of a claim's cost (bench/README.md, fifth pass)."""
    choice, _, rows, _ = _queue_parts(request, queue_id, shown=False)
    lease = lease_claim_next(
        user=request.user, choice=choice, prefer=[r.account_id for r in rows if r.callable]
    )
    # Said here rather than in the claim: under 32 concurrent claimers this one round trip to Redis
    # halved the claims per second of lease_claim_next (bench/README.md, fifth pass).
    teams_changed(choice.team_ids)
    return choice, lease


def _rows_build(choice: QueueChoice) -> tuple[list[RowMark], str]:
    rows = queue_rows_with_calls(choice=choice, limit=PAGE_SIZE)
    context = {"choice": choice, "rows": rows, "rows_url": _queue_url(choice.id)}
    marks = [RowMark(row.account_id, row.callable) for row in rows]
    return marks, engines["jinja2"].get_template(QUEUE_ROWS).render(context)


def _queue_context(
    request: AuthedRequest,
    choice: QueueChoice,
    queues: list[QueueChoice],
    rows_html: SafeString,
    skip_form: SkipForm | None = None,
) -> dict[str, object]:
    lease = lease_open_for(user=request.user)
    return {
        "choice": choice,
        "queues": queues,
        "rows_html": rows_html,
        "lease": lease,
        # Shown with the lease only (making it costs 50 µs, and most pages show no lease).
        "skip_form": skip_form if skip_form is not None else SkipForm() if lease is not None else None,
        "can_manage": can_manage(request.user),
    }


@require_POST
@login_required
def claim_next(request: AuthedRequest) -> HttpResponse:
    raw = request.POST.get("queue") or ""
    choice, lease = _work_next(request, int(raw) if raw.isdigit() else None)
    if lease is None:
        messages.info(request, f"Nothing left to work in {choice.name}.")
        target = _queue_url(choice.id)
    else:
        target = workspace_url(lease.account_id)
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@require_GET
@login_required
def lease_bar(request: AuthedRequest) -> HttpResponse:
    """The strip under the top bar showing what the user holds. It renews the lease every few minutes
    only while the page shown is that account's, i.e. while the collector is working it."""
    lease = lease_open_for(user=request.user)
    return _lease_bar_response(request, lease)


def _lease_bar_response(request: AuthedRequest, lease: Lease | None, *, lost: bool = False) -> HttpResponse:
    working = False
    if lease is not None and request.htmx:
        # Any page about the leased account (the account page, the workspace) counts as working it.
        path = urlsplit(request.htmx.current_url_abs_path or "").path
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        working = match is not None and match.kwargs.get("account_id") == lease.account_id
    return render(
        request,
        "desk/_lease_bar.html",
        {"lease": lease, "working": working, "lost": lost, "skip_form": SkipForm()},
    )


@require_POST
@login_required
def lease_renew_view(request: AuthedRequest, lease_id: int) -> HttpResponse:
    try:
        lease = lease_renew(lease_id=lease_id, user=request.user)
    except LeaseLost:
        if not request.htmx:
            messages.warning(request, "Your hold on that account had ended; it is back in the queue.")
            return redirect("desk:queue")
        return trigger_client_event(_lease_bar_response(request, None, lost=True), "lease-changed")
    if not request.htmx:
        return redirect(workspace_url(lease.account_id))
    return _lease_bar_response(request, lease)


@require_POST
@login_required
def lease_release_view(request: AuthedRequest, lease_id: int) -> HttpResponse:
    """Finish, skip (with a reason) or finish-and-take-the-next, from the lease bar or the queue page."""
    action = request.POST.get("action", "finish")
    raw = request.POST.get("queue") or ""
    queue_id = int(raw) if raw.isdigit() else None
    if action == "skip":
        form = SkipForm(request.POST)
        if not form.is_valid():
            choice, queues, _, rows_html = _queue_parts(request, queue_id)
            context = _queue_context(request, choice, queues, rows_html, form)
            return render(request, QUEUE, context, status=200)
        try:
            lease_skip(
                lease_id=lease_id,
                user=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as e:  # pragma: no cover - the form checks the same rules
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, "Skipped; the account is back in the queue.")
    elif action == "next":
        # Claim-next releases this lease (reason "next") in the same statement that picks the next
        # account, so the account just worked is not handed straight back.
        choice, lease = _work_next(request, queue_id)
        target = workspace_url(lease.account_id) if lease else _queue_url(queue_id)
        if lease is None:
            messages.info(request, f"Nothing left to work in {choice.name}.")
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    else:
        lease_finish(lease_id=lease_id, user=request.user)
        messages.success(request, "Done with that account.")
    target = _queue_url(queue_id)
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@require_GET
@login_required
def desk_page(request: AuthedRequest) -> HttpResponse:
    _manager_only(request)
    rows = desk_overview(user=request.user)
    if request.htmx:
        return render(request, f"{MANAGER}#desk-table", {"rows": rows})
    return render(request, MANAGER, {"rows": rows, "queues": queues_managed_by(request.user)})


@require_POST
@login_required
def lease_break_view(request: AuthedRequest, lease_id: int) -> HttpResponse:
    _manager_only(request)
    if lease_break(lease_id=lease_id, actor=request.user):
        messages.success(request, "Lease broken; the account is back in the queue.")
    if not request.htmx:
        return redirect("desk:manager")
    response = render(request, f"{MANAGER}#desk-table", {"rows": desk_overview(user=request.user)})
    return trigger_client_event(response, "lease-changed")


@require_http_methods(["GET", "POST"])
@login_required
def weights_page(request: AuthedRequest) -> HttpResponse:
    _manager_only(request)
    user = request.user
    teams = Team.objects.all() if user.is_admin_role else user.teams.all()
    raw = request.GET.get("team") or request.POST.get("team") or ""
    team = None
    if raw.isdigit():
        team = teams.filter(pk=int(raw)).first()
        if team is None:
            raise Http404("No such team")
    elif not user.is_admin_role:
        team = teams.first()  # only admins edit the global default
        if team is None:
            raise Http404("No team")
    current = weights_for(team=team)
    initial = {name: getattr(current, name) for name in FACTOR_NAMES}
    if request.method == "POST":
        form = WeightsForm(request.POST)
        if form.is_valid():
            try:
                change = weights_update(team=team, actor=user, values=form.cleaned_data)
            except ValidationError as e:
                form.add_error(None, e)
            else:
                changed = ", ".join(change.changed) or "nothing"
                messages.success(request, f"Weights saved ({changed} changed); the queue is being rescored.")
                url = reverse("desk:weights") + (f"?team={team.pk}" if team else "")
                return redirect(url)
    else:
        form = WeightsForm(initial=initial)
    context = {
        "form": form,
        "team": team,
        "teams": teams,
        "is_admin": user.is_admin_role,
        "gap": callback_dominance_gap(initial),
        "overridden": team is not None and current.pk is not None,
    }
    return render(request, "desk/weights.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def queue_create_page(request: AuthedRequest) -> HttpResponse:
    _manager_only(request)
    user = request.user
    teams = Team.objects.all() if user.is_admin_role else user.teams.all()
    form = QueueForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        team, name = data.pop("team"), data.pop("name")
        try:
            queue = queue_create(actor=user, team=team, name=name, **data)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, f"Queue “{queue.name}” saved.")
            return redirect("desk:queue-saved", queue.pk)
    return render(request, "desk/queue_form.html", {"form": form, "queue": None})


@require_http_methods(["GET", "POST"])
@login_required
def queue_edit_page(request: AuthedRequest, queue_id: int) -> HttpResponse:
    _manager_only(request)
    user = request.user
    queue = next((q for q in queues_managed_by(user) if q.pk == queue_id), None)
    if queue is None:
        raise Http404("No such queue")
    teams = Team.objects.all() if user.is_admin_role else user.teams.all()
    form = QueueForm(request.POST or None, instance=queue, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            queue = queue_update(actor=user, queue_id=queue_id, **form.cleaned_data)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            state = "saved" if queue.is_active else "saved and deactivated"
            messages.success(request, f"Queue “{queue.name}” {state}.")
            return redirect("desk:manager")
    return render(request, "desk/queue_form.html", {"form": form, "queue": queue})


@require_http_methods(["GET", "POST"])
@login_required
def review_page(request: AuthedRequest) -> HttpResponse:
    """Attempts that broke a compliance rule, for a manager to review (the collector was told why before
    logging; the attempt was recorded anyway, because the truth is never blocked)."""
    _manager_only(request)
    if request.method == "POST":
        raw = request.POST.get("attempt") or ""
        if not raw.isdigit():
            raise Http404("No such attempt")
        attempt_review(attempt_id=int(raw), actor=request.user)
        messages.success(request, "Marked reviewed.")
        return redirect("desk:review")
    attempts = list(attempts_to_review(user=request.user))
    audit_record_view(
        actor=request.user,
        action="accounts.account.viewed",
        account_ids=sorted({a.pk for attempt in attempts for a in attempt.accounts.all()}),
        data={"via": "review"},
    )
    return render(request, "desk/review.html", {"attempts": attempts})


@require_http_methods(["GET", "POST"])
@login_required
def approvals_page(request: AuthedRequest) -> HttpResponse:
    """Plans outside the client's policy, waiting for a manager of the account's team: approve, or deny
    with a reason."""
    _manager_only(request)
    if request.method == "POST":
        raw = request.POST.get("plan") or ""
        if not raw.isdigit():
            raise Http404("No such plan")
        approve = request.POST.get("decision") == "approve"
        try:
            plan_decide(
                plan_id=int(raw), actor=request.user, approve=approve, reason=request.POST.get("reason", "")
            )
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, "Plan approved." if approve else "Plan denied.")
        return redirect("desk:approvals")
    plans = list(plans_waiting_for(user=request.user))
    audit_record_view(
        actor=request.user,
        action="accounts.account.viewed",
        account_ids=sorted({p.account_id for p in plans}),
        data={"via": "approvals"},
    )
    return render(request, "desk/approvals.html", {"plans": plans})


@require_http_methods(["GET", "POST"])
@login_required
def sends_page(request: AuthedRequest) -> HttpResponse:
    """What the desk will send in the next 7 days on the manager's teams' accounts, each with its cause;
    cancellable before it goes."""
    _manager_only(request)
    visible = accounts_visible_to(request.user)
    if request.method == "POST":
        key = request.POST.get("key", "")
        upcoming_keys = {u.key for u in sends_upcoming(accounts=visible, today=timezone.localdate())}
        if key not in upcoming_keys:
            raise Http404("No such message")
        try:
            send_cancel(key=key, actor=request.user)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, "Message cancelled.")
        return redirect("desk:sends")
    upcoming = sends_upcoming(accounts=visible, today=timezone.localdate())[:500]
    audit_record_view(
        actor=request.user,
        action="accounts.account.viewed",
        account_ids=sorted({u.account_id for u in upcoming}),
        data={"via": "sends"},
    )
    return render(request, "desk/sends.html", {"upcoming": upcoming})
