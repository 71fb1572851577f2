"""Every parameter of RULES.md §11, with its default, the rule ids it belongs to and its legal source.

A parameter's name is its dotted path in the RULES.md §11 block (``regf.call_window_local`` or
``regf.call_window_local.end_buffer_min``). A client's settings override the defaults by name; the value given
replaces the whole value at that path. :func:`effective_parameters` validates the names and the types and
returns a read-only mapping of every name (structures and their leaves) to its effective value.

Pure Python: no Django, no database. :data:`PARAMETERS` is the metadata an admin page lists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

__all__ = [
    "PARAMETERS",
    "ParameterSpec",
    "Parameters",
    "effective_parameters",
    "parameter_spec",
]

_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_STATE_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One named parameter. ``kind`` is one of: bool, int, money, str, enum, time, date, list, states,
    state_years (mapping of state code to whole years), struct (a fixed set of named fields)."""

    name: str
    default: Any
    kind: str
    rule_ids: tuple[str, ...]
    source: str
    description: str
    choices: tuple[str, ...] = ()
    fields: tuple[ParameterSpec, ...] = field(default=(), repr=False)

    @property
    def leaf(self) -> bool:
        return self.kind != "struct"


def _p(name, default, kind, rules, source, description, choices=(), fields=()):  # noqa: PLR0913
    return ParameterSpec(
        name, default, kind, tuple(rules), source, description, tuple(choices), tuple(fields)
    )


def _struct(name, rules, source, description, members):
    """A structure whose fields are given as (key, default, kind, description[, choices])."""
    fields = tuple(
        _p(f"{name}.{m[0]}", m[1], m[2], rules, source, m[3], m[4] if len(m) > 4 else ()) for m in members
    )
    default = {m[0]: m[1] for m in members}
    return _p(name, default, "struct", rules, source, description, fields=fields)


REGF = "12 CFR part 1006 (Regulation F)"

_TOP: tuple[ParameterSpec, ...] = (
    # --- regf -------------------------------------------------------------------------------------
    _p(
        "regf.applies_to_first_party",
        True,
        "bool",
        ["APP-02"],
        "15 U.S.C. 1692a(6); RULES.md C-01",
        "Run Regulation F on first-party accounts too; false only with legal sign-off (Reg F then WARNs).",
    ),
    _struct(
        "regf.call_window_local",
        ["TIME-01", "TIME-02"],
        "12 CFR 1006.6(b)(1)(i); 15 U.S.C. 1692c(a)(1)",
        "Local call window; both ends exclusive; calls and voicemails stop end_buffer_min before the end.",
        [
            ("start", "08:00", "time", "Window start, local time (exclusive)."),
            ("end", "21:00", "time", "Window end, local time (exclusive)."),
            ("exclusive", True, "bool", "Both ends are outside the window."),
            ("end_buffer_min", 5, "int", "Minutes before the end when calls and voicemails stop (C-04)."),
        ],
    ),
    _p(
        "regf.ambiguous_location",
        "intersect_all_candidate_zones",
        "enum",
        ["TIME-02"],
        "Supplement I comment 6(b)(1)(i)-1; RULES.md C-02",
        "Conflicting location information: the window is the intersection over every candidate zone.",
        choices=["intersect_all_candidate_zones"],
    ),
    _struct(
        "regf.call_cap",
        ["FREQ-01"],
        "12 CFR 1006.14(b)(2)(i)(A)",
        "Calls placed per person per particular debt in consecutive local days.",
        [
            ("max_calls", 7, "int", "Most calls placed in the window, this one included."),
            ("window_days", 7, "int", "Consecutive local days in the window."),
            ("unit", ["collector", "person", "particular_debt"], "list", "Counting unit (documentation)."),
        ],
    ),
    _p(
        "regf.conversation_cooldown_days",
        7,
        "int",
        ["FREQ-02"],
        "12 CFR 1006.14(b)(2)(i)(B)",
        "Days blocked after a telephone conversation; the conversation date is day 1.",
    ),
    _p(
        "regf.consent_exclusion_max_days",
        7,
        "int",
        ["FREQ-03"],
        "12 CFR 1006.14(b)(3)(i); RULES.md C-07",
        "Days a consent given directly to the collector excludes calls; the receipt date is day 1.",
    ),
    _p(
        "regf.excluded_dispositions",
        ["busy", "not_in_service"],
        "list",
        ["FREQ-04"],
        "12 CFR 1006.14(b)(3)(ii)",
        "Call results that are not calls placed.",
    ),
    _p(
        "regf.excluded_recipients",
        ["consumer_attorney", "cra", "creditor", "creditor_attorney", "collector_attorney"],
        "list",
        ["FREQ-05"],
        "12 CFR 1006.14(b)(3)(iii)",
        "Recipients whose calls are not counted.",
    ),
    _p(
        "regf.student_loans_single_account_is_one_debt",
        True,
        "bool",
        ["FREQ-01"],
        "12 CFR 1006.14(b)(4)",
        "Student loans serviced under one account number are one particular debt.",
    ),
    _p(
        "regf.attorney_no_response_days",
        30,
        "int",
        ["ATT-01"],
        "12 CFR 1006.6(b)(2); RULES.md C-08",
        "Days of attorney silence before a supervisor review; never lifts the block by itself.",
    ),
    _struct(
        "regf.validation",
        ["VAL-01", "VAL-03", "VAL-04"],
        "12 CFR 1006.34",
        "Validation notice timing and validation period.",
        [
            (
                "send_within_days",
                5,
                "int",
                "Days after the initial communication to send validation information.",
            ),
            (
                "assumed_receipt_business_days",
                5,
                "int",
                "Business days to the assumed receipt (5 U.S.C. 6103(a)).",
            ),
            (
                "period_days",
                30,
                "int",
                "Calendar days from assumed receipt to the end of the validation period.",
            ),
            (
                "holidays",
                "5 USC 6103(a)",
                "str",
                "Holiday calendar (actual and observed dates, RULES.md §12).",
            ),
            (
                "itemization_dates",
                ["last_statement", "charge_off", "last_payment", "transaction", "judgment"],
                "list",
                "Allowed itemization reference dates.",
            ),
        ],
    ),
    _p(
        "regf.passive_reporting_wait_days",
        14,
        "int",
        ["CR-01"],
        "12 CFR 1006.30(a); RULES.md C-13",
        "Days to wait for a notice of non-delivery; earliest furnishing is the send date + this + 1.",
    ),
    _struct(
        "regf.retention_years",
        ["REC-01", "REC-02"],
        "12 CFR 1006.100",
        "Legal retention minimums.",
        [
            ("records_after_last_activity", 3, "int", "Years after the last collection activity."),
            ("call_recordings_after_call", 3, "int", "Years after the call date."),
        ],
    ),
    # --- policy_guardrails --------------------------------------------------------------------------
    _p(
        "policy_guardrails.min_gap_same_number_min",
        240,
        "int",
        ["FREQ-07"],
        "comment 14(b)(2)(i)-2 (desk policy)",
        "Minutes between placed calls to one number (BLOCK).",
    ),
    _p(
        "policy_guardrails.max_attempts_per_number_per_day",
        2,
        "int",
        ["FREQ-07"],
        "comment 14(b)(2)(i)-2 (desk policy)",
        "Placed calls to one number per local day (BLOCK above).",
    ),
    _struct(
        "policy_guardrails.person_all_debts_per_7d",
        ["FREQ-07"],
        "comment 14(b)(2)(i)-2 (desk policy)",
        "Counted calls to a person across all debts in 7 local days.",
        [("warn", 7, "int", "WARN above this many."), ("block", 14, "int", "BLOCK above this many.")],
    ),
    _p(
        "policy_guardrails.medical_debt_call_bucket",
        "per_provider_guarantor",
        "enum",
        ["FREQ-01", "FREQ-02"],
        "RULES.md C-05 (desk policy)",
        "How medical accounts are pooled into one particular debt.",
        choices=["per_provider_guarantor", "per_account"],
    ),
    _p(
        "policy_guardrails.sms_per_debt_per_7d",
        3,
        "int",
        ["FREQ-09"],
        "12 CFR 1006.14(a) (desk policy)",
        "Texts per debt in 7 local days (BLOCK above).",
    ),
    _p(
        "policy_guardrails.sms_per_day",
        1,
        "int",
        ["FREQ-09"],
        "12 CFR 1006.14(a) (desk policy)",
        "Texts per person per local day (BLOCK above).",
    ),
    _p(
        "policy_guardrails.email_per_debt_per_7d",
        3,
        "int",
        ["FREQ-09"],
        "12 CFR 1006.14(a) (desk policy)",
        "Emails per debt in 7 local days (BLOCK above).",
    ),
    _p(
        "policy_guardrails.email_per_day",
        1,
        "int",
        ["FREQ-09"],
        "12 CFR 1006.14(a) (desk policy)",
        "Emails per person per local day (BLOCK above).",
    ),
    _p(
        "policy_guardrails.sunday_holiday_calls",
        "warn",
        "enum",
        ["FREQ-07"],
        "comment 14(b)(2)(i)-2 (desk policy); RULES.md §12",
        "Calls on a Sunday or federal holiday.",
        choices=["warn", "block", "off"],
    ),
    _p(
        "policy_guardrails.dispute_hold_days",
        10,
        "int",
        ["DISP-04"],
        "15 U.S.C. 1692e(8); RULES.md C-10",
        "Days every dispute holds credit reporting and legal referral; the receipt day is day 1.",
    ),
    _p(
        "policy_guardrails.oral_stop_all_media_days",
        10,
        "int",
        ["MEDIUM-01"],
        "12 CFR 1006.14(h); RULES.md C-09",
        "Days an oral stop-contacting request blocks every medium; the request day is day 1.",
    ),
    # --- credit_reporting_medical -------------------------------------------------------------------
    _p(
        "credit_reporting_medical.enabled",
        False,
        "bool",
        ["CR-02"],
        "RULES.md C-11 (desk policy)",
        "Medical credit reporting; off unless the client turns it on with legal sign-off.",
    ),
    _p(
        "credit_reporting_medical.min_initial_balance_usd",
        500,
        "money",
        ["CR-02"],
        "CDIA statement of 2023-04-11",
        "Bureaus do not carry medical collections below this initial balance.",
    ),
    _p(
        "credit_reporting_medical.delay_days_from_dofd",
        365,
        "int",
        ["CR-02"],
        "Equifax 2022 announcement",
        "Medical collections may be furnished on and after DOFD + this many days.",
    ),
    _p(
        "credit_reporting_medical.delete_on_paid_in_full",
        True,
        "bool",
        ["CR-02"],
        "Equifax 2022 announcement",
        "Send a deletion when a reported medical debt is paid in full.",
    ),
    _p(
        "credit_reporting_medical.state_bans",
        ["CO", "NY", "CA", "NJ", "CT", "VT", "ME", "OR", "MD"],
        "states",
        ["CR-05"],
        "RULES.md §9.2",
        "States where medical debt is never furnished.",
    ),
    _p(
        "credit_reporting_medical.void_if_reported",
        ["NY", "CA"],
        "states",
        ["CR-05"],
        "RULES.md §9.2",
        "States where a medical debt reported in violation is void.",
    ),
    # --- irs_501r -----------------------------------------------------------------------------------
    _p(
        "irs_501r.notification_period_days",
        120,
        "int",
        ["R501-02"],
        "26 CFR 1.501(r)-6(c)(2)-(3)",
        "Days after the first post-discharge billing statement before any ECA.",
    ),
    _p(
        "irs_501r.eca_written_notice_days",
        30,
        "int",
        ["R501-02"],
        "26 CFR 1.501(r)-6(c)(2)-(3)",
        "Days between the written notice (and the oral attempt) and the first ECA.",
    ),
    _p(
        "irs_501r.application_period_days",
        240,
        "int",
        ["R501-05", "R501-06", "R501-07"],
        "26 CFR 1.501(r)-1(b)(3)",
        "Days after the first PDBS during which FAP applications hold ECAs.",
    ),
    _p(
        "irs_501r.refund_min_usd",
        5,
        "money",
        ["R501-07"],
        "26 CFR 1.501(r)-6(c)(6)",
        "Refunds below this amount are not owed.",
    ),
    _p(
        "irs_501r.earliest_eca",
        "max(pdbs+120d, notice+30d, oral+30d, stated deadline) + 1d",
        "str",
        ["R501-02"],
        "RULES.md algorithm 5.4, C-12",
        "The earliest-ECA formula (documentation).",
    ),
    # --- tcpa ---------------------------------------------------------------------------------------
    _p(
        "tcpa.revocation_honor_business_days",
        10,
        "int",
        ["TCPA-02"],
        "47 CFR 64.1200(a)(10)-(12)",
        "Legal deadline to honor a revocation (the engine suppresses at once).",
    ),
    _p(
        "tcpa.engine_revocation_sla",
        "immediate",
        "enum",
        ["TCPA-02"],
        "RULES.md C-16",
        "When the engine honors a revocation.",
        choices=["immediate"],
    ),
    _p(
        "tcpa.revoke_all_effective",
        "2027-01-31",
        "date",
        ["TCPA-02"],
        "FCC Order DA 26-12; RULES.md C-16",
        "Legal start of revoke-all; the desk applies it now.",
    ),
    _p(
        "tcpa.revocation_keywords",
        ["stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe"],
        "list",
        ["TCPA-02"],
        "47 CFR 64.1200(a)(10)",
        "Replies that revoke consent.",
    ),
    _p(
        "tcpa.rnd_check_max_age_days",
        30,
        "int",
        ["TCPA-03"],
        "47 CFR 64.1200(m) (desk policy)",
        "Age of a Reassigned Numbers Database check before it must be repeated.",
    ),
    # --- states -------------------------------------------------------------------------------------
    _p("states.MA.applies_to_creditors", True, "bool", ["MA-01"], "940 CMR 7.00", "MA rules bind creditors."),
    _p(
        "states.MA.counts_texts",
        True,
        "bool",
        ["MA-01", "MA-02"],
        "940 CMR 7.04(1)(f); 209 CMR 18.16(1)(d)",
        "Texts count as telephone communications.",
    ),
    _struct(
        "states.MA.personal_numbers",
        ["MA-01", "MA-02"],
        "940 CMR 7.04(1)(f); 209 CMR 18.16(1)(d)",
        "Telephone communications per debt to mobile and home numbers.",
        [
            ("max", 2, "int", "Most contacts in the window, this one included."),
            ("window_days", 7, "int", "Rolling local days."),
            ("per", "debt", "enum", "Counting unit.", ("debt",)),
        ],
    ),
    _struct(
        "states.MA.other_numbers",
        ["MA-01", "MA-02"],
        "940 CMR 7.04(1)(f); 209 CMR 18.16(1)(d)",
        "Telephone communications per debt to work and any other number.",
        [
            ("max", 2, "int", "Most contacts in the window, this one included."),
            ("window_days", 30, "int", "Rolling local days."),
            ("per", "debt", "enum", "Counting unit.", ("debt",)),
        ],
    ),
    _p(
        "states.MA.work_oral_request_days",
        10,
        "int",
        ["MA-03"],
        "209 CMR 18.16(1)(c)",
        "Days an oral do-not-call-at-work request lasts unless confirmed in writing.",
    ),
    _p(
        "states.MA.work_written_confirm_days",
        7,
        "int",
        ["MA-03"],
        "209 CMR 18.16(1)(c)",
        "Days to confirm an oral work request in writing.",
    ),
    _struct(
        "states.MA.household_hours_if_unknown",
        ["MA-04"],
        "940 CMR 7.05(3)(e)",
        "Hours for calls to household members when their waking hours are unknown.",
        [
            ("start", "08:00", "time", "Start (exclusive)."),
            ("end", "21:00", "time", "End (exclusive)."),
            ("zone", "America/New_York", "str", "IANA zone of the hours."),
        ],
    ),
    _p(
        "states.WA.applies_to",
        ["agency"],
        "list",
        ["WA-01"],
        "RCW 19.16.250",
        "Client kinds bound (licensed collection agencies).",
    ),
    _struct(
        "states.WA.all_channels",
        ["WA-01"],
        "RCW 19.16.250; RULES.md C-18",
        "Communications of every kind with the debtor and spouse together.",
        [
            ("max", 3, "int", "Most communications in the window, this one included."),
            ("window_days", 7, "int", "Rolling local days."),
            ("per", "debtor_and_spouse", "enum", "Counting unit.", ("debtor_and_spouse",)),
        ],
    ),
    _struct(
        "states.WA.workplace",
        ["WA-01"],
        "RCW 19.16.250",
        "Communications at the workplace.",
        [
            ("max", 1, "int", "Most in the window, this one included."),
            ("window_days", 7, "int", "Rolling local days."),
        ],
    ),
    _struct(
        "states.WA.residence_quiet",
        ["WA-01"],
        "RCW 19.16.250",
        "Quiet hours at the residence.",
        [("from", "21:00", "time", "Quiet from (local)."), ("to", "07:30", "time", "Quiet until (local).")],
    ),
    _struct(
        "states.NYC.all_channels",
        ["NYC-01"],
        "6 RCNY 5-77 as amended",
        "Contacts or attempts on all channels per account.",
        [
            ("max", 3, "int", "Most in the window, this one included."),
            ("window_days", 7, "int", "Rolling local days."),
            ("per", "account", "enum", "Counting unit.", ("account",)),
        ],
    ),
    _p(
        "states.NYC.electronic_requires_written_consent",
        True,
        "bool",
        ["NYC-01"],
        "6 RCNY 5-77",
        "Texts and emails need the consumer's written consent.",
    ),
    _p(
        "states.NYC.effective",
        "2026-09-01",
        "date",
        ["NYC-01"],
        "6 RCNY 5-77 (trade sources; verify)",
        "Date from which NYC-01 applies.",
    ),
    _struct(
        "states.DC.calls",
        ["DC-01"],
        "D.C. Code 28-3814",
        "Calls per consumer.",
        [
            ("max", 3, "int", "Most calls in the window, this one included."),
            ("window_days", 7, "int", "Rolling local days."),
            ("per", "consumer", "enum", "Counting unit.", ("consumer",)),
        ],
    ),
    # --- legal --------------------------------------------------------------------------------------
    _p(
        "legal.sol_years_by_state",
        {},
        "state_years",
        ["LEG-01"],
        "12 CFR 1006.26(b)",
        "Counsel's statute-of-limitations table: years by state (empty: the engine cannot tell, WARN).",
    ),
    _p(
        "legal.sol_accrual",
        "dofd",
        "enum",
        ["LEG-01"],
        "12 CFR 1006.26(b)",
        "Date from which the limitation period runs.",
        choices=["dofd"],
    ),
    # --- hipaa, retention ---------------------------------------------------------------------------
    _p(
        "hipaa.audit_every_phi_access",
        True,
        "bool",
        ["HIPAA-01"],
        "45 CFR 164.312(b)",
        "Audit every PHI access.",
    ),
    _p(
        "hipaa.rpv_identifiers_min",
        2,
        "int",
        ["HIPAA-04"],
        "45 CFR 164.514(h)(1)",
        "Matching identifiers needed for right-party verification.",
    ),
    _p(
        "hipaa.retention_years",
        6,
        "int",
        ["REC-03"],
        "45 CFR 164.530(j)(2)",
        "HIPAA documentation retention.",
    ),
    _p("hipaa.audit_retention_years", 6, "int", ["HIPAA-07"], "45 CFR 164.530(j)", "Audit log retention."),
    _p(
        "retention.account_records_years_after_last_activity",
        6,
        "int",
        ["REC-01"],
        "RULES.md C-17",
        "Desk retention of account records.",
    ),
    _p(
        "retention.call_recordings_years",
        6,
        "int",
        ["REC-02"],
        "RULES.md C-17",
        "Desk retention of call recordings (at least 3).",
    ),
)


def _flatten(specs: tuple[ParameterSpec, ...]) -> Iterator[ParameterSpec]:
    for spec in specs:
        yield spec
        yield from _flatten(spec.fields)


#: Every parameter, structures first then their fields, by name.
PARAMETERS: Mapping[str, ParameterSpec] = MappingProxyType({s.name: s for s in _flatten(_TOP)})


def parameter_spec(name: str) -> ParameterSpec:
    try:
        return PARAMETERS[name]
    except KeyError:
        raise ValueError(f"{name}: unknown parameter") from None


# --- validation ------------------------------------------------------------------------------------


def check_value(spec: ParameterSpec, value: Any, where: str) -> Any:  # noqa: C901, PLR0911, PLR0912
    """Validate ``value`` for ``spec`` and return it in canonical, immutable form."""
    kind = spec.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected true or false, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}: expected a whole number, got {value!r}")
        if value < 0:
            raise ValueError(f"{where}: must not be negative")
        return value
    if kind == "money":
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
            raise ValueError(f"{where}: expected an amount, got {value!r}")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{where}: expected an amount, got {value!r}") from None
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"{where}: expected a non-negative amount, got {value!r}")
        return amount
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected text, got {value!r}")
        return value
    if kind == "enum":
        if value not in spec.choices:
            raise ValueError(f"{where}: expected one of {', '.join(spec.choices)}, got {value!r}")
        return value
    if kind == "time":
        if not isinstance(value, str) or not _TIME_RE.match(value):
            raise ValueError(f"{where}: expected a local time HH:MM, got {value!r}")
        return value
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise ValueError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")
    if kind in ("list", "states"):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{where}: expected a list of text values, got {value!r}")
        if kind == "states":
            bad = [v for v in value if not _STATE_RE.match(v)]
            if bad:
                raise ValueError(f"{where}: not a two-letter state code: {bad[0]!r}")
        return tuple(value)
    if kind == "state_years":
        if not isinstance(value, Mapping):
            raise ValueError(f"{where}: expected a mapping of state code to years, got {value!r}")
        out = {}
        for state, years in value.items():
            if not isinstance(state, str) or not _STATE_RE.match(state):
                raise ValueError(f"{where}.{state}: not a two-letter state code")
            if isinstance(years, bool) or not isinstance(years, int) or years <= 0:
                raise ValueError(f"{where}.{state}: expected a positive whole number of years, got {years!r}")
            out[state] = years
        return MappingProxyType(out)
    if kind == "struct":
        if not isinstance(value, Mapping):
            raise ValueError(f"{where}: expected a mapping with keys {_keys(spec)}, got {value!r}")
        known = {f.name.rsplit(".", 1)[1]: f for f in spec.fields}
        for key in value:
            if key not in known:
                raise ValueError(f"{where}.{key}: unknown parameter")
        missing = [k for k in known if k not in value]
        if missing:
            raise ValueError(
                f"{where}: missing {', '.join(missing)} (the value replaces the whole structure)"
            )
        return MappingProxyType({k: check_value(known[k], value[k], f"{where}.{k}") for k in known})
    raise AssertionError(kind)  # pragma: no cover


def _keys(spec: ParameterSpec) -> str:
    return ", ".join(f.name.rsplit(".", 1)[1] for f in spec.fields)


def _freeze_default(spec: ParameterSpec) -> Any:
    return check_value(spec, spec.default, spec.name)


_DEFAULTS: dict[str, Any] = {name: _freeze_default(spec) for name, spec in PARAMETERS.items()}


class Parameters(Mapping[str, Any]):
    """Read-only mapping of every parameter name (structures and their fields) to its effective value,
    with ``overridden`` listing the names a client changed."""

    __slots__ = ("_values", "overridden")

    def __init__(self, values: dict[str, Any], overridden: tuple[str, ...]):
        self._values = values
        self.overridden = overridden

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Parameters(overridden={self.overridden!r})"


_SECTIONS = frozenset(name.rsplit(".", k)[0] for name in PARAMETERS for k in range(1, name.count(".") + 1))


def expand_sections(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping given under a section name that is not itself a parameter (``credit_reporting_medical`` or
    ``states.MA``) sets the parameters it names: ``{"credit_reporting_medical": {"enabled": True}}`` is
    ``{"credit_reporting_medical.enabled": True}``."""
    out: dict[str, Any] = {}
    for name, value in overrides.items():
        if (
            isinstance(name, str)
            and name in _SECTIONS
            and name not in PARAMETERS
            and isinstance(value, Mapping)
        ):
            for key, inner in expand_sections({f"{name}.{k}": v for k, v in value.items()}).items():
                if key in out:
                    raise ValueError(f"{key}: given twice")
                out[key] = inner
        else:
            if name in out:
                raise ValueError(f"{name}: given twice")
            out[name] = value
    return out


def effective_parameters(overrides: Mapping[str, Any] | None = None) -> Parameters:
    """Defaults of RULES.md §11 with ``overrides`` (a dict by parameter name) applied on top.

    Unknown names and values of the wrong type raise ``ValueError`` naming the parameter. A structure's value
    replaces the whole structure; a field name (``regf.call_window_local.end_buffer_min``) replaces one field.
    Shallower names are applied first, so a structure and one of its fields may both be given.
    """
    values = dict(_DEFAULTS)
    if not overrides:
        return Parameters(values, ())
    if not isinstance(overrides, Mapping):
        raise ValueError(f"settings: expected a mapping of parameter names, got {overrides!r}")
    overrides = expand_sections(overrides)
    for name in overrides:
        if not isinstance(name, str) or name not in PARAMETERS:
            raise ValueError(f"{name}: unknown parameter")
    for name in sorted(overrides, key=lambda n: n.count(".")):
        spec = PARAMETERS[name]
        value = check_value(spec, overrides[name], name)
        values[name] = value
        if spec.kind == "struct":
            for child in _flatten(spec.fields):
                values[child.name] = value[child.name.rsplit(".", 1)[1]]
        parent = name.rsplit(".", 1)[0]
        while parent in PARAMETERS:  # keep the enclosing structure in step with its field
            key = name.rsplit(".", 1)[1]
            values[parent] = MappingProxyType({**values[parent], key: values[name]})
            name, parent = parent, parent.rsplit(".", 1)[0]
    return Parameters(values, tuple(overrides))
