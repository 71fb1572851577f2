"""Plan schedules: amounts that always sum to the total, due dates, and the policy checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrangements.schedule import Policy, add_months, due_dates, months_between, propose, split

POLICY = Policy(
    min_installment=Decimal("25.00"),
    max_months=((Decimal("500.00"), 6), (Decimal("2000.00"), 12), (None, 24)),
    max_discount_pct=Decimal("20.00"),
)
TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        ("100.00", 3, ["33.33", "33.33", "33.34"]),
        ("100.00", 1, ["100.00"]),
        ("0.05", 5, ["0.01"] * 5),
        ("1234.56", 7, ["176.36"] * 6 + ["176.40"]),
    ],
)
def test_the_remainder_goes_on_the_last_installment(total, count, expected):
    assert split(Decimal(total), count) == [Decimal(x) for x in expected]


def test_every_split_sums_to_its_total():
    for cents in range(1, 5000, 37):
        total = Decimal(cents) / 100 + Decimal("17.00")
        for count in (1, 2, 3, 7, 11, 24):
            amounts = split(total, count)
            assert sum(amounts) == total
            assert len(amounts) == count
            assert all(a > 0 for a in amounts)


def test_a_split_refuses_floats_and_impossible_counts():
    with pytest.raises(TypeError):
        split(100.0, 3)
    with pytest.raises(ValueError, match="too many"):
        split(Decimal("0.02"), 3)
    with pytest.raises(ValueError, match="at least one"):
        split(Decimal("10.00"), 0)


def test_monthly_dates_keep_the_day_or_take_the_months_last():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert due_dates(dt.date(2027, 1, 31), "monthly", 4) == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
    ]
    assert due_dates(dt.date(2026, 12, 29), "biweekly", 3)[-1] == dt.date(2027, 1, 26)
    assert months_between(dt.date(2027, 1, 15), dt.date(2027, 7, 14)) == 6
    assert months_between(dt.date(2027, 1, 15), dt.date(2027, 7, 16)) == 7


def test_a_proposal_within_policy():
    p = propose(
        balance=Decimal("1200.00"),
        total=Decimal("1200.00"),
        frequency="monthly",
        first_due_date=dt.date(2026, 12, 15),
        count=12,
        down_payment=Decimal("0.00"),
        policy=POLICY,
        today=TODAY,
    )
    assert p.within_policy
    assert [line.amount for line in p.lines] == [Decimal("100.00")] * 12
    assert p.lines[-1].due_date == dt.date(2027, 11, 15)


def test_a_proposal_outside_policy_says_every_way_it_is():
    p = propose(
        balance=Decimal("400.00"),
        total=Decimal("300.00"),  # 25% off, 20% allowed
        frequency="weekly",
        first_due_date=dt.date(2026, 12, 1),
        count=30,  # $10 a week (minimum 25) over ~7 months (6 allowed under $500)
        policy=POLICY,
        today=TODAY,
    )
    assert not p.within_policy
    assert len(p.outside_policy) == 3
    assert any("under the minimum" in r for r in p.outside_policy)
    assert any("longer than the 6" in r for r in p.outside_policy)
    assert any("25.00% settlement discount" in r for r in p.outside_policy)
    assert sum(line.amount for line in p.lines) == Decimal("300.00")


def test_a_down_payment_is_due_today_and_the_rest_is_split():
    p = propose(
        balance=Decimal("1000.00"),
        total=Decimal("1000.00"),
        frequency="monthly",
        first_due_date=dt.date(2026, 12, 26),
        count=3,
        down_payment=Decimal("100.00"),
        policy=POLICY,
        today=TODAY,
    )
    assert [(line.seq, line.amount) for line in p.lines] == [
        (0, Decimal("100.00")),
        (1, Decimal("300.00")),
        (2, Decimal("300.00")),
        (3, Decimal("300.00")),
    ]
    assert p.lines[0].due_date == TODAY


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": Decimal("2000.00")}, "exceed the balance"),
        ({"down_payment": Decimal("1000.00")}, "less than the total"),
        ({"first_due_date": dt.date(2026, 11, 1)}, "in the past"),
    ],
)
def test_terms_that_make_no_schedule_are_refused(kwargs, message):
    terms = {
        "balance": Decimal("1000.00"),
        "total": Decimal("1000.00"),
        "frequency": "monthly",
        "first_due_date": dt.date(2026, 12, 26),
        "count": 3,
        "policy": POLICY,
        "today": TODAY,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        propose(**terms)
