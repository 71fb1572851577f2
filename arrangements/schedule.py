"""Plan schedules as pure functions: the installments of a total, their due dates, and what in a proposal
lies outside the client's plan policy. No database: the builder recomputes on every keystroke."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from collections_desk.lib.money import CENT, to_money


def split(total: Decimal, count: int) -> list[Decimal]:
    """`count` amounts that sum to `total` exactly: equal shares rounded down to the cent, the remainder
    on the last (100.00 in 3 is 33.33, 33.33, 33.34)."""
    total = to_money(total)
    if count < 1:
        raise ValueError("at least one installment")
    if total <= 0:
        raise ValueError("the total must be positive")
    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    if share <= 0:
        raise ValueError("too many installments for this total")
    amounts = [share] * count
    amounts[-1] = total - share * (count - 1)
    return amounts


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later, or the month's last day (Jan 31 + 1 = Feb 28)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(first: dt.date, frequency: str, count: int) -> list[dt.date]:
    if frequency == "weekly":
        return [first + dt.timedelta(weeks=i) for i in range(count)]
    if frequency == "biweekly":
        return [first + dt.timedelta(weeks=2 * i) for i in range(count)]
    if frequency == "monthly":
        return [add_months(first, i) for i in range(count)]
    raise ValueError(f"unknown frequency {frequency!r}")


def months_between(first: dt.date, last: dt.date) -> int:
    """Calendar months a plan spans, counted up (Jan 15 to Jul 14 is 6, to Jul 16 is 7)."""
    months = (last.year - first.year) * 12 + (last.month - first.month)
    return months + (1 if last.day > first.day else 0)


@dataclass(frozen=True)
class Policy:
    min_installment: Decimal
    max_months: tuple[tuple[Decimal | None, int], ...]  # (up to balance, months); None = above all
    max_discount_pct: Decimal

    def months_allowed(self, balance: Decimal) -> int | None:
        for up_to, months in self.max_months:
            if up_to is None or balance <= up_to:
                return months
        return None  # no tier: no limit set


@dataclass(frozen=True)
class Line:
    seq: int  # 0 = the down payment
    due_date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Proposal:
    lines: tuple[Line, ...]
    total: Decimal
    discount_pct: Decimal
    months: int
    outside_policy: tuple[str, ...] = field(default=())

    @property
    def within_policy(self) -> bool:
        return not self.outside_policy


def propose(
    *,
    balance: Decimal,
    total: Decimal,
    frequency: str,
    first_due_date: dt.date,
    count: int,
    down_payment: Decimal = Decimal("0.00"),
    policy: Policy,
    today: dt.date,
) -> Proposal:
    """The schedule for these terms, and each way it departs from the policy (a manager must then
    approve). Raises ValueError for terms that make no schedule at all."""
    balance, total, down_payment = to_money(balance), to_money(total), to_money(down_payment)
    if total > balance:
        raise ValueError("The plan total cannot exceed the balance.")
    if down_payment < 0 or down_payment >= total:
        raise ValueError("The down payment must be less than the total.")
    if first_due_date < today:
        raise ValueError("The first installment cannot fall due in the past.")
    amounts = split(total - down_payment, count)
    dates = due_dates(first_due_date, frequency, count)
    lines = [Line(0, today, down_payment)] if down_payment > 0 else []
    lines += [Line(i + 1, d, a) for i, (d, a) in enumerate(zip(dates, amounts, strict=True))]
    months = months_between(today, dates[-1])  # the term runs from the day it is agreed
    discount = ((balance - total) / balance * 100).quantize(CENT) if balance > 0 else Decimal("0.00")
    outside = []
    if amounts[0] < policy.min_installment:
        outside.append(f"installments of {amounts[0]} are under the minimum of {policy.min_installment}")
    allowed = policy.months_allowed(balance)
    if allowed is not None and months > allowed:
        outside.append(f"{months} months is longer than the {allowed} allowed for a balance of {balance}")
    if discount > policy.max_discount_pct:
        outside.append(
            f"a {discount}% settlement discount is more than the {policy.max_discount_pct}% allowed"
        )
    return Proposal(tuple(lines), total, discount, months, tuple(outside))
