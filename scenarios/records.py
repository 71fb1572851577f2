"""A scenario file's story told to the desk: its client, consumer, contact points, accounts and events
recorded through the project's own services, then every check asked of the compliance engine on facts
read back from the database (compliance.selectors), exactly as the queue and the workspace ask.

`run_scenario_on_records` does it inside a transaction that it rolls back: nothing stays behind.

What the desk cannot record is reported, not faked: student loans pooled as one debt
(`student_loan_account`) raise Unrepresentable (the desk holds medical accounts), and the command
reports the scenario as not run on records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Client, PatientAccount, Person
from accounts.services import ledger_post
from compliance import calendar as cal
from compliance import facts as F
from compliance.models import AccountNotice, Hold
from compliance.scenarios import (
    CheckResult,
    Scenario,
    ScenarioCheck,
    ScenarioError,
    ScenarioEvent,
    run_checks,
)
from compliance.selectors import consumer_id, email_id, facts_for_guarantors, phone_id
from compliance.services import hold_place, hold_release, notice_record
from contacts.models import Address, ContactPreference, Disposition
from contacts.services import (
    address_add,
    contact_attempt_log,
    contact_preference_record,
    email_add,
    phone_add,
    related_party_add,
)
from staff.models import Team


class Unrepresentable(Exception):
    """The scenario uses something the desk's records cannot hold yet."""


class _Rollback(Exception):
    pass


@dataclasses.dataclass
class _Desk:
    """The records made for one scenario, and the way back from database ids to the file's ids."""

    scenario: Scenario
    client: Client
    person: Person
    accounts: dict[str, PatientAccount]  # scenario debt id -> account
    phones: dict[str, Any]
    emails: dict[str, Any]
    names: dict[str, str]  # engine id of a record -> the scenario's id
    others: dict[str, Person]  # scenario person id -> Person (the consumer too)

    def person_of(self, data: Any) -> Person:
        """The person an event is about: named, else the owner of the contact point it used."""
        if data.get("person"):
            return self.others[data["person"]]
        point = self.phones.get(data.get("to")) or self.emails.get(data.get("to"))
        return point.person if point is not None else self.person

    def debts(self, ids: Iterable[str]) -> list[PatientAccount]:
        chosen = list(ids) or list(self.accounts)
        return [self.accounts[i] for i in chosen]


def run_scenario_on_records(scenario: Scenario) -> list[CheckResult]:
    """Record the scenario through the services, answer its checks from the records, roll back."""
    results: list[CheckResult] = []
    try:
        with transaction.atomic():
            desk = _record(scenario)
            results = run_checks(scenario, _facts_reader(desk))
            raise _Rollback
    except _Rollback:
        pass
    return results


def _record(s: Scenario) -> _Desk:
    if any(d.student_loan_account for d in s.debts):
        raise Unrepresentable("student loans (student_loan_account): it holds medical accounts only")
    start = min([e.at for e in s.events] + [c.at for c in s.checks if c.at] + [_now()]) - dt.timedelta(
        days=3650
    )
    team, _ = Team.objects.get_or_create(name="Scenarios")
    client = Client(
        code=f"scenario-{s.id}".lower()[:20],
        name=f"Scenario {s.id}",
        kind=Client.Kind.FIRST_PARTY if s.client_kind == "first_party" else Client.Kind.AGENCY,
        nonprofit_501r=s.nonprofit_501r,
        policy_overrides={"compliance": dict(s.settings)},
    )
    client.full_clean()
    client.save()
    first, _, last = (s.consumer.name or "Scenario Consumer").partition(" ")
    person = Person(first_name=first or "Scenario", last_name=last or "Consumer", created_at=start)
    person.full_clean()
    person.save()
    names = {consumer_id(person.pk): s.consumer.id}
    phones: dict[str, Any] = {}
    emails: dict[str, Any] = {}
    others = {s.consumer.id: person}
    with _field(s, "consumer.address"):
        _address(person, s.address, at=start)
    _contacts(s, "consumer", person, s.consumer, phones, emails, names)
    for n, other in enumerate(s.persons):
        first_other, _, last_other = (other.name or other.id).partition(" ")
        with _field(s, f"persons[{n}]"):
            party = related_party_add(
                consumer=person,
                first_name=first_other,
                last_name=last_other,
                relation=other.relation,
                actor=None,
            )
        others[other.id] = party.person
        names[consumer_id(party.person.pk)] = other.id
        _contacts(s, f"persons[{n}]", party.person, other, phones, emails, names)
    accounts = {}
    for number, debt in enumerate(s.debts, start=1):
        service = debt.service_date or (debt.dofd or start.date())
        account = PatientAccount(
            client=client,
            client_account_number=f"{s.id}-{debt.id}",
            guarantor=person,
            patient=person,
            service_date_from=service,
            service_date_to=service,
            first_statement_date=debt.first_statement_date,
            first_delinquency_date=debt.dofd,
            placement_date=debt.placement_date or debt.first_statement_date or service,
            team=team,
            created_at=start + dt.timedelta(seconds=number),
        )
        with _field(s, f"debts[{number - 1}]"):
            account.full_clean(exclude=["balance"])
        account.save()
        if debt.balance > 0:
            ledger_post(
                account=account, kind="charge", amount=debt.balance, effective_date=service, actor=None
            )
        accounts[debt.id] = account
        names[str(account.pk)] = debt.id
    desk = _Desk(s, client, person, accounts, phones, emails, names, others)
    for event in s.events:
        with _field(s, f"events[{event.index}] ({event.type})"):
            _EVENTS[event.type](desk, event)
    return desk


def _contacts(
    s: Scenario,
    where: str,
    person: Person,
    sp: Any,
    phones: dict[str, Any],
    emails: dict[str, Any],
    names: dict[str, str],
) -> None:
    for i, contact in enumerate(sp.phones):
        with _field(s, f"{where}.phones[{i}]"):
            phone = phone_add(
                person=person, number=contact.value, kind=contact.kind, actor=None, source="consumer"
            )
        phones[contact.id] = phone
        names[phone_id(phone.pk)] = contact.id
    for i, contact in enumerate(sp.emails):
        with _field(s, f"{where}.emails[{i}]"):
            email = email_add(person=person, address=contact.value, actor=None, source="consumer")
        emails[contact.id] = email
        names[email_id(email.pk)] = contact.id


@contextmanager
def _field(s: Scenario, where: str) -> Iterator[None]:
    """A record the desk refuses (an unknown ZIP, a number not in service…) is the file's error: name it."""
    try:
        yield
    except ValidationError as exc:
        raise ScenarioError(f"{s.name}: {where}: {' '.join(exc.messages)}") from exc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _address(person: Person, address: Any, *, at: dt.datetime) -> Address:
    return address_add(
        person=person,
        line1="1 Scenario Street",
        city=address.city or "Unknown",
        state=address.state or "",
        zip_code=address.zip or "",
        actor=None,
        source="consumer",
        at=at,
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# --- events --------------------------------------------------------------------------------------


def _attempt(desk: _Desk, ev: ScenarioEvent) -> None:
    d, channel = ev.data, ev.type
    to = d.get("to")
    details = {
        key: value
        for key, value in (
            ("automated", d.get("automated") or None),
            ("template", d.get("template")),
            ("returned_on", _iso(d.get("returned"))),
            ("payment_deadline", _iso(d.get("payment_deadline"))),
            ("remedy", d.get("remedy")),
        )
        if value is not None
    }
    address = None
    if channel == "letter":
        addressee = desk.person_of(d)
        address = addressee.addresses.filter(created_at__lte=ev.at).order_by("-created_at", "-pk").first()
        address = address or addressee.addresses.order_by("created_at", "pk").first()
    contact_attempt_log(
        accounts=desk.debts(d.get("debts") or ()),
        channel=channel,
        disposition=d.get("disposition") or Disposition.SENT,
        actor=None,
        phone=desk.phones.get(to) if channel in ("call", "text") else None,
        email=desk.emails.get(to) if channel == "email" else None,
        address=address,
        direction=d.get("direction") or "outbound",
        occurred_at=ev.at,
        details=details,
        person=desk.person_of(d),
    )


def _preference(kind: str, details: Callable[[dict], dict]) -> Callable[[_Desk, ScenarioEvent], None]:
    def record(desk: _Desk, ev: ScenarioEvent) -> None:
        to = ev.data.get("to")
        medium = ev.data.get("medium")
        if kind == ContactPreference.Kind.MEDIUM_OPTOUT and medium in (
            desk.phones.keys() | desk.emails.keys()
        ):
            to, medium = medium, None
        contact_preference_record(
            person=desk.person_of(ev.data),
            kind=kind,
            actor=None,
            occurred_at=ev.at,
            phone=desk.phones.get(to),
            email=desk.emails.get(to),
            accounts=desk.debts(ev.data.get("debts") or ()) if ev.data.get("debts") else (),
            details={
                **details(ev.data),
                **({"medium": medium} if kind == "medium_optout" and medium else {}),
            },
        )

    return record


def _consent(d: dict) -> dict:
    return {
        "given_to": d.get("given_to") or "collector",
        "scope": d.get("scope") or "one_call",
        "from": _iso(d.get("from")),
        "until": _iso(d.get("until")),
        "written": bool(d.get("written")),
    }


def _inconvenient(d: dict) -> dict:
    return {
        "weekdays": sorted(d.get("weekdays") or range(7)),
        "from": d["from"].isoformat(timespec="minutes") if d.get("from") else None,
        "to": d["to"].isoformat(timespec="minutes") if d.get("to") else None,
        "place": d.get("place"),
        "written": bool(d.get("written")),
    }


def _hold(kind: str) -> Callable[[_Desk, ScenarioEvent], None]:
    def record(desk: _Desk, ev: ScenarioEvent) -> None:
        d = ev.data
        details: dict[str, Any] = {}
        if kind == Hold.Kind.ATTORNEY:
            details = {"attorney_name": d.get("name") or "", "attorney_phone": d.get("phone") or ""}
        for account in desk.debts(d.get("debts") or ()):
            if Hold.objects.filter(account=account, kind=kind, released_at__isnull=True).exists():
                continue  # said again: the open hold already records it
            hold_place(
                account=account,
                kind=kind,
                actor=None,
                medium=Hold.Medium.WRITTEN if d.get("written") else Hold.Medium.ORAL,
                details=details,
                received_on=d.get("received") or cal.local_date(ev.at, desk.scenario.tz),
                placed_at=ev.at,
            )

    return record


def _bankruptcy(desk: _Desk, ev: ScenarioEvent) -> None:
    status, chapter = ev.data.get("status") or "filed", ev.data.get("chapter")
    open_holds = Hold.objects.filter(
        account__guarantor=desk.person, kind=Hold.Kind.BANKRUPTCY, released_at__isnull=True
    )
    if status != "filed" and open_holds.exists():
        for hold in open_holds:
            hold_release(hold=hold, actor=None, reason=status, released_at=ev.at)
        return
    for account in desk.accounts.values():
        hold_place(
            account=account,
            kind=Hold.Kind.BANKRUPTCY,
            actor=None,
            details={
                "bankruptcy_status": status,
                **({"bankruptcy_chapter": str(chapter)} if chapter else {}),
            },
            placed_at=ev.at,
        )


def _deceased(desk: _Desk, ev: ScenarioEvent) -> None:
    for account in desk.accounts.values():
        hold_place(account=account, kind=Hold.Kind.DECEASED, actor=None, placed_at=ev.at)


def _notice(kind: str, details: Callable[[dict], dict]) -> Callable[[_Desk, ScenarioEvent], None]:
    def record(desk: _Desk, ev: ScenarioEvent) -> None:
        notice_record(
            accounts=desk.debts(ev.data.get("debts") or ()),
            kind=kind,
            actor=None,
            occurred_at=ev.at,
            details=details(ev.data),
        )

    return record


def _payment(desk: _Desk, ev: ScenarioEvent) -> None:
    accounts = desk.debts(ev.data.get("debts") or ())
    amount = Decimal(ev.data["amount"])
    for i, account in enumerate(accounts):
        share = amount if i == 0 else Decimal("0")  # a payment names its debt; several: the first takes it
        if share > 0:
            ledger_post(
                account=account,
                kind="patient_payment",
                amount=share,
                effective_date=cal.local_date(ev.at, desk.scenario.tz),
                actor=None,
            )


def _move(desk: _Desk, ev: ScenarioEvent) -> None:
    _address(desk.person, ev.data["address"], at=ev.at)


_EVENTS: dict[str, Callable[[_Desk, ScenarioEvent], None]] = {
    "call": _attempt,
    "text": _attempt,
    "email": _attempt,
    "letter": _attempt,
    "consent": _preference(ContactPreference.Kind.CONSENT, _consent),
    "inconvenient": _preference(ContactPreference.Kind.INCONVENIENT, _inconvenient),
    "medium_optout": _preference(ContactPreference.Kind.MEDIUM_OPTOUT, lambda d: {}),
    "tcpa_revocation": _preference(ContactPreference.Kind.TCPA_REVOCATION, lambda d: {}),
    "reassigned_number": _preference(
        ContactPreference.Kind.REASSIGNED_NUMBER, lambda d: {"disconnected": _iso(d.get("disconnected"))}
    ),
    "attorney": _hold(Hold.Kind.ATTORNEY),
    "cease": _hold(Hold.Kind.CEASE),
    "dispute": _hold(Hold.Kind.DISPUTE),
    "bankruptcy": _bankruptcy,
    "deceased": _deceased,
    "original_creditor_request": _notice(
        AccountNotice.Kind.ORIGINAL_CREDITOR_REQUEST, lambda d: {"written": bool(d.get("written"))}
    ),
    "verification_sent": _notice(AccountNotice.Kind.VERIFICATION_SENT, lambda d: {}),
    "fap_application": _notice(
        AccountNotice.Kind.FAP_APPLICATION,
        lambda d: {"status": d.get("status") or "incomplete", "discount": _text(d.get("discount"))},
    ),
    "eca_notice": _notice(
        AccountNotice.Kind.ECA_NOTICE,
        lambda d: {"deadline": _iso(d.get("deadline")), "pls": bool(d.get("pls"))},
    ),
    "oral_fap_notice": _notice(AccountNotice.Kind.ORAL_FAP_NOTICE, lambda d: {}),
    "credit_report": _notice(AccountNotice.Kind.CREDIT_REPORT, lambda d: {}),
    "payment": _payment,
    "move": _move,
}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# --- reading the facts back ----------------------------------------------------------------------


def _facts_reader(desk: _Desk) -> Callable[[Scenario, ScenarioCheck], F.Facts]:
    def read(_scenario: Scenario, check: ScenarioCheck) -> F.Facts:
        now = check.at or _now()
        facts = facts_for_guarantors([desk.person.pk], now=now, history=None)[
            (desk.person.pk, desk.client.pk)
        ]
        return _relabel(facts, desk.names)

    return read


def _relabel(value: Any, names: dict[str, str]) -> Any:
    """The same facts with the scenario's ids instead of the database's (so the checks, which name the
    file's debts and contact points, ask about the records made for them)."""
    if isinstance(value, F.Facts):
        return F.Facts(
            consumer=_relabel(value.consumer, names),
            address=value.address,
            debts=tuple(_relabel(d, names) for d in value.debts),
            client=value.client,
            persons=tuple(_relabel(p, names) for p in value.persons),
            events=tuple(_relabel(e, names) for e in value.events),
        )
    if not dataclasses.is_dataclass(value):
        return value
    changes = {}
    for field in dataclasses.fields(value):
        current = getattr(value, field.name)
        if field.name in ("id", "to", "person", "guarantor") and isinstance(current, str):
            changes[field.name] = names.get(current, current)
        elif field.name == "debts" and isinstance(current, tuple):
            changes[field.name] = tuple(names.get(x, x) for x in current)
        elif field.name in ("phones", "emails"):
            changes[field.name] = tuple(_relabel(x, names) for x in current)
    return dataclasses.replace(value, **changes)
