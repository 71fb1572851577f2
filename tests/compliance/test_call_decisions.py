"""The engine's call decisions from the desk's own records (compliance.selectors): what the queue shows."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from compliance.selectors import call_decisions, facts_for_guarantors
from compliance.services import hold_place
from contacts.services import address_add, contact_attempt_log, phone_add
from tests.factories import ClientFactory, PatientAccountFactory

pytestmark = pytest.mark.django_db

# Wednesday 18 November 2026, 07:30 in Denver (MST, UTC-7).
EARLY = dt.datetime(2026, 11, 18, 14, 30, tzinfo=dt.UTC)
MIDDAY = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)  # 11:00 MST


@pytest.fixture(autouse=True)
def frozen():
    # Records are made "now": the decisions below are asked at the same moment.
    with time_machine.travel(MIDDAY, tick=False):
        yield


@pytest.fixture
def denver(east):
    account = PatientAccountFactory(team=east, placement_date=dt.date(2026, 9, 1))
    person = account.guarantor
    address_add(person=person, line1="1 Main St", city="Denver", state="CO", zip_code="80202", actor=None)
    phone = phone_add(person=person, number="+1 303 555 0100", kind="mobile", actor=None)
    return account, phone


def decide(*accounts, now):
    return call_decisions([(a.pk, a.guarantor_id, a.client_id) for a in accounts], now=now)


def calls(account, phone, collector, *, days_ago, disposition="no_answer"):
    for days in days_ago:
        contact_attempt_log(
            actor=collector,
            accounts=[account],
            channel="call",
            disposition=disposition,
            phone=phone,
            occurred_at=MIDDAY - dt.timedelta(days=days),
        )


def test_before_eight_in_the_persons_zone_the_call_waits_for_the_window(denver):
    account, _ = denver
    with time_machine.travel(EARLY, tick=False):
        decision = decide(account, now=EARLY)[account.pk]
    assert not decision.allowed
    assert "TIME-01" in decision.decision.rule_ids
    assert decision.summary.startswith("TIME-01")
    assert decision.summary.endswith("next call Wed 08:00 MST")


def test_at_eleven_with_no_history_the_account_is_callable(denver):
    account, _ = denver
    decision = decide(account, now=MIDDAY)[account.pk]
    assert decision.allowed
    assert decision.summary == "callable now"


def test_seven_calls_in_seven_days_block_the_eighth_until_the_window_clears(denver, collector):
    account, phone = denver
    calls(account, phone, collector, days_ago=[6, 5, 4, 3, 2, 1, 0.1])
    decision = decide(account, now=MIDDAY)[account.pk]
    assert not decision.allowed
    assert "FREQ-01" in decision.decision.blocking
    assert "next call" in decision.summary


def test_a_conversation_yesterday_blocks_calls_for_seven_days(denver, collector):
    account, phone = denver
    calls(account, phone, collector, days_ago=[1], disposition="promise")
    decision = decide(account, now=MIDDAY)[account.pk]
    assert "FREQ-02" in decision.decision.blocking
    assert not decision.allowed


def test_an_attorney_hold_blocks_calls_to_the_consumer(denver, collector):
    account, _ = denver
    hold_place(
        account=account,
        kind="attorney",
        actor=collector,
        details={"attorney_name": "Lee Ortiz", "attorney_phone": "+13035550199"},
    )
    decision = decide(account, now=MIDDAY + dt.timedelta(minutes=1))[account.pk]
    assert not decision.allowed
    assert "ATT-01" in decision.decision.blocking


def test_no_phone_means_no_call(east):
    account = PatientAccountFactory(team=east)
    decision = decide(account, now=MIDDAY)[account.pk]
    assert (decision.allowed, decision.summary) == (False, "no phone on file")


def test_a_clients_override_reaches_the_engine(east):
    # The end buffer of the window (C-04) moved to 0 minutes for this client: 20:58 is then allowed.
    client = ClientFactory(policy_overrides={"compliance": {"regf.call_window_local.end_buffer_min": 0}})
    account = PatientAccountFactory(team=east, client=client)
    address_add(
        person=account.guarantor, line1="1 Main St", city="Denver", state="CO", zip_code="80202", actor=None
    )
    phone_add(person=account.guarantor, number="+1 303 555 0100", kind="mobile", actor=None)
    late = dt.datetime(2026, 11, 19, 3, 58, tzinfo=dt.UTC)  # 20:58 MST
    other = PatientAccountFactory(team=east, guarantor=account.guarantor)
    decisions = decide(account, other, now=late)
    assert decisions[account.pk].allowed
    assert not decisions[other.pk].allowed  # the default 5-minute buffer of the other client
    assert "TIME-01" in decisions[other.pk].decision.blocking


def test_the_reads_do_not_grow_with_the_number_of_accounts(east, django_assert_num_queries):
    accounts = []
    for _ in range(6):
        account = PatientAccountFactory(team=east)
        phone_add(person=account.guarantor, number="+1 303 555 0100", kind="mobile", actor=None)
        accounts.append(account)
    with django_assert_num_queries(12) as one:
        decide(accounts[0], now=MIDDAY)
    with django_assert_num_queries(len(one.captured_queries)):
        decide(*accounts, now=MIDDAY)


def test_facts_carry_the_guarantors_debts_history_and_holds(denver, collector):
    account, phone = denver
    second = PatientAccountFactory(team=account.team, guarantor=account.guarantor, client=account.client)
    calls(account, phone, collector, days_ago=[2])
    hold_place(account=second, kind="dispute", actor=collector, medium="written")
    facts = facts_for_guarantors([account.guarantor_id], now=MIDDAY)[
        (account.guarantor_id, account.client_id)
    ]
    assert {d.id for d in facts.debts} == {str(account.pk), str(second.pk)}
    assert facts.address.zone == "America/Denver"
    assert [e.type for e in facts.events] == ["attempt", "dispute"]
    assert facts.events[1].written is True
