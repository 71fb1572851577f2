from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Client
from collections_desk.lib.http import AuthedRequest
from compliance.forms import ParameterForm
from compliance.overrides import (
    ParameterRow,
    client_override_problems,
    client_overrides_update,
    client_parameter_rows,
    clients_with_override_counts,
    display_value,
)
from compliance.parameters import PARAMETERS


def _admin_only(request: AuthedRequest) -> None:
    # Pages a role may not use do not exist for it (404, like the desk's manager pages).
    if not request.user.is_admin_role:
        raise Http404("No such page")


@require_GET
@login_required
def clients_page(request: AuthedRequest) -> HttpResponse:
    _admin_only(request)
    return render(request, "compliance/clients.html", {"rows": clients_with_override_counts()})


@require_http_methods(["GET", "POST"])
@login_required
def client_parameters_page(request: AuthedRequest, client_id: int) -> HttpResponse:
    """A client's effective compliance parameters, and a form to set one or reset it to the default."""
    _admin_only(request)
    client = get_object_or_404(Client, pk=client_id)
    problems = client_override_problems(client)
    unknown = tuple(name for name in problems if name not in PARAMETERS)
    if request.method == "POST":
        form = ParameterForm(request.POST, unknown=unknown)
        if form.is_valid():
            name, action = form.cleaned_data["parameter"], form.cleaned_data["action"]
            try:
                if action == "set":
                    change = client_overrides_update(
                        client=client, actor=request.user, changes={name: form.cleaned_data["value"]}
                    )
                else:
                    change = client_overrides_update(
                        client=client, actor=request.user, changes={}, removals=[name]
                    )
            except ValidationError as e:
                form.add_error("value" if action == "set" else None, e)
            else:
                if not change["changed"]:
                    messages.info(request, f"{name}: nothing changed.")
                elif action == "set":
                    value = display_value(form.cleaned_data["value"])
                    messages.success(request, f"{name} set to {value} for {client.name}.")
                else:
                    messages.success(request, f"{name} reset to the default for {client.name}.")
                url = reverse("compliance:client-parameters", args=[client.pk])
                return redirect(f"{url}#p-{name}" if name in PARAMETERS else url)
    rows = client_parameter_rows(client)
    if request.method == "GET":
        form = _form_for(request.GET.get("parameter") or "", rows, unknown)
    context = {
        "client": client,
        "rows": rows,
        "problems": problems,
        "form": form,
    }
    return render(request, "compliance/client_parameters.html", context)


def _form_for(name: str, rows: list[ParameterRow], unknown: tuple[str, ...]) -> ParameterForm:
    """The empty form, or with ``name`` chosen and its effective value filled in (the table's links)."""
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        return ParameterForm(unknown=unknown)
    return ParameterForm(initial={"parameter": name, "value": _editable(row.value_json)}, unknown=unknown)


def _editable(value_json: str) -> str:
    # A bare JSON string is shown without its quotes: the form takes plain text for text parameters.
    if value_json.startswith('"') and value_json.endswith('"') and "\\" not in value_json:
        return value_json[1:-1]
    return value_json
