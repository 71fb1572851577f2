"""Federal holidays (5 U.S.C. 6103(a), actual and observed), business days, zones (RULES.md §5.3, §12)."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance import calendar as cal

D = dt.date

# RULES.md §12: every actual date, and every observed date where it differs.
SECTION_12 = {
    2025: ["01-01", "01-20", "02-17", "05-26", "06-19", "07-04", "09-01", "10-13", "11-11", "11-27", "12-25"],
    2026: ["01-01", "01-19", "02-16", "05-25", "06-19", "07-04", "07-03", "09-07", "10-12", "11-11", "11-26",
           "12-25"],
    2027: ["01-01", "01-18", "02-15", "05-31", "06-19", "06-18", "07-04", "07-05", "09-06", "10-11", "11-11",
           "11-25", "12-25", "12-24", "12-31"],  # 12-31: New Year's Day 2028 observed
    2028: ["01-01", "01-17", "02-21", "05-29", "06-19", "07-04", "09-04", "10-09", "11-11", "11-10", "11-23",
           "12-25"],
    2029: ["01-01", "01-15", "02-19", "05-28", "06-19", "07-04", "09-03", "10-08", "11-11", "11-12", "11-22",
           "12-25"],
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(SECTION_12))
def test_holiday_table_matches_section_12_exactly(year):
    expected = {D.fromisoformat(f"{year}-{md}") for md in SECTION_12[year]}
    assert set(cal.federal_holidays(year)) == expected


@pytest.mark.parametrize(
    "day",
    [
        D(2027, 12, 31),  # Fri, New Year's Day 2028 (Sat) observed in the previous year
        D(2027, 6, 18),  # Fri, Juneteenth (Sat) observed
        D(2027, 6, 19),  # the actual Saturday counts too
        D(2026, 7, 3),  # Fri, Independence Day (Sat) observed
        D(2027, 7, 5),  # Mon, Independence Day (Sun) observed
        D(2029, 11, 12),  # Mon, Veterans Day (Sun) observed
    ],
)
def test_actual_and_observed_dates_are_both_holidays(day):
    assert cal.is_federal_holiday(day)
    assert not cal.is_business_day(day)


@pytest.mark.parametrize(
    "day",
    [
        D(2025, 11, 28),  # day after Thanksgiving: not 6103(a)
        D(2025, 12, 24),  # Christmas Eve 2025 (Wed)
        D(2029, 1, 22),  # Monday after Inauguration Day 2029 (6103(c), not (a))
        D(2025, 1, 21),
    ],
)
def test_days_that_are_not_federal_holidays(day):
    assert not cal.is_federal_holiday(day)
    assert cal.is_business_day(day)


def test_inauguration_day_is_not_a_holiday():
    assert all("inauguration" not in name.lower() for name in cal.federal_holidays(2029).values())
    assert D(2029, 1, 20) not in cal.federal_holidays(2029)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (D(2025, 6, 2), 5, D(2025, 6, 9)),  # plain week (T27)
        (D(2025, 11, 6), 5, D(2025, 11, 14)),  # Veterans Day skipped
        (
            D(2027, 12, 30),
            5,
            D(2028, 1, 7),
        ),  # observed New Year's Day (Fri 12-31) skipped across the year end
        (D(2026, 7, 2), 1, D(2026, 7, 6)),  # observed Independence Day, then the weekend
        (D(2025, 6, 7), 5, D(2025, 6, 13)),  # from a Saturday
        (D(2025, 12, 23), 2, D(2025, 12, 26)),  # Christmas skipped
        (D(2025, 6, 2), 0, D(2025, 6, 2)),
    ],
)
def test_add_business_days(start, count, expected):
    assert cal.add_business_days(start, count) == expected


@pytest.mark.parametrize(
    ("sent", "end"),
    [
        (D(2025, 6, 2), D(2025, 7, 9)),
        (D(2025, 11, 6), D(2025, 12, 14)),  # a Sunday, printed as is (C-14)
        (D(2027, 12, 30), D(2028, 2, 6)),
        (D(2025, 11, 26), D(2026, 1, 3)),
    ],
)
def test_validation_period_end(sent, end):
    assert cal.validation_period_end(sent) == end


def test_next_business_day_after_a_weekend_end_date():
    assert cal.next_business_day(D(2025, 12, 14)) == D(2025, 12, 15)
    assert cal.next_business_day(D(2026, 7, 2)) == D(2026, 7, 6)


def test_zip_zone_state_and_locality():
    assert cal.zone_for_zip("80202") == "America/Denver"
    assert cal.zone_for_zip("85004") == "America/Phoenix"
    assert cal.zone_for_zip("80202-1234") == "America/Denver"
    assert cal.zone_for_zip("8020") is None
    assert cal.zone_for_zip("00000") is None
    assert cal.state_for_zip("01103") == "MA"
    assert cal.locality_for_zip("11201") == "NYC"  # Brooklyn
    assert cal.locality_for_zip("10001") == "NYC"  # Manhattan
    assert cal.locality_for_zip("12207") is None  # Albany


def test_phone_zones_by_area_code():
    assert cal.phone_zones_for("+13035550100") == ("America/Denver",)
    assert set(cal.phone_zones_for("+19075550100")) == {"America/Adak", "America/Anchorage"}
    assert set(cal.phone_zones_for("+12085550100")) == {"America/Boise", "America/Los_Angeles"}
    assert cal.phone_zones_for("+18005550100") == ()  # toll-free: no location


def test_state_zones_and_contiguous_fallback():
    assert "America/Phoenix" in cal.zones_for_state("AZ")
    contiguous = cal.zones_for_state(None)
    assert {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"} <= set(contiguous)
    assert "Pacific/Honolulu" not in contiguous
    assert "Pacific/Guam" not in contiguous


def test_local_dates_use_the_zone_not_utc():
    at = dt.datetime(2026, 1, 1, 5, 30, tzinfo=dt.UTC)  # 2025-12-31 22:30 in Denver
    assert cal.local_date(at, "America/Denver") == D(2025, 12, 31)
    assert cal.start_of_day(D(2025, 3, 9), "America/Denver") == dt.datetime(2025, 3, 9, 7, tzinfo=dt.UTC)
    assert cal.at_local(D(2025, 3, 9), dt.time(8), "America/Denver") == dt.datetime(
        2025, 3, 9, 14, tzinfo=dt.UTC
    )
    assert cal.at_local(D(2025, 11, 2), dt.time(8), "America/Denver") == dt.datetime(
        2025, 11, 2, 15, tzinfo=dt.UTC
    )
