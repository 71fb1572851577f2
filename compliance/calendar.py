"""Dates, local times and zones for the compliance engine (pure Python, no database).

- Federal holidays: the legal public holidays of 5 U.S.C. 6103(a) from the `holidays` package, with
  **both** the actual and the observed date (6103(b): Saturday -> Friday before, Sunday -> Monday after),
  RULES.md §12, C-14.
- Business days skip Saturdays, Sundays and every such holiday (VAL-04, TCPA-02).
- Zones: ZIP -> IANA zone through ``collections_desk.lib.timezones`` (the same `zipcodes` lookup the contacts
  app uses); phone -> zones by area code through ``collections_desk.lib.phones`` (`phonenumbers.timezone`).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import phonenumbers
import zipcodes
from django.core.exceptions import ValidationError
from phonenumbers import timezone as pn_timezone

from collections_desk.lib.timezones import normalize_zip
from collections_desk.lib.timezones import state_for_zip as _lib_state_for_zip
from collections_desk.lib.timezones import zone_for_zip as _lib_zone_for_zip

__all__ = [
    "NYC_COUNTIES",
    "add_business_days",
    "federal_holidays",
    "is_business_day",
    "is_federal_holiday",
    "local_date",
    "local_dt",
    "locality_for_zip",
    "next_business_day",
    "phone_zones_for",
    "state_for_zip",
    "zone",
    "zone_for_zip",
    "zones_for_state",
]

UTC = dt.UTC
NYC_COUNTIES = frozenset(
    {"New York County", "Kings County", "Queens County", "Bronx County", "Richmond County"}
)
_CONTIGUOUS_EXCLUDED = frozenset(
    {"AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP"}
)


# --- zones -------------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (cached; raises ``ZoneInfoNotFoundError`` / ``ValueError`` when unknown)."""
    return ZoneInfo(name)


def local_dt(at: dt.datetime, zone_name: str) -> dt.datetime:
    return at.astimezone(zone(zone_name))


def local_date(at: dt.datetime, zone_name: str) -> dt.date:
    return at.astimezone(zone(zone_name)).date()


def at_local(day: dt.date, clock: dt.time, zone_name: str) -> dt.datetime:
    """The aware UTC instant of wall clock ``clock`` on ``day`` in ``zone_name`` (fold=0 when repeated)."""
    return dt.datetime.combine(day, clock, tzinfo=zone(zone_name)).astimezone(UTC)


def start_of_day(day: dt.date, zone_name: str) -> dt.datetime:
    return at_local(day, dt.time(0), zone_name)


def zone_for_zip(raw: str) -> str | None:
    """The IANA zone of a US ZIP (the contacts app's lookup), or ``None`` for a malformed or unknown ZIP."""
    try:
        return _lib_zone_for_zip(raw)
    except ValidationError:
        return None


def state_for_zip(raw: str) -> str | None:
    try:
        return _lib_state_for_zip(raw)
    except ValidationError:
        return None


@lru_cache(maxsize=1)
def _nyc_zips() -> frozenset[str]:
    return frozenset(r["zip_code"] for r in zipcodes.filter_by(state="NY") if r.get("county") in NYC_COUNTIES)


def locality_for_zip(raw: str) -> str | None:
    """``"NYC"`` for a ZIP in one of the five boroughs of New York City (by county), else ``None``."""
    # One set made once: a lookup per ZIP (cached for 4,096 of them) was 2% of a workspace page's time
    # on the 1M-account data, whose guarantors live at tens of thousands of ZIPs.
    try:
        zip5 = normalize_zip(raw)[:5]
    except ValidationError:
        return None
    return "NYC" if zip5 in _nyc_zips() else None


@lru_cache(maxsize=64)
def zones_for_state(state: str | None) -> tuple[str, ...]:
    """Every zone of a state's ZIP codes; for an unknown state, every zone of the contiguous U.S.
    (RULES.md §5.1 fallback when a person has no candidate zone)."""
    if state:
        found = sorted({r["timezone"] for r in zipcodes.filter_by(state=state) if r.get("timezone")})
        if found:
            return tuple(found)
    return tuple(
        sorted(
            {
                r["timezone"]
                for r in zipcodes.list_all()
                if r.get("timezone") and r.get("state") not in _CONTIGUOUS_EXCLUDED
            }
        )
    )


_NANP_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})


@lru_cache(maxsize=1)
def _country_level_us_zones() -> frozenset[str]:
    number = phonenumbers.parse("+18002000000", None)
    return frozenset(pn_timezone._country_level_time_zones_for_number(number))  # noqa: SLF001


@lru_cache(maxsize=50_000)
def phone_zones_for(e164: str) -> tuple[str, ...]:
    """Zones a phone number suggests: every zone of its area code (a split area code gives several).

    A number that carries no location (toll-free or other non-geographic numbers, for which the library
    answers with the whole country's list) suggests none.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    if number.country_code == 1:
        # North America: toll-free is a matter of the area code (number_type would test every type's
        # pattern, most of the cost of a queue page's 50 guarantors).
        if str(number.national_number)[:3] in _NANP_TOLL_FREE:
            return ()
    elif phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE:
        return ()
    zones = tuple(z for z in pn_timezone.time_zones_for_number(number) if z != pn_timezone.UNKNOWN_TIMEZONE)
    if not zones or (len(zones) > 4 and frozenset(zones) == _country_level_us_zones()):
        return ()
    return tuple(sorted(zones))


# --- federal holidays and business days ----------------------------------------------------------


@lru_cache(maxsize=256)
def federal_holidays(year: int) -> dict[dt.date, str]:
    """Legal public holidays of 5 U.S.C. 6103(a) falling in ``year``: actual and observed dates both.

    The observed Friday Dec 31 of a New Year's Day on a Saturday belongs to the earlier year.
    """
    table = holidays.US(years=range(year - 1, year + 2), observed=True, categories=(holidays.PUBLIC,))
    return {
        day: name
        for day, name in sorted(table.items())
        if day.year == year and "inauguration" not in name.lower()
    }


def is_federal_holiday(day: dt.date) -> bool:
    return day in federal_holidays(day.year)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The ``count``-th business day after ``day`` (``day`` itself is never counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


@lru_cache(maxsize=4096)
def next_business_day(day: dt.date) -> dt.date:
    return add_business_days(day, 1)


@lru_cache(maxsize=4096)
def validation_period_end(provided: dt.date, *, receipt_days: int = 5, period_days: int = 30) -> dt.date:
    """Algorithm 5.3: assumed receipt = provided + 5 business days; end = receipt + 30 calendar days, printed
    as is even on a weekend or holiday (C-14)."""
    return add_business_days(provided, receipt_days) + dt.timedelta(days=period_days)
