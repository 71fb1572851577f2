"""The call window (TIME-01, TIME-02, TIME-03, TIME-05): strict ends, end buffer, DST, zone intersections."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.engine import evaluate
from compliance.facts import Action, Client, Consent, Inconvenient, Person
from tests.compliance.helpers import CHICAGO, DENVER, NEW_YORK, call_action, facts, local, phone, utc

MT = DENVER


def ids(decision):
    return set(decision.rule_ids)


@pytest.mark.parametrize(
    ("kind", "clock", "allowed"),
    [
        ("call", (8, 0, 0, 0), False),  # "after 8 o'clock": 08:00:00 itself is outside
        ("call", (8, 0, 0, 1), True),
        ("call", (20, 54, 59, 999999), True),
        ("call", (20, 55, 0, 0), False),  # 5-minute end buffer for calls
        ("voicemail", (20, 55, 0, 0), False),
        ("text", (20, 59, 59, 999999), True),  # no buffer for texts
        ("text", (21, 0, 0, 0), False),  # "before 9 o'clock": 21:00:00 is outside
        ("email", (8, 0, 0, 0), False),
        ("email", (20, 58, 0, 0), True),
    ],
)
def test_window_edges_are_strict(kind, clock, allowed):
    f = facts()
    to = "personal" if kind == "email" else "mobile"
    decision = evaluate(f, Action(kind=kind, to=to, debts=("H1",)), local(MT, 2025, 7, 15, *clock))
    assert decision.allowed is allowed
    assert ("TIME-01" in decision.blocking) is (not allowed)


def test_boundary_is_next_allowed_when_asked_exactly_at_eight():
    at = local(MT, 2025, 7, 15, 8)
    decision = evaluate(facts(), call_action(), at)
    assert decision.outcome == "block"
    assert decision.next_allowed == at


def test_end_buffer_and_exclusivity_follow_client_settings():
    no_buffer = facts(settings={"regf.call_window_local.end_buffer_min": 0})
    assert evaluate(no_buffer, call_action(), local(MT, 2025, 7, 15, 20, 58)).allowed
    assert not evaluate(facts(), call_action(), local(MT, 2025, 7, 15, 20, 58)).allowed
    inclusive = facts(
        settings={
            "regf.call_window_local": {
                "start": "08:00",
                "end": "21:00",
                "exclusive": False,
                "end_buffer_min": 5,
            }
        }
    )
    assert evaluate(inclusive, call_action(), local(MT, 2025, 7, 15, 8)).allowed


def test_spring_forward_day():
    f = facts()
    # 2025-03-09: MST -> MDT at 02:00, so 08:00 local is 14:00Z (it would be 15:00Z on MST).
    assert not evaluate(f, call_action(), utc(2025, 3, 9, 13, 59, 59)).allowed
    assert evaluate(f, call_action(), utc(2025, 3, 9, 14, 0, 1)).allowed
    saturday_night = evaluate(f, call_action(), local(MT, 2025, 3, 8, 21, 30))
    assert saturday_night.next_allowed == utc(2025, 3, 9, 14)


def test_fall_back_day():
    f = facts()
    # 2025-11-02: MDT -> MST at 02:00, so 08:00 local is 15:00Z.
    early = evaluate(f, call_action(), utc(2025, 11, 2, 14, 30))  # 07:30 MST (08:30 on the old offset)
    assert early.outcome == "block"
    assert "TIME-01" in ids(early)
    assert early.next_allowed == utc(2025, 11, 2, 15)
    # Evening: 20:54 MST is fine, 20:56 is not; 20:54 MST is 03:54Z the next UTC day.
    assert evaluate(f, call_action(), utc(2025, 11, 3, 3, 54)).allowed
    assert not evaluate(f, call_action(), utc(2025, 11, 3, 3, 56)).allowed


def test_two_zones_address_and_area_code():
    # Atlanta address (Eastern), Chicago mobile (Central): 09:00-20:55 Eastern in July.
    f = facts(zone=NEW_YORK, state="GA", phones=(phone("mobile", "+13125550100"),))
    early = evaluate(f, call_action(), local(NEW_YORK, 2025, 7, 15, 8, 30))
    assert ids(early) == {"TIME-02"}  # closed only in the phone's zone
    assert early.next_allowed == local(NEW_YORK, 2025, 7, 15, 9)
    late = evaluate(f, call_action(), local(CHICAGO, 2025, 7, 15, 20, 30))
    assert "TIME-01" in ids(late)  # closed in the address zone (21:30 Eastern)
    assert "TIME-02" not in ids(late)
    assert late.next_allowed == local(NEW_YORK, 2025, 7, 16, 9)
    assert set(early.zones) == {NEW_YORK, CHICAGO}


def test_three_zones_and_a_split_area_code():
    f = facts(phones=(phone("mobile", "+13125550100"), phone("cabin", "+19075550100", "home")))
    decision = evaluate(f, call_action(), local(MT, 2025, 7, 15, 10, 30))
    assert set(decision.zones) == {DENVER, CHICAGO, "America/Anchorage", "America/Adak"}
    assert ids(decision) == {"TIME-02"}
    assert decision.next_allowed == local(MT, 2025, 7, 15, 11)  # 08:00 in Adak
    closing = evaluate(f, call_action(), local(MT, 2025, 7, 15, 19, 56))  # 20:56 in Chicago
    assert closing.next_allowed == local(MT, 2025, 7, 16, 11)
    assert evaluate(f, call_action(), local(MT, 2025, 7, 15, 19, 54)).allowed


def test_empty_intersection_blocks_calls_with_no_next_allowed():
    f = facts(
        zone="Pacific/Guam",
        state="GU",
        phones=(phone("mobile", "+12125550100"),),
        settings={"regf.call_window_local.end_buffer_min": 300},
    )
    decision = evaluate(f, call_action(), local("Pacific/Guam", 2025, 7, 16, 9))
    assert decision.outcome == "block"
    assert decision.next_allowed is None
    assert evaluate(
        f, Action(kind="text", to="mobile", debts=("H1",)), local("Pacific/Guam", 2025, 7, 16, 9)
    ).allowed


def test_toll_free_number_suggests_no_zone():
    f = facts(phones=(phone("mobile", "+18005550100"),))
    decision = evaluate(f, call_action(), local(MT, 2025, 7, 15, 9))
    assert decision.allowed
    assert decision.zones == (DENVER,)


def test_third_party_uses_the_zones_of_the_number_called():
    brother = Person(id="bro", relation="neighbor", phones=(phone("bro-mobile", "+13125550102"),))
    f = facts(persons=(brother,))
    action = Action(kind="call", to="bro-mobile", person="bro", debts=("H1",))
    # 07:30 in Chicago is 06:30 in Denver: the consumer's address zone plays no part for a third party.
    decision = evaluate(f, action, local(CHICAGO, 2025, 7, 15, 7, 30))
    assert ids(decision) == {"TIME-01"}
    assert decision.zones == (CHICAGO,)
    assert evaluate(f, action, local(CHICAGO, 2025, 7, 15, 20, 30)).allowed  # 19:30 in Denver


def test_inconvenient_slot_wrapping_midnight_with_weekdays():
    des = Inconvenient(
        at=local(MT, 2025, 6, 1, 9), weekdays=frozenset({0}), start=dt.time(20), end=dt.time(9)
    )  # Monday 20:00 to Tuesday 09:00
    f = facts(events=(des,))
    tuesday_morning = evaluate(f, call_action(), local(MT, 2025, 6, 3, 8, 30))
    assert ids(tuesday_morning) == {"TIME-03"}
    assert tuesday_morning.next_allowed == local(MT, 2025, 6, 3, 9)
    monday_evening = evaluate(f, call_action(), local(MT, 2025, 6, 2, 20, 30))
    assert "TIME-03" in ids(monday_evening)
    assert evaluate(f, call_action(), local(MT, 2025, 6, 4, 8, 30)).allowed  # Wednesday
    assert evaluate(f, call_action(), local(MT, 2025, 6, 2, 19, 0)).allowed  # Monday before 20:00


def test_designation_made_after_the_time_does_not_count():
    des = Inconvenient(at=local(MT, 2025, 6, 4, 12), start=dt.time(0), end=dt.time(13))
    f = facts(events=(des,))
    assert evaluate(f, call_action(), local(MT, 2025, 6, 4, 10)).allowed  # designation not yet made
    assert not evaluate(f, call_action(), local(MT, 2025, 6, 5, 10)).allowed


def test_consent_for_a_time_slot_overrides_the_window():
    consent = Consent(
        at=local(MT, 2025, 6, 2, 10),
        scope="window",
        window_from=local(MT, 2025, 6, 3, 7),
        window_to=local(MT, 2025, 6, 3, 7, 30),
    )
    f = facts(events=(consent,))
    assert evaluate(f, call_action(), local(MT, 2025, 6, 3, 7, 15)).allowed  # TIME-05
    assert not evaluate(f, call_action(), local(MT, 2025, 6, 3, 7, 45)).allowed
    creditor = facts(
        events=(
            Consent(
                at=local(MT, 2025, 6, 2, 10),
                scope="window",
                given_to="creditor",
                window_from=local(MT, 2025, 6, 3, 7),
                window_to=local(MT, 2025, 6, 3, 7, 30),
            ),
        )
    )
    assert not evaluate(creditor, call_action(), local(MT, 2025, 6, 3, 7, 15)).allowed  # C-07


def test_window_applies_to_first_party_clients_by_default():
    f = facts(client=Client(kind="first_party"))
    decision = evaluate(f, call_action(), local(MT, 2025, 7, 15, 7))
    assert decision.outcome == "block"
    assert ids(decision) == {"TIME-01"}
