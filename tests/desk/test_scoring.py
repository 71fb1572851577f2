from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.services import ledger_post
from contacts.services import contact_attempt_log, phone_add
from desk.models import AccountPriority, PriorityWeights
from desk.scoring import FACTOR_NAMES, Facts, callback_dominance_gap, factor_points, facts_at
from desk.selectors import weights_defaults
from desk.services import account_rescore, queue_rescore
from tests.factories import PatientAccountFactory

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
W = {
    "callback_due": 2000,
    "promise_due": 800,
    "new_placement": 150,
    "balance": 15,
    "days_since_placement": -4,
    "days_since_contact": 10,
    "attempts_without_rpc": 10,
}


def facts(**overrides) -> Facts:
    base = {
        "callback_due": False,
        "promise_due": False,
        "contacted": True,
        "balance": Decimal("0.00"),
        "days_since_placement": 0,
        "days_since_contact": 0,
        "attempts_without_rpc": 0,
    }
    return Facts(**(base | overrides))


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({}, {}),
        ({"callback_due": True}, {"callback_due": 2000}),
        ({"promise_due": True}, {"promise_due": 800}),
        ({"contacted": False, "days_since_contact": None}, {"new_placement": 150}),
        ({"balance": Decimal("2310.00")}, {"balance": 35}),  # 15 × 2.31 = 34.65
        ({"balance": Decimal("99999.99")}, {"balance": 150}),  # counted up to $10,000
        ({"balance": Decimal("-50.00")}, {}),  # a credit balance adds nothing
        ({"days_since_placement": 45}, {"days_since_placement": -6}),  # −4 × 1.5
        ({"days_since_placement": 4000}, {"days_since_placement": -49}),  # −4 × 365/30 = −48.67
        ({"days_since_contact": 14}, {"days_since_contact": 20}),
        ({"days_since_contact": 500}, {"days_since_contact": 130}),  # up to 13 weeks
        ({"attempts_without_rpc": 6}, {"attempts_without_rpc": 60}),
        ({"attempts_without_rpc": 40}, {"attempts_without_rpc": 100}),
    ],
)
def test_each_factor_is_weight_times_its_capped_measure(case, expected):
    points = factor_points(facts(**case), W)
    assert {k: v for k, v in points.items() if v} == expected
    assert set(points) == set(FACTOR_NAMES)


def test_the_default_weights_let_a_due_callback_outrank_any_other_account():
    assert callback_dominance_gap(weights_defaults()) > 0
    best_without = facts(
        promise_due=True,
        contacted=False,
        balance=Decimal("50000"),
        days_since_contact=None,
        attempts_without_rpc=10,
    )
    worst_with = facts(callback_due=True, days_since_placement=9999)
    assert sum(factor_points(worst_with, W).values()) > sum(factor_points(best_without, W).values())


def test_promise_factor_contributes_nothing_until_promises_exist():
    f = facts_at(
        now=NOW,
        next_action_at=None,
        balance=Decimal("10"),
        placement_date=dt.date(2026, 9, 1),
        last_attempt_at=None,
        attempts_without_rpc=0,
    )
    assert f.promise_due is False


@pytest.fixture
def worked_accounts(east, collector):
    """Accounts covering each factor, with real attempts logged through the contacts service."""
    fresh = PatientAccountFactory(team=east, placement_date=dt.date(2026, 11, 1))
    ledger_post(
        account=fresh, kind="charge", amount="2310.00", effective_date=dt.date(2026, 3, 2), actor=None
    )

    callback = PatientAccountFactory(team=east, next_action_at=NOW - dt.timedelta(minutes=1))
    future_callback = PatientAccountFactory(team=east, next_action_at=NOW + dt.timedelta(minutes=10))

    chased = PatientAccountFactory(team=east, placement_date=dt.date(2026, 6, 15))
    ledger_post(
        account=chased, kind="charge", amount="845.20", effective_date=dt.date(2026, 3, 2), actor=None
    )
    phone = phone_add(person=chased.guarantor, number="(406) 203-5512", kind="mobile", actor=None)
    schedule = [
        ("no_answer", 40),
        ("conversation", 30),  # the last RPC: attempts before it do not count
        ("no_answer", 20),
        ("voicemail", 19),
        ("busy", 18),
    ]
    for disposition, days_ago in schedule:
        contact_attempt_log(
            accounts=[chased],
            channel="call",
            disposition=disposition,
            actor=collector,
            phone=phone,
            occurred_at=NOW - dt.timedelta(days=days_ago, hours=1),
        )
    return {"fresh": fresh, "callback": callback, "future_callback": future_callback, "chased": chased}


@pytest.mark.django_db
def test_set_based_rescore_computes_the_same_points_as_the_definition(worked_accounts):
    queue_rescore(now=NOW)
    chased = AccountPriority.objects.get(account=worked_accounts["chased"])
    assert chased.attempts_without_rpc == 3
    assert chased.last_attempt_at == NOW - dt.timedelta(days=18, hours=1)
    for account in worked_accounts.values():
        account.refresh_from_db()
        row = AccountPriority.objects.get(account=account)
        expected = factor_points(
            facts_at(
                now=NOW,
                next_action_at=account.next_action_at,
                balance=account.balance,
                placement_date=account.placement_date,
                last_attempt_at=row.last_attempt_at,
                attempts_without_rpc=row.attempts_without_rpc,
            ),
            W,
        )
        assert row.factors == {k: v for k, v in expected.items() if v}
        assert row.score == sum(expected.values())


@pytest.mark.django_db
def test_the_chased_account_explains_itself(worked_accounts):
    queue_rescore(now=NOW)
    row = AccountPriority.objects.get(account=worked_accounts["chased"])
    # $845.20 → 13; 158 days placed → −21; 18 days since the last attempt → 26; 3 attempts since the RPC → 30
    assert row.factors == {
        "balance": 13,
        "days_since_placement": -21,
        "days_since_contact": 26,
        "attempts_without_rpc": 30,
    }
    assert row.score == 48


@pytest.mark.django_db
def test_single_account_rescore_agrees_with_the_set_based_one(worked_accounts):
    queue_rescore(now=NOW)
    full = {p.account_id: (p.score, p.factors) for p in AccountPriority.objects.all()}
    AccountPriority.objects.all().delete()
    for account in worked_accounts.values():
        account_rescore(account_id=account.pk, now=NOW)
    single = {p.account_id: (p.score, p.factors) for p in AccountPriority.objects.all()}
    assert single == full


@pytest.mark.django_db
def test_a_future_callback_is_pending_not_scored(worked_accounts):
    queue_rescore(now=NOW)
    row = AccountPriority.objects.get(account=worked_accounts["future_callback"])
    assert "callback_due" not in row.factors
    assert row.callback_pending_at == NOW + dt.timedelta(minutes=10)
    due = AccountPriority.objects.get(account=worked_accounts["callback"])
    assert due.factors["callback_due"] == 2000
    assert due.callback_pending_at is None


@pytest.mark.django_db
def test_a_team_override_applies_to_that_teams_accounts_only(east, west):
    mine = PatientAccountFactory(team=east)
    theirs = PatientAccountFactory(team=west)
    PriorityWeights.objects.create(team=east, new_placement=400)
    queue_rescore(now=NOW)
    assert AccountPriority.objects.get(account=mine).factors["new_placement"] == 400
    assert AccountPriority.objects.get(account=theirs).factors["new_placement"] == 150


@pytest.mark.django_db
def test_closed_and_held_accounts_are_scored_but_not_workable(east):
    closed = PatientAccountFactory(team=east, status="closed_paid")
    held = PatientAccountFactory(team=east, status="on_hold")
    escalated = PatientAccountFactory(team=east, status="escalated")
    active = PatientAccountFactory(team=east, status="active")
    queue_rescore(now=NOW)
    workable = dict(AccountPriority.objects.values_list("account_id", "workable"))
    assert workable == {closed.pk: False, held.pk: False, escalated.pk: False, active.pk: True}


@pytest.mark.django_db
def test_rescoring_again_rewrites_nothing_that_did_not_change(worked_accounts):
    assert queue_rescore(now=NOW) == 4
    assert queue_rescore(now=NOW) == 0
