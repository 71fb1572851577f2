"""Scenario files (compliance/SCENARIO-FORMAT.md): load and validate, build facts, run the checks.

Three separate steps, so the desk can later build the same records through its services and derive the facts
from the database instead:

- :func:`load_scenario` reads one YAML file and returns a validated, typed :class:`Scenario` (times aware,
  dates parsed, ids cross-checked). An invalid file raises :class:`ScenarioError` naming the file and the
  field, e.g. ``T15.yaml: checks[2].at: not an ISO 8601 time``. Unknown top-level keys are ignored.
- :func:`scenario_facts` turns a Scenario into :class:`compliance.facts.Facts` (pure).
- :func:`run_checks` answers every check with the engine and judges it (RULES.md §15.3); it takes an optional
  ``facts_for_check(scenario, check) -> Facts`` to supply facts from elsewhere (the database).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml

from compliance import calendar as cal
from compliance import engine
from compliance.facts import (
    ACTIONS,
    Action,
    Address,
    Attempt,
    Attorney,
    Bankruptcy,
    Cease,
    Client,
    Consent,
    CreditReport,
    Debt,
    Deceased,
    Decision,
    Dispute,
    EcaNotice,
    Email,
    Event,
    Facts,
    FapApplication,
    Inconvenient,
    MediumOptOut,
    Move,
    OralFapNotice,
    OriginalCreditorRequest,
    Payment,
    Person,
    Phone,
    ReassignedNumber,
    TcpaRevocation,
    VerificationSent,
)
from compliance.parameters import effective_parameters

__all__ = [
    "CheckResult",
    "Scenario",
    "ScenarioCheck",
    "ScenarioError",
    "ScenarioEvent",
    "check_action",
    "load_scenario",
    "run_checks",
    "run_scenario",
    "scenario_facts",
]

CONSUMER_ID = "consumer"
COMPUTES = ("validation_period_end", "earliest_eca", "earliest_credit_report")
EXPECTS = ("allow", "block", "hold", "warn")
_RULE_ID = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)+$")
_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}  # fmt: skip


class ScenarioError(ValueError):
    """An invalid scenario file; the message names the file and the field."""


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: dates and times stay text, so an impossible date (2025-13-01) is
    reported against its field instead of failing inside the YAML library."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# --- the typed scenario ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScenarioContact:
    id: str
    value: str  # E.164 number or email address
    kind: str  # mobile | home | work | email | work_email
    zones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScenarioAddress:
    city: str
    state: str | None
    zip: str | None
    zone: str
    locality: str | None


@dataclass(frozen=True, slots=True)
class ScenarioPerson:
    id: str
    relation: str
    name: str
    phones: tuple[ScenarioContact, ...]
    emails: tuple[ScenarioContact, ...]


@dataclass(frozen=True, slots=True)
class ScenarioDebt:
    id: str
    provider: str
    balance: Decimal
    service_date: dt.date | None
    first_statement_date: dt.date | None
    dofd: dt.date | None
    student_loan_account: str | None
    placement_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ScenarioEvent:
    """One event: ``type``, the aware instant ``at`` (start of the local day when ``date_only``) and its other
    fields parsed (dates as ``date``, times as aware ``datetime``, lists as tuples, addresses as
    :class:`ScenarioAddress`), defaults of SCENARIO-FORMAT.md applied."""

    index: int
    type: str
    at: dt.datetime
    date_only: bool
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ScenarioCheck:
    index: int
    at: dt.datetime | None
    action: str | None
    compute: str | None
    expect: Any  # allow|block|hold|warn, or a date (None) for a compute
    reasons: tuple[str, ...] = ()
    next_allowed: dt.datetime | None = None
    to: str | None = None
    person: str | None = None
    debts: tuple[str, ...] = ()
    template: str | None = None
    template_text: str | None = None
    automated: bool = False
    payment_deadline: dt.date | None = None
    remedy: str | None = None
    sent: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    path: str
    name: str  # file name, used in messages
    id: str
    title: str
    source: str
    why: str
    tz: str
    client_kind: str
    nonprofit_501r: bool
    settings: Mapping[str, Any]
    consumer: ScenarioPerson
    address: ScenarioAddress
    persons: tuple[ScenarioPerson, ...]
    debts: tuple[ScenarioDebt, ...]
    events: tuple[ScenarioEvent, ...]
    checks: tuple[ScenarioCheck, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown top-level keys, ignored


# --- field readers --------------------------------------------------------------------------------


class _Reader:
    def __init__(self, name: str, tz: str | None = None):
        self.name = name
        self.tz = tz

    def fail(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.name}: {where}: {message}")

    def mapping(self, value: Any, where: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected a mapping, got {_show(value)}")
        return value

    def seq(self, value: Any, where: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise self.fail(where, f"expected a list, got {_show(value)}")
        return list(value)

    def text(self, value: Any, where: str, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise self.fail(where, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(where, f"expected text, got {_show(value)}")
        return str(value)

    def choice(
        self, value: Any, where: str, choices: Sequence[str], default: str | None = None
    ) -> str | None:
        if value is None:
            return default
        if value not in choices:
            raise self.fail(where, f"expected one of {', '.join(choices)}, got {_show(value)}")
        return value

    def boolean(self, value: Any, where: str, default: bool = False) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_show(value)}")
        return value

    def date(self, value: Any, where: str) -> dt.date | None:
        """A date; a time given instead is read as its local date (in tz when it carries an offset)."""
        if value is None:
            return None
        if isinstance(value, str):
            text = value.strip()
            try:
                value = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            except ValueError:
                raise self.fail(where, f"not an ISO 8601 date: {_show(value)}") from None
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None and self.tz:
                value = value.astimezone(cal.zone(self.tz))
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise self.fail(where, f"not an ISO 8601 date: {_show(value)}")

    def instant(self, value: Any, where: str) -> tuple[dt.datetime, bool] | None:
        """An ISO 8601 time (naive = wall clock in tz) or a date (start of that local day, date_only=True)."""
        if value is None:
            return None
        parsed: dt.datetime | dt.date | None = None
        if isinstance(value, dt.datetime | dt.date):
            parsed = value
        elif isinstance(value, str):
            text = value.strip()
            try:
                parsed = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            except ValueError:
                parsed = None
        if parsed is None:
            raise self.fail(where, f"not an ISO 8601 time: {_show(value)}")
        if not isinstance(parsed, dt.datetime):
            return cal.start_of_day(parsed, self.tz), True
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=cal.zone(self.tz))
        return parsed.astimezone(dt.UTC), False

    def clock(self, value: Any, where: str) -> dt.time | None:
        """A local time HH:MM. YAML 1.1 reads an unquoted 13:00 as the base-60 number 780: accept it."""
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return dt.time(value // 60, value % 60)
        if isinstance(value, str):
            try:
                return dt.time.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(where, f"not a local time HH:MM: {_show(value)}")

    def amount(self, value: Any, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise self.fail(where, f"expected an amount, got {_show(value)}")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(where, f"expected an amount, got {_show(value)}") from None
        if not amount.is_finite():
            raise self.fail(where, f"expected an amount, got {_show(value)}")
        return amount


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- loading --------------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file. Raises :class:`ScenarioError` naming the file and the field."""
    path = Path(path)
    name = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except OSError as exc:
        raise ScenarioError(f"{name}: cannot read the file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "YAML"
        raise ScenarioError(f"{name}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    return parse_scenario(raw, name=name, path=str(path))


def parse_scenario(raw: Any, *, name: str = "<scenario>", path: str = "") -> Scenario:  # noqa: C901, PLR0912
    """Validate an already-parsed YAML document (see :func:`load_scenario`)."""
    r = _Reader(name)
    top = r.mapping(raw, "document")
    known = {
        "id",
        "title",
        "source",
        "why",
        "tz",
        "client",
        "consumer",
        "persons",
        "debts",
        "events",
        "checks",
    }
    scenario_id = r.text(top.get("id"), "id", required=True)

    client = r.mapping(top.get("client") or {}, "client")
    client_kind = r.choice(client.get("kind"), "client.kind", ("agency", "first_party"), "agency")
    nonprofit = r.boolean(client.get("nonprofit_501r"), "client.nonprofit_501r")
    settings = r.mapping(client.get("settings") or {}, "client.settings")
    try:
        effective_parameters(dict(settings))
    except ValueError as exc:
        raise r.fail(f"client.settings.{exc}".split(": ", 1)[0], str(exc).split(": ", 1)[-1]) from None

    consumer_raw = r.mapping(top.get("consumer"), "consumer")
    address_raw = r.mapping(consumer_raw.get("address"), "consumer.address")
    tz = top.get("tz")
    if tz is not None:
        tz = r.text(tz, "tz")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise r.fail("tz", f"unknown IANA time zone {_show(tz)}") from None
    address = _address(r, address_raw, "consumer.address", tz)
    tz = tz or address.zone
    r.tz = tz

    contacts: dict[str, tuple[str, str]] = {}  # contact id -> (person id, "phone" | "email")
    consumer = _person(r, consumer_raw, "consumer", CONSUMER_ID, "consumer", contacts)
    persons = []
    person_ids = {CONSUMER_ID}
    for i, item in enumerate(r.seq(top.get("persons"), "persons")):
        where = f"persons[{i}]"
        item = r.mapping(item, where)
        pid = r.text(item.get("id"), f"{where}.id", required=True)
        if pid in person_ids:
            raise r.fail(f"{where}.id", f"duplicate person id {pid!r}")
        person_ids.add(pid)
        relation = r.text(item.get("relation"), f"{where}.relation", required=True)
        persons.append(_person(r, item, where, pid, relation, contacts))

    debts = []
    debt_ids: set[str] = set()
    for i, item in enumerate(r.seq(top.get("debts"), "debts")):
        where = f"debts[{i}]"
        item = r.mapping(item, where)
        did = r.text(item.get("id"), f"{where}.id", required=True)
        if did in debt_ids:
            raise r.fail(f"{where}.id", f"duplicate debt id {did!r}")
        debt_ids.add(did)
        debts.append(
            ScenarioDebt(
                id=did,
                provider=r.text(item.get("provider"), f"{where}.provider") or "",
                balance=r.amount(item.get("balance", "0"), f"{where}.balance"),
                service_date=r.date(item.get("service_date"), f"{where}.service_date"),
                first_statement_date=r.date(
                    item.get("first_statement_date"), f"{where}.first_statement_date"
                ),
                dofd=r.date(item.get("dofd"), f"{where}.dofd"),
                student_loan_account=r.text(
                    item.get("student_loan_account"), f"{where}.student_loan_account"
                ),
                placement_date=r.date(item.get("placement_date"), f"{where}.placement_date"),
            )
        )
    if not debts:
        raise r.fail("debts", "at least one debt is required")

    ctx = _Refs(r, person_ids, contacts, debt_ids)
    events = tuple(_event(ctx, i, item) for i, item in enumerate(r.seq(top.get("events"), "events")))
    checks = tuple(_check(ctx, i, item) for i, item in enumerate(r.seq(top.get("checks"), "checks")))
    return Scenario(
        path=path,
        name=name,
        id=scenario_id,
        title=r.text(top.get("title"), "title") or "",
        source=r.text(top.get("source"), "source") or "",
        why=r.text(top.get("why"), "why") or "",
        tz=tz,
        client_kind=client_kind,
        nonprofit_501r=nonprofit,
        settings=MappingProxyType(dict(settings)),
        consumer=consumer,
        address=address,
        persons=tuple(persons),
        debts=tuple(debts),
        events=events,
        checks=checks,
        extra=MappingProxyType({k: v for k, v in top.items() if k not in known}),
    )


def _address(r: _Reader, raw: Mapping, where: str, zone_name: str | None) -> ScenarioAddress:
    zip_raw = raw.get("zip")
    if zip_raw is not None and not isinstance(zip_raw, str):
        raise r.fail(f"{where}.zip", f"expected the ZIP code as quoted text, got {_show(zip_raw)}")
    state = r.text(raw.get("state"), f"{where}.state")
    if state is not None and not re.fullmatch(r"[A-Z]{2}", state):
        raise r.fail(f"{where}.state", f"expected a two-letter state code, got {_show(state)}")
    explicit = r.text(raw.get("tz") or raw.get("zone"), f"{where}.tz")
    zone_name = explicit or zone_name
    if zone_name is None:
        if zip_raw is None:
            raise r.fail(f"{where}.zip", "is required to find the time zone (or give tz)")
        zone_name = cal.zone_for_zip(zip_raw)
        if zone_name is None:
            raise r.fail(f"{where}.zip", f"unknown ZIP code {_show(zip_raw)}")
    else:
        try:
            cal.zone(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise r.fail(f"{where}.tz", f"unknown IANA time zone {_show(zone_name)}") from None
    locality = r.text(raw.get("locality"), f"{where}.locality")
    if locality is None and zip_raw is not None:
        locality = cal.locality_for_zip(zip_raw)
    return ScenarioAddress(
        city=r.text(raw.get("city"), f"{where}.city") or "",
        state=state or (cal.state_for_zip(zip_raw) if zip_raw else None),
        zip=zip_raw,
        zone=zone_name,
        locality=locality,
    )


def _contact_id(r: _Reader, item: Mapping, where: str, contacts: dict, pid: str, kind: str) -> str:
    """A phone's or email's id, unique across the scenario, registered as `pid`'s."""
    cid = r.text(item.get("id"), f"{where}.id", required=True)
    if cid in contacts:
        raise r.fail(f"{where}.id", f"duplicate contact id {cid!r}")
    contacts[cid] = (pid, kind)
    return cid


def _person(r: _Reader, raw: Mapping, where: str, pid: str, relation: str, contacts: dict) -> ScenarioPerson:
    phones = []
    for i, item in enumerate(r.seq(raw.get("phones"), f"{where}.phones")):
        w = f"{where}.phones[{i}]"
        item = r.mapping(item, w)
        cid = _contact_id(r, item, w, contacts, pid, "phone")
        number = r.text(item.get("number"), f"{w}.number", required=True)
        try:
            parsed = phonenumbers.parse(number, "US")
        except phonenumbers.NumberParseException:
            raise r.fail(f"{w}.number", f"not a phone number: {_show(number)}") from None
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        kind = r.choice(item.get("kind"), f"{w}.kind", ("mobile", "home", "work"), "mobile")
        phones.append(ScenarioContact(cid, e164, kind, cal.phone_zones_for(e164)))
    emails = []
    for i, item in enumerate(r.seq(raw.get("emails"), f"{where}.emails")):
        w = f"{where}.emails[{i}]"
        item = r.mapping(item, w)
        cid = _contact_id(r, item, w, contacts, pid, "email")
        address = r.text(item.get("address"), f"{w}.address", required=True)
        if "@" not in address:
            raise r.fail(f"{w}.address", f"not an email address: {_show(address)}")
        # Optional ``kind: work``: an address the employer provided (PLACE-02).
        kind = r.choice(item.get("kind"), f"{w}.kind", ("personal", "work"), "personal")
        emails.append(ScenarioContact(cid, address, "email" if kind == "personal" else "work_email"))
    return ScenarioPerson(
        pid, relation, r.text(raw.get("name"), f"{where}.name") or "", tuple(phones), tuple(emails)
    )


@dataclass(slots=True)
class _Refs:
    r: _Reader
    persons: set[str]
    contacts: dict[str, tuple[str, str]]
    debts: set[str]

    def person(self, value: Any, where: str) -> str | None:
        pid = self.r.text(value, where)
        if pid is not None and pid not in self.persons:
            raise self.r.fail(where, f"unknown person {pid!r}")
        return pid

    def contact(self, value: Any, where: str, kind: str | None = None) -> str | None:
        """A contact id; ``kind`` "phone" or "email" when the channel needs one."""
        cid = self.r.text(value, where)
        if cid is None:
            return None
        if cid not in self.contacts:
            raise self.r.fail(where, f"unknown phone or email id {cid!r}")
        if kind is not None and self.contacts[cid][1] != kind:
            raise self.r.fail(
                where, f"{cid!r} is not {'a phone number' if kind == 'phone' else 'an email address'}"
            )
        return cid

    def debt_list(self, value: Any, where: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        items = self.r.seq(value, where)
        for i, did in enumerate(items):
            if not isinstance(did, str) or did not in self.debts:
                raise self.r.fail(f"{where}[{i}]", f"unknown debt {_show(did)}")
        return tuple(items)


_EVENT_TYPES = (
    "call",
    "text",
    "email",
    "letter",
    "consent",
    "inconvenient",
    "attorney",
    "cease",
    "medium_optout",
    "tcpa_revocation",
    "reassigned_number",
    "dispute",
    "original_creditor_request",
    "verification_sent",
    "bankruptcy",
    "deceased",
    "fap_application",
    "eca_notice",
    "oral_fap_notice",
    "payment",
    "credit_report",
    "move",
)


def _event(c: _Refs, i: int, raw: Any) -> ScenarioEvent:  # noqa: C901, PLR0912, PLR0915
    r = c.r
    w = f"events[{i}]"
    raw = r.mapping(raw, w)
    etype = r.choice(raw.get("type"), f"{w}.type", _EVENT_TYPES)
    if etype is None:
        raise r.fail(f"{w}.type", "is required")
    when = r.instant(raw.get("at"), f"{w}.at")
    if when is None:
        raise r.fail(f"{w}.at", "is required")
    at, date_only = when
    g = raw.get
    data: dict[str, Any] = {}
    if etype in ("call", "text", "email", "letter"):
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["direction"] = r.choice(g("direction"), f"{w}.direction", ("outbound", "inbound"), "outbound")
        if etype != "letter":
            data["to"] = c.contact(g("to"), f"{w}.to", "email" if etype == "email" else "phone")
            data["automated"] = r.boolean(g("automated"), f"{w}.automated")
            data["template"] = r.text(g("template"), f"{w}.template")
        if etype == "call":
            data["person"] = c.person(g("person"), f"{w}.person")
            data["disposition"] = r.text(g("disposition"), f"{w}.disposition") or "unknown"
        if etype == "letter":
            data["template"] = r.text(g("template"), f"{w}.template")
            data["returned"] = r.date(g("returned"), f"{w}.returned")
            data["payment_deadline"] = r.date(g("payment_deadline"), f"{w}.payment_deadline")
            data["remedy"] = r.text(g("remedy"), f"{w}.remedy")
    elif etype == "consent":
        data["person"] = c.person(g("person"), f"{w}.person")
        data["given_to"] = r.choice(g("given_to"), f"{w}.given_to", ("collector", "creditor"), "collector")
        scope = g("scope")
        if isinstance(scope, Mapping):
            start = r.instant(scope.get("from"), f"{w}.scope.from")
            end = r.instant(scope.get("to"), f"{w}.scope.to")
            if start is None or end is None:
                raise r.fail(f"{w}.scope", "a time range needs from and to")
            if end[0] <= start[0]:
                raise r.fail(f"{w}.scope.to", "must be later than from")
            data["scope"] = "window"
            data["from"], data["until"] = start[0], end[0]
        else:
            data["scope"] = r.choice(scope, f"{w}.scope", ("one_call", "automated", "electronic"), "one_call")
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["to"] = c.contact(g("to"), f"{w}.to", "phone" if data["scope"] == "automated" else None)
        if data["scope"] in ("automated", "electronic") and data["to"] is None:
            raise r.fail(f"{w}.to", f"is required for scope {data['scope']}")
        data["written"] = r.boolean(g("written"), f"{w}.written")
    elif etype == "inconvenient":
        data["person"] = c.person(g("person"), f"{w}.person")
        days = g("weekdays")
        if days is None:
            data["weekdays"] = frozenset(range(7))
        else:
            out = set()
            for k, day in enumerate(r.seq(days, f"{w}.weekdays")):
                key = str(day).strip().lower()
                if key not in _WEEKDAYS:
                    raise r.fail(f"{w}.weekdays[{k}]", f"not a weekday name: {_show(day)}")
                out.add(_WEEKDAYS[key])
            data["weekdays"] = frozenset(out)
        data["from"] = r.clock(g("from"), f"{w}.from")
        data["to"] = r.clock(g("to"), f"{w}.to")
        data["place"] = r.text(g("place"), f"{w}.place")
        data["written"] = r.boolean(g("written"), f"{w}.written")
    elif etype == "attorney":
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["name"] = r.text(g("name"), f"{w}.name") or ""
        data["phone"] = r.text(g("phone"), f"{w}.phone") or ""
    elif etype == "cease":
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["written"] = r.boolean(g("written"), f"{w}.written", default=True)
        data["received"] = r.date(g("received"), f"{w}.received")
    elif etype == "medium_optout":
        medium = r.text(g("medium"), f"{w}.medium", required=True)
        if medium not in ("phone", "call", "text", "email", "letter", "mail") and medium not in c.contacts:
            raise r.fail(f"{w}.medium", f"expected phone, text, email or a contact id, got {_show(medium)}")
        data["medium"] = medium
        data["person"] = c.person(g("person"), f"{w}.person")
    elif etype in ("tcpa_revocation", "reassigned_number"):
        data["to"] = c.contact(g("to"), f"{w}.to", "phone")
        if data["to"] is None:
            raise r.fail(f"{w}.to", "is required")
        if etype == "reassigned_number":
            data["disconnected"] = r.date(g("disconnected"), f"{w}.disconnected")
    elif etype in ("dispute", "original_creditor_request"):
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["written"] = r.boolean(g("written"), f"{w}.written")
    elif etype in ("verification_sent", "oral_fap_notice", "credit_report"):
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
    elif etype == "bankruptcy":
        data["chapter"] = r.text(g("chapter"), f"{w}.chapter")
        data["status"] = r.choice(g("status"), f"{w}.status", ("filed", "discharged", "dismissed"), "filed")
    elif etype == "fap_application":
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["status"] = r.choice(
            g("status"), f"{w}.status", ("incomplete", "complete", "approved", "denied"), "incomplete"
        )
        data["discount"] = r.text(g("discount"), f"{w}.discount")
    elif etype == "eca_notice":
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["deadline"] = r.date(g("deadline"), f"{w}.deadline")
        data["pls"] = r.boolean(g("pls"), f"{w}.pls")
    elif etype == "payment":
        data["debts"] = c.debt_list(g("debts"), f"{w}.debts")
        data["amount"] = r.amount(g("amount"), f"{w}.amount")
    elif etype == "move":
        data["address"] = _address(r, r.mapping(g("address"), f"{w}.address"), f"{w}.address", None)
    return ScenarioEvent(i, etype, at, date_only, MappingProxyType(data))


def _check(c: _Refs, i: int, raw: Any) -> ScenarioCheck:  # noqa: C901, PLR0912
    r = c.r
    w = f"checks[{i}]"
    raw = r.mapping(raw, w)
    g = raw.get
    action = g("action")
    compute = g("compute")
    if (action is None) == (compute is None):
        raise r.fail(w, "give exactly one of action or compute")
    if action is not None and action not in ACTIONS:
        raise r.fail(f"{w}.action", f"expected one of {', '.join(sorted(ACTIONS))}, got {_show(action)}")
    if compute is not None and compute not in COMPUTES:
        raise r.fail(f"{w}.compute", f"expected one of {', '.join(COMPUTES)}, got {_show(compute)}")
    when = r.instant(g("at"), f"{w}.at")
    if action is not None and when is None:
        raise r.fail(f"{w}.at", "is required")
    if "expect" not in raw:
        raise r.fail(f"{w}.expect", "is required")
    if action is not None:
        expect = r.choice(g("expect"), f"{w}.expect", EXPECTS)
        if expect is None:
            raise r.fail(f"{w}.expect", f"expected one of {', '.join(EXPECTS)}")
    else:
        expect = r.date(g("expect"), f"{w}.expect")
    reasons = []
    for k, rule in enumerate(r.seq(g("reasons"), f"{w}.reasons")):
        if not isinstance(rule, str) or not _RULE_ID.match(rule):
            raise r.fail(f"{w}.reasons[{k}]", f"not a rule id: {_show(rule)}")
        reasons.append(rule)
    next_allowed = r.instant(g("next_allowed"), f"{w}.next_allowed")
    sent = r.date(g("sent"), f"{w}.sent")
    if compute == "validation_period_end" and sent is None:
        raise r.fail(f"{w}.sent", "is required for validation_period_end")
    debts = c.debt_list(g("debts"), f"{w}.debts")
    if compute in ("earliest_eca", "earliest_credit_report") and not debts:
        raise r.fail(f"{w}.debts", f"is required for {compute}")
    person = c.person(g("person"), f"{w}.person")
    needs = {"call": "phone", "voicemail": "phone", "text": "phone", "email": "email"}.get(action or "")
    to = c.contact(g("to"), f"{w}.to", needs)
    if to is not None and person is not None and c.contacts[to][0] != person:
        raise r.fail(f"{w}.to", f"{to!r} is not a contact of {person!r}")
    return ScenarioCheck(
        index=i,
        at=when[0] if when else None,
        action=action,
        compute=compute,
        expect=expect,
        reasons=tuple(reasons),
        next_allowed=next_allowed[0] if next_allowed else None,
        to=to,
        person=person,
        debts=debts,
        template=r.text(g("template"), f"{w}.template"),
        template_text=r.text(g("template_text"), f"{w}.template_text"),
        automated=r.boolean(g("automated"), f"{w}.automated"),
        payment_deadline=r.date(g("payment_deadline"), f"{w}.payment_deadline"),
        remedy=r.text(g("remedy"), f"{w}.remedy"),
        sent=sent,
    )


# --- facts ----------------------------------------------------------------------------------------


def _facts_person(sp: ScenarioPerson) -> Person:
    return Person(
        id=sp.id,
        relation=sp.relation,
        name=sp.name,
        phones=tuple(Phone(id=p.id, number=p.value, kind=p.kind, zones=p.zones) for p in sp.phones),
        emails=tuple(
            Email(id=e.id, address=e.value, employer_provided=e.kind == "work_email") for e in sp.emails
        ),
    )


def _facts_address(a: ScenarioAddress) -> Address:
    return Address(state=a.state, zone=a.zone, zip=a.zip, city=a.city, locality=a.locality)


def scenario_facts(scenario: Scenario) -> Facts:
    """The facts a scenario describes (every debt is medical unless it has a student_loan_account)."""
    events = [_facts_event(scenario, ev) for ev in scenario.events]
    return Facts(
        consumer=_facts_person(scenario.consumer),
        address=_facts_address(scenario.address),
        debts=tuple(
            Debt(
                id=d.id,
                provider=d.provider,
                balance=d.balance,
                service_date=d.service_date,
                first_statement_date=d.first_statement_date,
                dofd=d.dofd,
                placement_date=d.placement_date,
                student_loan_account=d.student_loan_account,
                medical=d.student_loan_account is None,
            )
            for d in scenario.debts
        ),
        client=Client(
            kind=scenario.client_kind,
            nonprofit_501r=scenario.nonprofit_501r,
            settings=scenario.settings,
        ),
        persons=tuple(_facts_person(p) for p in scenario.persons),
        events=tuple(events),
    )


def _facts_event(s: Scenario, ev: ScenarioEvent) -> Event:  # noqa: C901, PLR0911, PLR0912
    d = ev.data
    base = {"at": ev.at, "date_only": ev.date_only}
    t = ev.type
    if t in ("call", "text", "email", "letter"):
        return Attempt(
            **base,
            channel=t,
            direction=d["direction"],
            person=d.get("person") or "",
            to=d.get("to"),
            debts=d["debts"],
            disposition=d.get("disposition"),
            automated=d.get("automated", False),
            template=d.get("template"),
            returned_on=d.get("returned"),
            payment_deadline=d.get("payment_deadline"),
            remedy=d.get("remedy"),
        )
    if t == "consent":
        return Consent(
            **base,
            person=d["person"] or "",
            given_to=d["given_to"],
            scope=d["scope"],
            window_from=d.get("from"),
            window_to=d.get("until"),
            debts=d["debts"],
            to=d["to"],
            written=d["written"],
        )
    if t == "inconvenient":
        return Inconvenient(
            **base,
            person=d["person"] or "",
            weekdays=d["weekdays"],
            start=d["from"],
            end=d["to"],
            place=d["place"],
            written=d["written"],
        )
    if t == "attorney":
        return Attorney(**base, debts=d["debts"], name=d["name"], phone=d["phone"])
    if t == "cease":
        received = d["received"]
        if d["written"] and received is not None:  # a mailed request takes effect on receipt
            return Cease(
                at=cal.start_of_day(received, s.tz),
                date_only=True,
                debts=d["debts"],
                written=True,
                mailed_on=ev.at.astimezone(cal.zone(s.tz)).date(),
            )
        return Cease(**base, debts=d["debts"], written=d["written"])
    if t == "medium_optout":
        return MediumOptOut(**base, medium=d["medium"], person=d["person"] or "")
    if t == "tcpa_revocation":
        return TcpaRevocation(**base, to=d["to"])
    if t == "reassigned_number":
        return ReassignedNumber(**base, to=d["to"], disconnected=d["disconnected"])
    if t == "dispute":
        return Dispute(**base, debts=d["debts"], written=d["written"])
    if t == "original_creditor_request":
        return OriginalCreditorRequest(**base, debts=d["debts"], written=d["written"])
    if t == "verification_sent":
        return VerificationSent(**base, debts=d["debts"])
    if t == "bankruptcy":
        return Bankruptcy(**base, status=d["status"], chapter=d["chapter"])
    if t == "deceased":
        return Deceased(**base)
    if t == "fap_application":
        return FapApplication(**base, debts=d["debts"], status=d["status"], discount=d["discount"])
    if t == "eca_notice":
        return EcaNotice(**base, debts=d["debts"], deadline=d["deadline"], pls=d["pls"])
    if t == "oral_fap_notice":
        return OralFapNotice(**base, debts=d["debts"])
    if t == "payment":
        return Payment(**base, debts=d["debts"], amount=d["amount"])
    if t == "credit_report":
        return CreditReport(**base, debts=d["debts"])
    if t == "move":
        return Move(**base, address=_facts_address(d["address"]))
    raise AssertionError(t)  # pragma: no cover - the loader validated the type


def check_action(check: ScenarioCheck) -> Action:
    """The engine's Action for an ``action`` check (a settlement offer is judged as a collection letter)."""
    return Action(
        kind=check.action,
        debts=check.debts,
        to=check.to,
        person=check.person,
        template=check.template,
        template_text=check.template_text,
        automated=check.automated,
        payment_deadline=check.payment_deadline,
        remedy=check.remedy,
    )


# --- running --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    scenario: str
    index: int
    passed: bool
    expected: str
    got: str
    detail: str = ""
    reasons: tuple[str, ...] = ()  # every rule id the engine returned
    messages: tuple[str, ...] = ()  # the engine's messages
    decision: Decision | None = None

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        text = f"{self.scenario} checks[{self.index}] {status}: expected {self.expected}, got {self.got}"
        if self.detail:
            text += f" ({self.detail})"
        return text


FactsForCheck = Callable[[Scenario, ScenarioCheck], Facts]


def _same_second(a: dt.datetime, b: dt.datetime) -> bool:
    return int(a.timestamp()) == int(b.timestamp())


def judge(check: ScenarioCheck, decision: Decision) -> tuple[bool, str]:
    """RULES.md §15.3: (passed, why not)."""
    ids = set(decision.rule_ids)
    if check.expect == "allow":
        ok = decision.outcome in ("allow", "warn")
        problems = [] if ok else [f"outcome {decision.outcome}"]
    else:
        pool = set(decision.warnings) if check.expect == "warn" else ids
        missing = [rule for rule in check.reasons if rule not in pool]
        problems = [] if decision.outcome == check.expect else [f"outcome {decision.outcome}"]
        if missing:
            problems.append(f"missing {', '.join(missing)}")
    if check.next_allowed is not None:
        got = decision.next_allowed
        if got is None or not _same_second(got, check.next_allowed):
            problems.append(
                f"next_allowed {got.isoformat() if got else None}, expected {check.next_allowed.isoformat()}"
            )
    return not problems, "; ".join(problems)


def run_checks(scenario: Scenario, facts_for_check: FactsForCheck | None = None) -> list[CheckResult]:
    """Answer and judge every check. ``facts_for_check`` supplies the facts for a check (default: the pure
    facts of the scenario, built once)."""
    if facts_for_check is None:
        facts = scenario_facts(scenario)

        def facts_for_check(_s: Scenario, _c: ScenarioCheck) -> Facts:
            return facts

    results = []
    for check in scenario.checks:
        facts = facts_for_check(scenario, check)
        if check.compute is not None:
            results.append(_run_compute(scenario, check, facts))
            continue
        decision = engine.evaluate(facts, check_action(check), check.at)
        passed, detail = judge(check, decision)
        got = decision.outcome
        if decision.reasons:
            got += f" [{', '.join(decision.rule_ids)}]"
        if decision.next_allowed is not None:
            got += f" next {decision.next_allowed.astimezone(cal.zone(scenario.tz)).isoformat()}"
        expected = check.expect + (f" [{', '.join(check.reasons)}]" if check.reasons else "")
        results.append(
            CheckResult(
                scenario=scenario.name,
                index=check.index,
                passed=passed,
                expected=expected,
                got=got,
                detail=detail,
                reasons=decision.rule_ids,
                messages=tuple(reason.message for reason in decision.reasons),
                decision=decision,
            )
        )
    return results


def _run_compute(scenario: Scenario, check: ScenarioCheck, facts: Facts) -> CheckResult:
    if check.compute == "validation_period_end":
        got = engine.validation_period_end(check.sent, scenario.settings)
    elif check.compute == "earliest_eca":
        got = engine.earliest_eca(facts, check.debts, check.at)
    else:
        got = engine.earliest_credit_report(facts, check.debts, check.at)
    return CheckResult(
        scenario=scenario.name,
        index=check.index,
        passed=got == check.expect,
        expected=str(check.expect),
        got=str(got),
    )


def run_scenario(path: str | Path, facts_for_check: FactsForCheck | None = None) -> list[CheckResult]:
    return run_checks(load_scenario(path), facts_for_check)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m compliance.scenarios FILE...``: print each check; exit 1 on a failure or a bad file."""
    failed = 0
    for name in argv if argv is not None else sys.argv[1:]:
        try:
            results = run_scenario(name)
        except ScenarioError as exc:
            print(f"ERROR {exc}")  # noqa: T201
            failed += 1
            continue
        for result in results:
            print(result)  # noqa: T201
            failed += not result.passed
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
