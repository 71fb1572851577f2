from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from compliance.overrides import to_json_value
from compliance.parameters import PARAMETERS, ParameterSpec, check_value

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_PAIR = re.compile(r"^\s*([A-Za-z]{2})\s*[:=]\s*(\d+)\s*$")


def _parameter_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Parameter names grouped by their section (regf, policy_guardrails, ...), in the module's order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in PARAMETERS:
        groups.setdefault(name.split(".", 1)[0], []).append((name, name))
    return list(groups.items())


def coerce_value(spec: ParameterSpec, raw: str) -> Any:
    """The text typed for parameter ``spec`` as the value the engine expects, validated (ValueError
    naming the parameter otherwise). JSON is taken as JSON (``5``, ``true``, ``["CO", "NY"]``,
    ``{"start": "08:00", ...}``); plain text is read per the parameter's kind: words for text, choices,
    times and dates, yes/no for true/false, an amount like 750.50, comma-separated items for lists and
    ``CO: 6, NY: 3`` for years by state."""
    text = raw.strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed, is_json = text, False
    else:
        is_json = True
    kind = spec.kind
    value: Any = parsed
    if kind == "bool" and text.lower() in _TRUE | _FALSE:
        value = text.lower() in _TRUE
    elif kind == "money" and not isinstance(parsed, bool):
        try:
            value = Decimal(text.strip('"').lstrip("$").replace(",", ""))
        except InvalidOperation:
            value = parsed
    elif kind in ("str", "enum", "time", "date") and not isinstance(parsed, str):
        value = text  # "08:00", "warn", even "true" for a text parameter: the words as typed
    elif kind in ("list", "states") and not is_json:
        value = [item.strip() for item in text.split(",") if item.strip()]
        if kind == "states":
            value = [item.upper() for item in value]
    elif kind == "state_years" and not is_json:
        pairs = [_PAIR.match(item) for item in text.split(",") if item.strip()]
        if all(pairs):
            value = {m.group(1).upper(): int(m.group(2)) for m in pairs if m}
    return to_json_value(check_value(spec, value, spec.name))


class ParameterForm(forms.Form):
    """Set one parameter of a client (``action`` set) or reset it to the default (``action`` reset)."""

    parameter = forms.ChoiceField(choices=_parameter_choices, label="Parameter")
    value = forms.CharField(
        required=False,
        max_length=2000,
        label="Value",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=(
            "JSON or plain text: 5, true, 08:00, 2026-09-01, 750.50, warn, "
            "CO, NY (a list), CO: 6 (years by state), or a JSON object for a structure."
        ),
    )
    action = forms.ChoiceField(choices=[("set", "Set"), ("reset", "Reset to default")], initial="set")

    def __init__(self, *args: Any, unknown: tuple[str, ...] = (), **kwargs: Any) -> None:
        """``unknown``: names stored for the client that are no parameter, offered for a reset only."""
        super().__init__(*args, **kwargs)
        if unknown:
            extra = ("stored, unknown to the engine", [(name, name) for name in unknown])
            self.fields["parameter"].choices = [*_parameter_choices(), extra]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name, action = data.get("parameter"), data.get("action")
        if name is None or action != "set":
            return data
        if name not in PARAMETERS:
            self.add_error("parameter", f"{name}: unknown parameter (it can only be reset).")
            return data
        raw = data.get("value") or ""
        if not raw.strip():
            self.add_error("value", "Enter a value, or reset the parameter to its default.")
            return data
        try:
            data["value"] = coerce_value(PARAMETERS[name], raw)
        except ValueError as e:
            self.add_error("value", str(e))
        return data
