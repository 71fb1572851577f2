"""The account status state machine: the one place that says which moves are allowed."""

from __future__ import annotations

from accounts.models import AccountStatus as S

CLOSED = frozenset({S.CLOSED_PAID, S.CLOSED_RETURNED, S.CLOSED_WRITTEN_OFF})
_WORKING = frozenset({S.NEW, S.ACTIVE, S.IN_ARRANGEMENT, S.ON_HOLD, S.ESCALATED})

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ACTIVE, S.IN_ARRANGEMENT, S.ON_HOLD, S.ESCALATED}) | CLOSED,
    S.ACTIVE: frozenset({S.IN_ARRANGEMENT, S.ON_HOLD, S.ESCALATED}) | CLOSED,
    # A broken or cancelled plan goes back to active; a paid-off plan closes the account.
    S.IN_ARRANGEMENT: frozenset({S.ACTIVE, S.ON_HOLD, S.ESCALATED}) | CLOSED,
    # A released hold goes back to active (never to new: the account has been worked).
    S.ON_HOLD: frozenset({S.ACTIVE, S.ESCALATED}) | CLOSED,
    # A manager's decision: back to a collector, into a plan or settlement, on hold, or closed.
    S.ESCALATED: frozenset({S.ACTIVE, S.IN_ARRANGEMENT, S.ON_HOLD}) | CLOSED,
    # A returned payment can bring a paid account back; returned and written-off accounts are final.
    S.CLOSED_PAID: frozenset({S.ACTIVE}),
    S.CLOSED_RETURNED: frozenset(),
    S.CLOSED_WRITTEN_OFF: frozenset(),
}
if set(TRANSITIONS) != set(S.values) or set(S.values) != _WORKING | CLOSED:
    raise RuntimeError("every account status needs a row in TRANSITIONS")


class IllegalTransition(Exception):
    def __init__(self, current: str, target: str) -> None:
        self.current, self.target = current, target
        super().__init__(f"An account cannot go from “{S(current).label}” to “{S(target).label}”.")


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
