"""Engine contract: outcome precedence (RULES.md §1.3), every reason returned (C-19), next_allowed, the batch
form, input checks and the values logged with a decision."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.engine import earliest_credit_report, earliest_eca, evaluate, evaluate_many
from compliance.facts import (
    Action,
    Address,
    Attempt,
    Attorney,
    Client,
    CreditReport,
    Dispute,
    EcaNotice,
    Move,
    OralFapNotice,
)
from tests.compliance.helpers import DENVER, call, call_action, debt, facts, letter, local

MT = DENVER


def test_hold_outranks_block_and_every_reason_is_returned():
    f = facts(
        events=[
            letter(local(MT, 2025, 6, 2)),
            Dispute(at=local(MT, 2025, 6, 20), date_only=True, debts=("H1",), written=True),
            Attorney(at=local(MT, 2025, 6, 21, 9), debts=("H1",), name="Jane Roe"),
            call(local(MT, 2025, 6, 22, 10), disposition="conversation"),
        ]
    )
    decision = evaluate(f, call_action(), local(MT, 2025, 6, 23, 7))
    assert decision.outcome == "hold"
    assert {"DISP-02", "TIME-01", "ATT-01", "FREQ-02"} <= set(decision.rule_ids)
    assert decision.next_allowed is None  # an event-bound hold
    assert all(r.message.startswith(f"{r.rule_id} · ") for r in decision.reasons)
    assert {r.effect for r in decision.reasons} == {"hold", "block"}


def test_block_with_warnings_and_warn_alone():
    sunday = local(MT, 2025, 6, 8, 7)
    decision = evaluate(facts(), call_action(), sunday)
    assert decision.outcome == "block"
    assert decision.warnings == ("FREQ-07",)
    assert decision.blocking == ("TIME-01",)
    assert evaluate(facts(), call_action(), local(MT, 2025, 6, 8, 9)).outcome == "warn"
    assert evaluate(facts(), call_action(), local(MT, 2025, 6, 9, 9)).outcome == "allow"


def test_permanent_block_has_no_next_allowed_and_time_block_has_one():
    f = facts(events=[Attorney(at=local(MT, 2025, 6, 1), date_only=True, debts=("H1",))])
    assert evaluate(f, call_action(), local(MT, 2025, 6, 2, 7)).next_allowed is None
    assert evaluate(facts(), call_action(), local(MT, 2025, 6, 2, 7)).next_allowed == local(MT, 2025, 6, 2, 8)


def test_only_events_before_the_question_count():
    talk = call(local(MT, 2025, 6, 2, 10), disposition="conversation")
    f = facts(events=[talk])
    assert evaluate(f, call_action(), local(MT, 2025, 6, 2, 10)).allowed  # the event at the same instant
    assert not evaluate(f, call_action(), local(MT, 2025, 6, 2, 10, 0, 1)).allowed
    # a date-only event counts from the start of its local day
    dated = facts(events=[Attorney(at=local(MT, 2025, 6, 2), date_only=True, debts=("H1",))])
    assert "ATT-01" in evaluate(dated, call_action(), local(MT, 2025, 6, 2)).rule_ids


def test_evaluate_many_matches_evaluate_and_caches_one_index_per_facts():
    f = facts(events=[call(local(MT, 2025, 6, 2 + i, 10)) for i in range(7)])
    at = local(MT, 2025, 6, 8, 16)
    rows = [(f, call_action()), (f, Action(kind="text", to="mobile", debts=("H1",))), (f, call_action())]
    many = evaluate_many(rows, at)
    assert [d.outcome for d in many] == [evaluate(f, a, at).outcome for _, a in rows]
    assert many[0] == many[2]
    assert len([k for k in f._cache if isinstance(k, int)]) == 1


def test_input_checks():
    with pytest.raises(ValueError, match="aware"):
        evaluate(facts(), call_action(), dt.datetime(2025, 6, 2, 10))  # noqa: DTZ001
    with pytest.raises(ValueError, match="unknown debt 'H9'"):
        evaluate(facts(), call_action(debts=("H9",)), local(MT, 2025, 6, 2, 10))
    with pytest.raises(ValueError, match="unknown phone 'fax'"):
        evaluate(facts(), call_action(to="fax"), local(MT, 2025, 6, 2, 10))
    with pytest.raises(ValueError, match="unknown action"):
        Action(kind="fax")
    with pytest.raises(ValueError, match="must be aware"):
        facts(events=[Attempt(at=dt.datetime(2025, 6, 2, 10), channel="call")])  # noqa: DTZ001


def test_decision_logs_zones_and_computed_dates():
    f = facts(
        client=Client(kind="first_party", nonprofit_501r=True),
        debts=(debt(first_statement_date=dt.date(2025, 1, 6)),),
        events=[
            letter(local(MT, 2025, 4, 1)),
            EcaNotice(
                at=local(MT, 2025, 4, 1),
                date_only=True,
                debts=("H1",),
                deadline=dt.date(2025, 5, 6),
                pls=True,
            ),
            OralFapNotice(at=local(MT, 2025, 4, 3, 10), debts=("H1",)),
        ],
    )
    at = local(MT, 2025, 5, 6, 12)
    sale = evaluate(f, Action(kind="debt_sale", debts=("H1",)), at)
    assert sale.outcome == "hold"
    assert {"R501-02", "LEG-04"} <= set(sale.rule_ids)
    assert sale.dates["earliest_eca"] == dt.date(2025, 5, 7)
    assert sale.next_allowed == local(MT, 2025, 5, 7)
    assert evaluate(f, Action(kind="debt_sale", debts=("H1",), sale_agreement=True), at).allowed  # R501-03
    assert evaluate(f, Action(kind="letter", debts=("H1",), template="reminder"), at).dates[
        "validation_period_end"
    ] == dt.date(2025, 5, 8)
    assert earliest_eca(f, ["H1"]) == dt.date(2025, 5, 7)
    assert evaluate(f, call_action(), at).zones == (DENVER,)


def test_earliest_credit_report_combines_the_gates():
    f = facts(
        client=Client(nonprofit_501r=False, settings={"credit_reporting_medical.enabled": True}),
        events=[letter(local(MT, 2025, 6, 2), returned_on=dt.date(2025, 6, 20))],
    )
    # CR-01: 06-02 + 15 = 06-17; CR-02: DOFD 2025-03-01 + 365 days = 2026-03-01.
    assert earliest_credit_report(f, ["H1"], local(MT, 2025, 6, 10)) == dt.date(2026, 3, 1)
    # The return on 06-20 came after the 14-day wait: it does not undo it.
    assert earliest_credit_report(f, ["H1"]) == dt.date(2026, 3, 1)
    early_return = facts(events=[letter(local(MT, 2025, 6, 2), returned_on=dt.date(2025, 6, 16))])
    assert earliest_credit_report(early_return, ["H1"]) is None


def test_first_party_override_demotes_regulation_f_and_reports_app_02():
    f = facts(client=Client(kind="first_party", settings={"regf.applies_to_first_party": False}))
    decision = evaluate(f, call_action(), local(MT, 2025, 6, 2, 7))
    assert decision.outcome == "warn"
    assert set(decision.warnings) == {"TIME-01", "APP-02"}
    agency = facts(client=Client(kind="agency", settings={"regf.applies_to_first_party": False}))
    assert evaluate(agency, call_action(), local(MT, 2025, 6, 2, 7)).outcome == "block"


def test_report_made_while_living_in_new_york_voids_the_debt_later():
    f = facts(
        events=[
            Move(at=local(MT, 2026, 4, 1), date_only=True, address=Address("NY", "America/New_York")),
            CreditReport(at=local(MT, 2026, 4, 20, 13), debts=("H1",)),
        ]
    )
    before = evaluate(f, call_action(), local(MT, 2026, 4, 20, 12))
    assert before.allowed
    after = evaluate(f, call_action(), local(MT, 2026, 4, 22, 12))
    assert after.outcome == "block"
    assert {"CR-05", "ST-CR-NY"} <= set(after.rule_ids)
    assert after.next_allowed is None


def test_employer_provided_email_needs_the_consumers_consent():
    from compliance.facts import Consent, Email

    work = (Email("work-email", "pat@employer.example", employer_provided=True),)
    at = local(MT, 2025, 6, 3, 10)
    action = Action(kind="email", to="work-email", debts=("H1",))
    assert "PLACE-02" in evaluate(facts(emails=work), action, at).blocking
    consent = Consent(at=local(MT, 2025, 6, 2, 10), scope="electronic", to="work-email")
    assert evaluate(facts(emails=work, events=[consent]), action, at).allowed
