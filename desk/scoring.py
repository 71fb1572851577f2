"""The priority score: named factors, each worth `weight × measure` points, summed.

A factor's measure is a plain count in a stated unit with a cap, so a row can say why it is where it is
("callback due · $2,310 balance · 6 attempts without RPC") and a manager can reason about a weight
("15 points per $1,000 of balance, counted up to $10,000"). `factor_points` is the definition; the
set-based SQL in desk/services.py computes the same numbers for a million accounts at once, and a test
holds the two to agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Factor:
    name: str
    label: str
    unit: str
    cap: int  # the measure is counted up to this many units' worth (see `divisor`)
    divisor: int  # measure = min(value, cap) / divisor


FACTORS: tuple[Factor, ...] = (
    Factor("callback_due", "Callback due", "points when the scheduled callback time has come", 1, 1),
    Factor(
        "promise_due",
        "Promise due or broken",
        "points when a promise to pay is due, or a promise or plan broke since the last attempt",
        1,
        1,
    ),
    Factor("new_placement", "New placement", "points while no contact attempt has been made", 1, 1),
    Factor("balance", "Balance", "points per $1,000 of balance, counted up to $10,000", 10_000, 1_000),
    Factor(
        "days_since_placement",
        "Days since placement",
        "points per 30 days since placement, counted up to 365 days",
        365,
        30,
    ),
    Factor(
        "days_since_contact",
        "Days since last attempt",
        "points per 7 days since the last contact attempt, counted up to 91 days",
        91,
        7,
    ),
    Factor(
        "attempts_without_rpc",
        "Attempts without RPC",
        "points per attempt since the last conversation or promise, counted up to 10",
        10,
        1,
    ),
)
FACTOR_NAMES = tuple(f.name for f in FACTORS)
_BY_NAME = {f.name: f for f in FACTORS}

# Dispositions that count as a right-party contact for the "attempts without RPC" factor (the issue's
# definition). The manager desk view also counts dispute and refused
# (contacts.models.RIGHT_PARTY_DISPOSITIONS): they were conversations too.
RPC_RESET_DISPOSITIONS = ("conversation", "promise")


@dataclass(frozen=True)
class Facts:
    """What the score is computed from, as of `now`."""

    callback_due: bool
    promise_due: bool
    contacted: bool
    balance: Decimal
    days_since_placement: int
    days_since_contact: int | None
    attempts_without_rpc: int


def facts_at(
    *,
    now: datetime,
    next_action_at: datetime | None,
    balance: Decimal,
    placement_date: date,
    last_attempt_at: datetime | None,
    attempts_without_rpc: int,
    promise_due: bool = False,
) -> Facts:
    return Facts(
        callback_due=next_action_at is not None and next_action_at <= now,
        promise_due=promise_due,
        contacted=last_attempt_at is not None,
        balance=balance,
        days_since_placement=max(0, (now.astimezone(UTC).date() - placement_date).days),
        days_since_contact=None if last_attempt_at is None else max(0, (now - last_attempt_at).days),
        attempts_without_rpc=attempts_without_rpc,
    )


def _measure(name: str, facts: Facts) -> Decimal:
    f = _BY_NAME[name]
    value: Decimal | int
    match name:
        case "callback_due":
            value = int(facts.callback_due)
        case "promise_due":
            value = int(facts.promise_due)
        case "new_placement":
            value = int(not facts.contacted)
        case "balance":
            value = max(facts.balance, Decimal(0))
        case "days_since_placement":
            value = facts.days_since_placement
        case "days_since_contact":
            value = facts.days_since_contact or 0
        case "attempts_without_rpc":
            value = facts.attempts_without_rpc
        case _:
            raise KeyError(name)
    return Decimal(min(value, f.cap)) / Decimal(f.divisor)


def factor_points(facts: Facts, weights: Mapping[str, int]) -> dict[str, int]:
    """Points of every factor (zeros included). Rounded half away from zero, as PostgreSQL's round()."""
    return {
        name: int((weights[name] * _measure(name, facts)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for name in FACTOR_NAMES
    }


def max_abs_points(weights: Mapping[str, int], name: str) -> int:
    f = _BY_NAME[name]
    return int(abs(weights[name]) * Decimal(f.cap) / Decimal(f.divisor))


def callback_dominance_gap(weights: Mapping[str, int]) -> int:
    """How far the callback weight exceeds everything the other factors can add or take away together.
    Positive means a due callback outranks every account without one, whatever their other facts."""
    others = sum(max_abs_points(weights, n) for n in FACTOR_NAMES if n != "callback_due")
    return weights["callback_due"] - others


def factor_phrase(
    name: str,
    *,
    balance: Decimal,
    placement_date: date,
    today: date,
    last_attempt_at: datetime | None,
    now: datetime,
    attempts_without_rpc: int,
) -> str:
    """The words a queue row shows for a factor (its facts, not its points)."""
    match name:
        case "callback_due":
            return "callback due"
        case "promise_due":
            return "promise due or plan broken"
        case "new_placement":
            return "new placement, no attempt yet"
        case "balance":
            return f"${int(balance.to_integral_value(rounding=ROUND_HALF_UP)):,} balance"
        case "days_since_placement":
            return f"placed {(today - placement_date).days} days ago"
        case "days_since_contact":
            days = (now - last_attempt_at).days if last_attempt_at else 0
            return f"{days} days since last attempt"
        case "attempts_without_rpc":
            n = attempts_without_rpc
            return f"{n} attempt{'s' if n != 1 else ''} without RPC"
    return name
