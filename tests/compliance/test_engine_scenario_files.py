"""Scenario files: validation errors name the file and the field; unknown top-level keys are ignored; the
runner really judges (a wrong expectation fails); the facts seam can be replaced."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from compliance.scenarios import ScenarioError, load_scenario, run_checks, scenario_facts

BASE = """\
id: X1
title: test
tz: America/Denver
client: {kind: agency, nonprofit_501r: false, settings: {}}
consumer:
  name: Pat Doe
  address: {city: Denver, state: CO, zip: "80202"}
  phones:
    - {id: mobile, number: "+1 303 555 0100", kind: mobile}
  emails:
    - {id: personal, address: pat@example.org}
debts:
  - {id: H1, provider: Mercy, balance: "1240.00", service_date: 2025-02-01, first_statement_date: 2025-02-10, dofd: 2025-03-01}
events:
  - {at: 2025-06-02T10:00, type: call, to: mobile, debts: [H1], disposition: no_answer}
checks:
  - {at: 2025-07-15T07:45, action: call, to: mobile, debts: [H1], expect: block, reasons: [TIME-01], next_allowed: 2025-07-15T08:00}
  - {at: 2025-07-15T09:00, action: call, to: mobile, debts: [H1], expect: allow}
  - {at: 2025-07-15T09:30, action: text, to: mobile, debts: [H1], expect: allow}
"""  # noqa: E501


def write(tmp_path, text, name="T15.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path, text, name="T15.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text, name))
    return str(info.value)


def test_base_file_is_valid_and_passes(tmp_path):
    scenario = load_scenario(write(tmp_path, BASE))
    assert scenario.id == "X1"
    assert [r.passed for r in run_checks(scenario)] == [True, True, True]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "at: 2025-07-15T09:30, action: text",
            "at: half past nine, action: text",
            "T15.yaml: checks[2].at: not an ISO 8601 time: 'half past nine'",
        ),
        (
            "debts: [H1], expect: allow}\n  - {at: 2025-07-15T09:30",
            "debts: [H9], expect: allow}\n  - {at: 2025-07-15T09:30",
            "T15.yaml: checks[1].debts[0]: unknown debt 'H9'",
        ),
        (
            "type: call, to: mobile",
            "type: phone_call, to: mobile",
            "T15.yaml: events[0].type: expected one of",
        ),
        (
            "settings: {}",
            "settings: {regf.nope: 1}",
            "T15.yaml: client.settings.regf.nope: unknown parameter",
        ),
        (
            "settings: {}",
            "settings: {regf.call_window_local.end_buffer_min: soon}",
            "T15.yaml: client.settings.regf.call_window_local.end_buffer_min: expected a whole number",
        ),
        (
            'zip: "80202"',
            "zip: 80202",
            "T15.yaml: consumer.address.zip: expected the ZIP code as quoted text",
        ),
        ("id: X1\n", "", "T15.yaml: id: is required"),
        (
            "expect: allow}\n  - {at: 2025-07-15T09:30",
            "expect: maybe}\n  - {at: 2025-07-15T09:30",
            "T15.yaml: checks[1].expect: expected one of allow, block, hold, warn",
        ),
        (
            "action: text, to: mobile",
            "action: email, to: mobile",
            "T15.yaml: checks[2].to: 'mobile' is not an email address",
        ),
        (
            "reasons: [TIME-01]",
            "reasons: [7 in 7]",
            "T15.yaml: checks[0].reasons[0]: not a rule id: '7 in 7'",
        ),
        (
            "action: text, to: mobile",
            "action: text, compute: earliest_eca, to: mobile",
            "T15.yaml: checks[2]: give exactly one of action or compute",
        ),
        ("{at: 2025-06-02T10:00, type: call", "{type: call", "T15.yaml: events[0].at: is required"),
        ("kind: agency", "kind: collector", "T15.yaml: client.kind: expected one of agency, first_party"),
        ("tz: America/Denver", "tz: Mars/Olympus", "T15.yaml: tz: unknown IANA time zone 'Mars/Olympus'"),
        (
            'number: "+1 303 555 0100"',
            'number: "call me"',
            "T15.yaml: consumer.phones[0].number: not a phone number",
        ),
        (
            "next_allowed: 2025-07-15T08:00",
            "next_allowed: tomorrow",
            "T15.yaml: checks[0].next_allowed: not an ISO 8601 time: 'tomorrow'",
        ),
        ("dofd: 2025-03-01", "dofd: 2025-13-01", "T15.yaml: debts[0].dofd: not an ISO 8601 date"),
        (
            "{id: personal, address",
            "{id: mobile, address",
            "T15.yaml: consumer.emails[0].id: duplicate contact id 'mobile'",
        ),
    ],
)
def test_invalid_file_names_the_file_and_the_field(tmp_path, old, new, message):
    assert old in BASE
    assert error_of(tmp_path, BASE.replace(old, new, 1)).startswith(message)


def test_invalid_yaml_names_the_file_and_the_line(tmp_path):
    message = error_of(tmp_path, BASE + "checks: [\n", name="E99.yaml")
    assert message.startswith("E99.yaml: line ")
    assert "not valid YAML" in message


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"^nothere\.yaml: cannot read the file"):
        load_scenario(tmp_path / "nothere.yaml")


def test_unknown_top_level_keys_are_ignored(tmp_path):
    scenario = load_scenario(write(tmp_path, BASE + "reviewer: counsel\nnotes: [a, b]\n"))
    assert dict(scenario.extra) == {"reviewer": "counsel", "notes": ["a", "b"]}
    assert all(r.passed for r in run_checks(scenario))


def test_unquoted_time_of_day_read_as_base_60_is_understood(tmp_path):
    text = BASE.replace(
        "checks:\n",
        "  - {at: 2025-06-03T09:01, type: inconvenient, person: consumer, from: 00:00, to: 13:00}\nchecks:\n",
    )
    scenario = load_scenario(write(tmp_path, text))
    designation = scenario.events[1].data
    assert designation["to"] == dt.time(13, 0)  # YAML 1.1 reads 13:00 as 780
    assert designation["from"] == dt.time(0, 0)


def test_a_wrong_expectation_fails_with_the_engine_answer(tmp_path):
    allow_at_nine = "debts: [H1], expect: allow}\n  - {at: 2025-07-15T09:30"
    text = BASE.replace(allow_at_nine, allow_at_nine.replace("allow", "block"), 1)
    text = text.replace("next_allowed: 2025-07-15T08:00", "next_allowed: 2025-07-15T08:01")
    results = run_checks(load_scenario(write(tmp_path, text)))
    assert [r.passed for r in results] == [False, False, True]
    assert "next_allowed" in results[0].detail
    assert "outcome allow" in results[1].detail
    assert "FAIL" in str(results[1])
    assert results[0].messages
    assert results[0].messages[0].startswith("TIME-01 · ")


def test_facts_seam_can_supply_facts_per_check(tmp_path):
    scenario = load_scenario(write(tmp_path, BASE))
    built = scenario_facts(scenario)
    seen = []

    def from_elsewhere(s, check):
        seen.append(check.index)
        return built

    results = run_checks(scenario, from_elsewhere)
    assert seen == [0, 1, 2]
    assert all(r.passed for r in results)


def test_naive_times_use_tz_and_offsets_are_absolute(tmp_path):
    scenario = load_scenario(
        write(tmp_path, BASE.replace("at: 2025-07-15T09:00,", 'at: "2025-07-15T09:00-04:00",'))
    )
    assert scenario.checks[0].at == dt.datetime(2025, 7, 15, 13, 45, tzinfo=dt.UTC)  # 07:45 MDT
    assert scenario.checks[1].at == dt.datetime(2025, 7, 15, 13, 0, tzinfo=dt.UTC)  # 09:00 at UTC-4
    assert scenario.events[0].date_only is False
