"""A client's overrides of the compliance parameters (RULES.md §11): the admin page's reads and its one write.

The overrides live in ``Client.policy_overrides["compliance"]`` as ``{parameter name: value}`` (the other keys
of ``policy_overrides`` belong to the plan policy and are left as they are). Values are stored in a JSON form
the engine accepts back: tuples as lists, structures as objects, amounts as numbers (or text when they have
cents), dates as ``YYYY-MM-DD``. Section forms (``{"credit_reporting_medical": {"enabled": true}}``) are read
like their dotted names and written back as dotted names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import Client
from audit.services import audit_record
from compliance.parameters import (
    PARAMETERS,
    check_value,
    effective_parameters,
    expand_sections,
    parameter_spec,
)
from compliance.selectors import compliance_overrides

__all__ = [
    "ClientOverrideCount",
    "ParameterRow",
    "client_override_problems",
    "client_overrides_update",
    "client_parameter_rows",
    "clients_with_override_counts",
    "display_value",
    "to_json_value",
]

KEY = "compliance"


# --- values ----------------------------------------------------------------------------------------


def to_json_value(value: Any) -> Any:
    """A validated parameter value (tuples, read-only mappings, Decimals) as plain JSON data."""
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


def display_value(value: Any) -> str:
    """How the page shows a value: text as is, lists comma-separated, structures as JSON."""
    value = to_json_value(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "(empty)"
    if isinstance(value, dict):
        return json.dumps(value, separators=(", ", ": ")) if value else "(empty)"
    return str(value)


def _stored(client: Client) -> dict[str, Any]:
    """The client's compliance overrides by dotted name (section forms expanded). A stored form that
    cannot be expanded (a name given twice) is returned as stored, for the validation to name it."""
    raw = compliance_overrides(client.policy_overrides)
    try:
        return expand_sections(raw)
    except ValueError:
        return raw


def _canonical(name: str, value: Any) -> Any:
    """``value`` validated for parameter ``name`` and put in its stored JSON form."""
    try:
        return to_json_value(check_value(parameter_spec(name), value, name))
    except ValueError as e:
        raise _invalid(e) from None


def _invalid(error: ValueError) -> ValidationError:
    # The engine's messages start with the parameter's name ("regf.call_cap.max_calls: expected ...").
    return ValidationError("%(problem)s", code="invalid_parameter", params={"problem": str(error)})


def _related(name: str, stored: Iterable[str]) -> list[str]:
    """The stored names inside structure ``name`` (its fields, their fields)."""
    return [other for other in stored if other.startswith(f"{name}.")]


# --- the write -------------------------------------------------------------------------------------


def client_overrides_update(
    *, client: Client, actor: Any, changes: dict[str, Any], removals: Iterable[str] = ()
) -> dict[str, Any]:
    """Set (``changes``) and reset to the default (``removals``) a client's compliance parameters. Admins
    only. A structure's value replaces the whole structure, so setting or resetting one also drops the
    overrides of its fields. The merged overrides are validated as the engine will read them: a bad name
    or value raises ValidationError naming the parameter and nothing is saved. One audit event
    ``compliance.parameters.changed`` per call that changes something, with the old and new stored
    values (None: the default).

    Returns ``{"changed": {name: [old, new]}, "removed": [names]}``; both empty when nothing changed."""
    if not getattr(actor, "is_admin_role", False):
        raise PermissionDenied
    try:
        wanted = expand_sections(changes)
    except ValueError as e:
        raise _invalid(e) from None
    new_values = {name: _canonical(name, value) for name, value in wanted.items()}
    reset = list(dict.fromkeys(removals))
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        before = _stored(locked)
        after = dict(before)
        for name in [*reset, *new_values]:
            for inner in _related(name, after):
                del after[inner]
        for name in reset:
            after.pop(name, None)
        after.update(new_values)
        try:
            effective_parameters(after)
        except ValueError as e:
            raise _invalid(e) from None
        changed = {
            name: [before.get(name), after.get(name)]
            for name in sorted({*before, *after}, key=_order)
            if name not in before or name not in after or before[name] != after[name]
        }
        if not changed:
            return {"changed": {}, "removed": []}
        removed = [name for name in changed if name not in after]
        policy = dict(locked.policy_overrides or {})
        if after:
            policy[KEY] = after
        else:
            policy.pop(KEY, None)
        locked.policy_overrides = policy
        locked.save(update_fields=["policy_overrides"])
        audit_record(
            action="compliance.parameters.changed",
            actor=actor,
            data={"client_id": locked.pk, "changed": changed, "removed": removed},
        )
    client.policy_overrides = locked.policy_overrides
    return {"changed": changed, "removed": removed}


_POSITION = {name: i for i, name in enumerate(PARAMETERS)}


def _order(name: str) -> tuple[int, str]:
    return (_POSITION.get(name, len(_POSITION)), name)


# --- the reads -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParameterRow:
    """One parameter as the admin page lists it for a client. ``set_here``: the client overrides this
    name itself; ``via``: the other overridden names that change it (its structure, or its fields)."""

    name: str
    value: str
    default: str
    set_here: bool
    via: tuple[str, ...]
    rule_ids: tuple[str, ...]
    source: str
    description: str
    kind: str
    choices: tuple[str, ...]
    value_json: str  # the effective value as the form accepts it back

    @property
    def overridden(self) -> bool:
        return self.set_here or bool(self.via)

    @property
    def depth(self) -> int:
        return self.name.count(".")


def _valid_part(stored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The stored overrides the engine accepts, and the message for each one it refuses."""
    try:
        effective_parameters(stored)
    except ValueError:
        pass
    else:
        return stored, {}
    valid, problems = {}, {}
    for name, value in stored.items():
        try:
            effective_parameters({name: value})
        except ValueError as e:
            problems[name] = str(e)
        else:
            valid[name] = value
    return valid, problems


def client_override_problems(client: Client) -> dict[str, str]:
    """Stored overrides the engine would refuse (unknown names, wrong types), by name, with the reason.
    Only a write that bypassed :func:`client_overrides_update` can leave one; the page offers to reset it."""
    return _valid_part(_stored(client))[1]


def client_parameter_rows(client: Client) -> list[ParameterRow]:
    """Every parameter of RULES.md §11 (structures, then their fields, in the module's order) with the
    client's effective value, the default, whether it is overridden, its rules and legal source. A stored
    override the engine refuses is left out here (see :func:`client_override_problems`)."""
    valid, _ = _valid_part(_stored(client))
    effective = effective_parameters(valid)
    rows = []
    for name, spec in PARAMETERS.items():
        via = tuple(
            other
            for other in valid
            if other != name and (name.startswith(f"{other}.") or other.startswith(f"{name}."))
        )
        rows.append(
            ParameterRow(
                name=name,
                value=display_value(effective[name]),
                default=display_value(spec.default),
                set_here=name in valid,
                via=tuple(sorted(via, key=_order)),
                rule_ids=spec.rule_ids,
                source=spec.source,
                description=spec.description,
                kind=spec.kind,
                choices=spec.choices,
                value_json=json.dumps(to_json_value(effective[name])),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class ClientOverrideCount:
    client: Client
    overridden: int


def clients_with_override_counts() -> list[ClientOverrideCount]:
    """Every client, by name, with the number of compliance parameters it overrides."""
    return [
        ClientOverrideCount(client, len(_stored(client)))
        for client in Client.objects.only("pk", "code", "name", "kind", "policy_overrides").order_by("name")
    ]
