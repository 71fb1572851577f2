"""Call frequency (FREQ-01 to FREQ-07, FREQ-09): local-date counting across month and year ends, buckets,
consents, exclusions and guardrails."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from compliance.engine import evaluate
from compliance.facts import Action, Consent, Person
from tests.compliance.helpers import (
    DENVER,
    NEW_YORK,
    call,
    call_action,
    debt,
    facts,
    local,
    phone,
    text,
)

MT = DENVER


def daily_calls(zone, start: dt.date, days: int, hour=10, **kw):
    return [
        call(local(zone, *(start + dt.timedelta(days=i)).timetuple()[:3], hour), **kw) for i in range(days)
    ]


def test_seven_calls_across_a_month_end_block_the_eighth_until_the_window_moves():
    f = facts(events=daily_calls(MT, dt.date(2025, 1, 26), 7))  # Jan 26 .. Feb 1
    blocked = evaluate(f, call_action(), local(MT, 2025, 2, 1, 15))
    assert blocked.outcome == "block"
    assert "FREQ-01" in blocked.rule_ids
    assert blocked.next_allowed == local(MT, 2025, 2, 2, 8)
    assert evaluate(f, call_action(), local(MT, 2025, 2, 2, 9)).allowed
    # Six calls in the window: the seventh is within the cap.
    six = facts(events=daily_calls(MT, dt.date(2025, 1, 26), 6))
    assert evaluate(six, call_action(), local(MT, 2025, 1, 31, 15)).allowed


def test_year_end_counts_use_local_dates_not_utc():
    # 22:30 Eastern on 12-25 is 12-26 in UTC. Counted on its local date, it has left the window on 01-01.
    events = [call(local(NEW_YORK, 2025, 12, 25, 22, 30))]
    events += daily_calls(NEW_YORK, dt.date(2025, 12, 27), 6)  # 12-27 .. 01-01
    f = facts(zone=NEW_YORK, state="NY", phones=(phone("mobile", "+12125550100"),), events=events)
    decision = evaluate(f, call_action(), local(NEW_YORK, 2026, 1, 1, 15))
    assert "FREQ-01" not in decision.rule_ids
    assert decision.outcome == "warn"  # New Year's Day
    # One more call on 12-26 makes seven in the window.
    f7 = facts(
        zone=NEW_YORK,
        state="NY",
        phones=(phone("mobile", "+12125550100"),),
        events=[*events, call(local(NEW_YORK, 2025, 12, 26, 10))],
    )
    blocked = evaluate(f7, call_action(), local(NEW_YORK, 2026, 1, 1, 15))
    assert "FREQ-01" in blocked.blocking
    assert blocked.next_allowed == local(NEW_YORK, 2026, 1, 2, 8)


def test_conversation_late_on_new_years_eve_counts_on_its_local_date():
    # 23:00 MST on 12-31 is 01-01 in UTC: the block runs 12-31 .. 01-06, the first allowed day is 01-07.
    f = facts(events=[call(local(MT, 2025, 12, 31, 23), disposition="conversation")])
    blocked = evaluate(f, call_action(), local(MT, 2026, 1, 6, 12))
    assert "FREQ-02" in blocked.blocking
    assert blocked.next_allowed == local(MT, 2026, 1, 7, 8)
    assert evaluate(f, call_action(), local(MT, 2026, 1, 7, 9)).allowed


def test_conversation_blocks_the_same_day_and_both_debts_discussed():
    f = facts(
        debts=(debt("H1"), debt("CC1", provider="Northwind")),
        events=[call(local(MT, 2025, 6, 3, 10), debts=("H1", "CC1"), disposition="conversation")],
    )
    for debts in (("H1",), ("CC1",)):
        decision = evaluate(f, call_action(debts=debts), local(MT, 2025, 6, 3, 16))
        assert "FREQ-02" in decision.blocking
        assert decision.next_allowed == local(MT, 2025, 6, 10, 8)


@pytest.mark.parametrize(
    ("disposition", "counts"),
    [
        ("busy", False),
        ("not_in_service", False),
        ("no_answer", True),
        ("voicemail", True),
        ("lcm", True),
        ("dropped", True),
        ("wrong_party", True),
        ("something_new", True),  # unknown results count (C-06)
    ],
)
def test_which_dispositions_are_calls_placed(disposition, counts):
    events = daily_calls(MT, dt.date(2025, 6, 2), 7, disposition=disposition)
    decision = evaluate(
        facts(events=events), call_action(), local(MT, 2025, 6, 9, 7, 59) + dt.timedelta(hours=7)
    )
    # On 06-09 the window 06-03..06-09 holds six calls whatever they were: allowed either way.
    assert decision.allowed
    decision = evaluate(facts(events=events), call_action(), local(MT, 2025, 6, 8, 16))
    assert ("FREQ-01" in decision.rule_ids) is counts


def test_inbound_calls_are_not_calls_placed():
    events = daily_calls(MT, dt.date(2025, 6, 2), 7, direction="inbound", disposition="voicemail")
    assert "FREQ-01" not in evaluate(facts(events=events), call_action(), local(MT, 2025, 6, 8, 16)).rule_ids


def test_medical_accounts_share_a_bucket_per_provider_unless_per_account():
    debts = (debt("H1"), debt("H2"), debt("V1", provider="Valley Imaging"))
    events = daily_calls(MT, dt.date(2025, 6, 2), 4, debts=("H1",)) + daily_calls(
        MT, dt.date(2025, 6, 6), 3, debts=("H2",)
    )
    at = local(MT, 2025, 6, 8, 16)
    pooled = facts(debts=debts, events=events)
    assert "FREQ-01" in evaluate(pooled, call_action(debts=("H2",)), at).blocking
    assert "FREQ-01" not in evaluate(pooled, call_action(debts=("V1",)), at).rule_ids  # another provider
    per_account = facts(
        debts=debts, events=events, settings={"policy_guardrails.medical_debt_call_bucket": "per_account"}
    )
    decision = evaluate(per_account, call_action(debts=("H2",)), at)
    assert "FREQ-01" not in decision.rule_ids
    assert "FREQ-07" in decision.warnings  # the person-level guardrail still sees 8 calls


def test_student_loans_under_one_account_number_are_one_debt():
    debts = tuple(
        debt(f"L{i}", provider="Granite", student_loan_account="SL-9", medical=False) for i in range(3)
    )
    debts += (debt("L9", provider="Granite", student_loan_account="SL-10", medical=False),)
    events = [call(local(MT, 2025, 6, 2 + i, 10), debts=(f"L{i % 3}",)) for i in range(7)]
    f = facts(debts=debts, events=events)
    at = local(MT, 2025, 6, 8, 16)
    assert "FREQ-01" in evaluate(f, call_action(debts=("L2",)), at).blocking
    assert "FREQ-01" not in evaluate(f, call_action(debts=("L9",)), at).rule_ids
    separate = facts(
        debts=debts, events=events, settings={"regf.student_loans_single_account_is_one_debt": False}
    )
    assert "FREQ-01" not in evaluate(separate, call_action(debts=("L2",)), at).rule_ids


def test_one_call_consent_excludes_the_next_call_only():
    events = [
        call(local(MT, 2025, 6, 2, 10), disposition="conversation"),
        Consent(at=local(MT, 2025, 6, 2, 10, 5), scope="one_call", debts=("H1",)),
    ]
    f = facts(events=events)
    assert evaluate(f, call_action(), local(MT, 2025, 6, 3, 10)).allowed
    used = facts(events=[*events, call(local(MT, 2025, 6, 3, 10))])
    assert "FREQ-02" in evaluate(used, call_action(), local(MT, 2025, 6, 3, 15)).blocking


def test_consent_expires_after_seven_days_receipt_day_is_day_one():
    # A conversation on 06-04 blocks calls 06-04..06-10. A consent for a slot on 06-09 received on 06-03 is
    # still valid on 06-09 (day 7); received on 06-02, it has expired (day 8).
    def consent(received_day):
        return Consent(
            at=local(MT, 2025, 6, received_day, 9),
            scope="window",
            window_from=local(MT, 2025, 6, 9, 10),
            window_to=local(MT, 2025, 6, 9, 11),
        )

    talk = call(local(MT, 2025, 6, 4, 10), disposition="conversation")
    at = local(MT, 2025, 6, 9, 10, 30)
    assert evaluate(facts(events=[consent(3), talk]), call_action(), at).allowed
    assert "FREQ-02" in evaluate(facts(events=[consent(2), talk]), call_action(), at).blocking


def test_consent_given_to_the_creditor_or_by_someone_else_does_not_count():
    spouse = Person(id="spouse", relation="spouse", phones=(phone("spouse-mobile", "+13035550101"),))
    base = [call(local(MT, 2025, 6, 2, 10), disposition="conversation")]
    for consent in (
        Consent(at=local(MT, 2025, 6, 2, 10, 5), scope="one_call", given_to="creditor"),
        Consent(at=local(MT, 2025, 6, 2, 10, 5), scope="one_call", person="spouse"),
    ):
        f = facts(persons=(spouse,), events=[*base, consent])
        assert "FREQ-02" in evaluate(f, call_action(), local(MT, 2025, 6, 3, 10)).blocking


def test_consented_calls_are_not_counted_but_hit_the_per_number_guardrails():
    events = [Consent(at=local(MT, 2025, 6, 1, 9), scope="window", window_from=local(MT, 2025, 6, 2, 9),
                      window_to=local(MT, 2025, 6, 2, 18))]  # fmt: skip
    events += [call(local(MT, 2025, 6, 2, 10)), call(local(MT, 2025, 6, 2, 14, 30))]
    events += daily_calls(MT, dt.date(2025, 6, 3), 6)
    f = facts(events=events)
    decision = evaluate(f, call_action(), local(MT, 2025, 6, 8, 16))
    assert "FREQ-01" not in decision.rule_ids  # 6 counted calls + this one
    two_today = evaluate(f, call_action(), local(MT, 2025, 6, 2, 17))
    assert "FREQ-07" in two_today.blocking  # a third placed call to the number that day
    assert two_today.next_allowed == local(MT, 2025, 6, 3, 8)


def test_person_level_guardrail_warns_above_7_and_blocks_above_14():
    debts = tuple(debt(f"H{i}", provider=f"Provider {i}") for i in range(5))
    home = phone("home", "+13035550111", "home")
    f_phones = (phone("mobile", "+13035550100"), home)
    events = []
    for day in range(7):
        events.append(call(local(MT, 2025, 6, 2 + day, 9), to="mobile", debts=(f"H{day % 3}",)))
        events.append(call(local(MT, 2025, 6, 2 + day, 15), to="home", debts=(f"H{(day + 1) % 3}",)))
    f = facts(phones=f_phones, debts=debts, events=events)
    blocked = evaluate(f, call_action(debts=("H4",)), local(MT, 2025, 6, 8, 19, 30))
    assert blocked.outcome == "block"
    assert blocked.rule_ids == ("FREQ-07",)
    assert blocked.next_allowed == local(MT, 2025, 6, 9, 8)
    warned = facts(phones=f_phones, debts=debts, events=events[:7])
    decision = evaluate(
        warned, call_action(debts=("H4",)), local(MT, 2025, 6, 6, 9, 30) + dt.timedelta(hours=10)
    )
    assert decision.outcome == "warn"


def test_sunday_warning_is_skipped_for_a_consented_call():
    sunday = local(MT, 2025, 6, 8, 14, 30)
    plain = evaluate(facts(), call_action(), sunday)
    assert plain.outcome == "warn"
    assert plain.warnings == ("FREQ-07",)
    consent = Consent(
        at=local(MT, 2025, 6, 6, 9),
        scope="window",
        window_from=local(MT, 2025, 6, 8, 14),
        window_to=local(MT, 2025, 6, 8, 15),
    )
    assert evaluate(facts(events=[consent]), call_action(), sunday).outcome == "allow"


def test_calls_to_the_attorney_are_not_counted_for_the_consumer():
    atty = Person(id="atty", relation="attorney", phones=(phone("atty-office", "+13035550150", "work"),))
    events = [call(local(MT, 2025, 6, 2 + i, 10), to="atty-office", person="atty") for i in range(7)]
    f = facts(persons=(atty,), events=events)
    at = local(MT, 2025, 6, 8, 16)
    assert evaluate(f, Action(kind="call", to="atty-office", person="atty", debts=("H1",)), at).allowed
    assert evaluate(f, call_action(), at).allowed  # the consumer's own count is empty


def test_text_guardrails_per_debt_and_per_day_and_optout_confirmations_not_counted():
    events = [text(local(MT, 2025, 6, 2 + i, 10)) for i in range(3)]
    f = facts(events=events)
    blocked = evaluate(f, Action(kind="text", to="mobile", debts=("H1",)), local(MT, 2025, 6, 5, 10))
    assert "FREQ-09" in blocked.blocking
    assert blocked.next_allowed == local(MT, 2025, 6, 9, 8)
    confirmations = facts(
        events=[text(local(MT, 2025, 6, 2 + i, 10), template="optout_confirmation") for i in range(3)]
    )
    assert evaluate(
        confirmations, Action(kind="text", to="mobile", debts=("H1",)), local(MT, 2025, 6, 5, 10)
    ).allowed


def test_massachusetts_counts_texts_per_debt_for_personal_numbers():
    f = facts(
        zone=NEW_YORK,
        state="MA",
        phones=(phone("mobile", "+14135550100"),),
        debts=(debt("H1"), debt("H2", balance=Decimal("380.00"))),
        events=[
            text(local(NEW_YORK, 2025, 6, 2, 10)),
            call(local(NEW_YORK, 2025, 6, 4, 10), disposition="lcm"),
        ],
    )
    decision = evaluate(f, call_action(), local(NEW_YORK, 2025, 6, 6, 10))
    assert decision.rule_ids == ("MA-02",)
    assert decision.next_allowed == local(NEW_YORK, 2025, 6, 9, 8)
    assert evaluate(f, call_action(debts=("H2",)), local(NEW_YORK, 2025, 6, 6, 10)).allowed
