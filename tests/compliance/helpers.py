"""Small builders for pure compliance-engine tests (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from compliance.calendar import phone_zones_for
from compliance.facts import Action, Address, Attempt, Client, Debt, Email, Facts, Person, Phone

DENVER = "America/Denver"
NEW_YORK = "America/New_York"
CHICAGO = "America/Chicago"


def local(
    zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
):
    """An aware instant from a wall-clock time in ``zone``."""
    return dt.datetime(year, month, day, hour, minute, second, us, tzinfo=ZoneInfo(zone))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def phone(pid: str, number: str, kind: str = "mobile") -> Phone:
    return Phone(id=pid, number=number, kind=kind, zones=phone_zones_for(number))


def debt(did: str = "H1", provider: str = "Mercy General Hospital", **kw) -> Debt:
    kw.setdefault("balance", Decimal("1240.00"))
    kw.setdefault("first_statement_date", dt.date(2025, 2, 10))
    kw.setdefault("dofd", dt.date(2025, 3, 1))
    return Debt(id=did, provider=provider, **kw)


def facts(
    *,
    zone: str = DENVER,
    state: str = "CO",
    phones: tuple[Phone, ...] | None = None,
    emails: tuple[Email, ...] = (Email("personal", "pat@example.org"),),
    debts: tuple[Debt, ...] | None = None,
    persons: tuple[Person, ...] = (),
    events: tuple = (),
    client: Client | None = None,
    settings: dict | None = None,
    locality: str | None = None,
) -> Facts:
    if phones is None:
        phones = (phone("mobile", "+13035550100"),)
    return Facts(
        consumer=Person(id="consumer", relation="consumer", name="Pat Doe", phones=phones, emails=emails),
        address=Address(state=state, zone=zone, locality=locality),
        debts=debts if debts is not None else (debt(),),
        client=client or Client(settings=settings or {}),
        persons=persons,
        events=tuple(events),
    )


def call(at: dt.datetime, to: str = "mobile", debts=("H1",), disposition: str = "no_answer", **kw) -> Attempt:
    return Attempt(at=at, channel="call", to=to, debts=tuple(debts), disposition=disposition, **kw)


def text(at: dt.datetime, to: str = "mobile", debts=("H1",), **kw) -> Attempt:
    return Attempt(at=at, channel="text", to=to, debts=tuple(debts), **kw)


def letter(at: dt.datetime, debts=("H1",), template: str = "validation_notice", **kw) -> Attempt:
    return Attempt(at=at, channel="letter", debts=tuple(debts), template=template, date_only=True, **kw)


def call_action(to: str = "mobile", debts=("H1",), **kw) -> Action:
    return Action(kind="call", to=to, debts=tuple(debts), **kw)
