from __future__ import annotations

import pytest

from accounts.models import AccountStatus
from accounts.services import account_status_change
from accounts.status import TRANSITIONS, IllegalTransition, can_transition
from audit.models import AuditEvent

S = AccountStatus


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.NEW, S.ACTIVE, True),
        (S.ACTIVE, S.IN_ARRANGEMENT, True),
        (S.IN_ARRANGEMENT, S.ACTIVE, True),  # a broken plan puts the account back to work
        (S.ON_HOLD, S.ACTIVE, True),
        (S.ESCALATED, S.CLOSED_RETURNED, True),
        (S.CLOSED_PAID, S.ACTIVE, True),  # a returned payment reopens a paid account
        (S.ON_HOLD, S.NEW, False),
        (S.ACTIVE, S.NEW, False),
        (S.CLOSED_RETURNED, S.ACTIVE, False),
        (S.CLOSED_WRITTEN_OFF, S.ACTIVE, False),
        (S.CLOSED_PAID, S.IN_ARRANGEMENT, False),
        (S.ACTIVE, S.ACTIVE, False),
    ],
)
def test_transition_table(current, target, allowed):
    assert can_transition(current, target) is allowed


def test_no_status_can_move_to_new_and_final_states_have_no_exit():
    assert all(S.NEW not in targets for targets in TRANSITIONS.values())
    assert TRANSITIONS[S.CLOSED_RETURNED] == TRANSITIONS[S.CLOSED_WRITTEN_OFF] == frozenset()


@pytest.mark.django_db
def test_an_allowed_change_is_saved_and_audited_with_its_reason(account, collector):
    account_status_change(account=account, to=S.ACTIVE, actor=collector, reason="first contact")
    account.refresh_from_db()
    assert account.status == S.ACTIVE
    event = AuditEvent.objects.get(action="accounts.status.changed")
    assert (event.actor, event.account_id) == (collector, account.pk)
    assert event.data == {"from": "new", "to": "active", "reason": "first contact", "summary": "new → active"}


@pytest.mark.django_db
def test_a_refused_change_explains_itself_and_changes_nothing(account, collector):
    account_status_change(account=account, to=S.CLOSED_RETURNED, actor=collector)
    with pytest.raises(IllegalTransition, match="cannot go from “Closed – returned to client” to “Active”"):
        account_status_change(account=account, to=S.ACTIVE, actor=collector)
    account.refresh_from_db()
    assert account.status == S.CLOSED_RETURNED
    assert AuditEvent.objects.filter(action="accounts.status.changed").count() == 1
