"""Parameters of RULES.md §11: defaults, names, validation of overrides, admin metadata."""

from __future__ import annotations

import re

import pytest
import yaml

from compliance.engine import evaluate
from compliance.parameters import PARAMETERS, effective_parameters, parameter_spec
from tests.compliance.helpers import DENVER, call_action, facts, local

# The defaults block of RULES.md §11, as published (comments removed).
SECTION_11 = """
regf:
  applies_to_first_party: true
  call_window_local: {start: "08:00", end: "21:00", exclusive: true, end_buffer_min: 5}
  ambiguous_location: intersect_all_candidate_zones
  call_cap: {max_calls: 7, window_days: 7, unit: [collector, person, particular_debt]}
  conversation_cooldown_days: 7
  consent_exclusion_max_days: 7
  excluded_dispositions: [busy, not_in_service]
  excluded_recipients: [consumer_attorney, cra, creditor, creditor_attorney, collector_attorney]
  student_loans_single_account_is_one_debt: true
  attorney_no_response_days: 30
  validation:
    send_within_days: 5
    assumed_receipt_business_days: 5
    period_days: 30
    holidays: "5 USC 6103(a)"
    itemization_dates: [last_statement, charge_off, last_payment, transaction, judgment]
  passive_reporting_wait_days: 14
  retention_years: {records_after_last_activity: 3, call_recordings_after_call: 3}
policy_guardrails:
  min_gap_same_number_min: 240
  max_attempts_per_number_per_day: 2
  person_all_debts_per_7d: {warn: 7, block: 14}
  medical_debt_call_bucket: per_provider_guarantor
  sms_per_debt_per_7d: 3
  sms_per_day: 1
  email_per_debt_per_7d: 3
  email_per_day: 1
  sunday_holiday_calls: warn
  dispute_hold_days: 10
  oral_stop_all_media_days: 10
credit_reporting_medical:
  enabled: false
  min_initial_balance_usd: 500
  delay_days_from_dofd: 365
  delete_on_paid_in_full: true
  state_bans: [CO, NY, CA, NJ, CT, VT, ME, OR, MD]
  void_if_reported: [NY, CA]
irs_501r:
  notification_period_days: 120
  eca_written_notice_days: 30
  application_period_days: 240
  refund_min_usd: 5
  earliest_eca: "max(pdbs+120d, notice+30d, oral+30d, stated deadline) + 1d"
tcpa:
  revocation_honor_business_days: 10
  engine_revocation_sla: immediate
  revoke_all_effective: "2027-01-31"
  revocation_keywords: [stop, quit, end, revoke, "opt out", cancel, unsubscribe]
  rnd_check_max_age_days: 30
states:
  MA:
    applies_to_creditors: true
    counts_texts: true
    personal_numbers: {max: 2, window_days: 7, per: debt}
    other_numbers: {max: 2, window_days: 30, per: debt}
    work_oral_request_days: 10
    work_written_confirm_days: 7
    household_hours_if_unknown: {start: "08:00", end: "21:00", zone: America/New_York}
  WA:
    applies_to: [agency]
    all_channels: {max: 3, window_days: 7, per: debtor_and_spouse}
    workplace: {max: 1, window_days: 7}
    residence_quiet: {from: "21:00", to: "07:30"}
  NYC:
    all_channels: {max: 3, window_days: 7, per: account}
    electronic_requires_written_consent: true
    effective: "2026-09-01"
  DC:
    calls: {max: 3, window_days: 7, per: consumer}
legal:
  sol_years_by_state: {}
  sol_accrual: dofd
hipaa:
  audit_every_phi_access: true
  rpv_identifiers_min: 2
  retention_years: 6
  audit_retention_years: 6
retention:
  account_records_years_after_last_activity: 6
  call_recordings_years: 6
"""

# Nodes of the block that hold a value (a leaf, or a documented structure such as call_window_local).
_STRUCT_VALUES = {
    "regf.call_window_local",
    "regf.call_cap",
    "regf.retention_years",
    "regf.validation",
    "policy_guardrails.person_all_debts_per_7d",
    "states.MA.personal_numbers",
    "states.MA.other_numbers",
    "states.MA.household_hours_if_unknown",
    "states.WA.all_channels",
    "states.WA.workplace",
    "states.WA.residence_quiet",
    "states.NYC.all_channels",
    "states.DC.calls",
}


def _leaves(tree, prefix=""):
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in ("legal.sol_years_by_state",):
            if name in _STRUCT_VALUES:
                yield name, value
            yield from _leaves(value, name + ".")
        else:
            yield name, value


def _plain(value):
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


DOCUMENTED = dict(_leaves(yaml.safe_load(SECTION_11)))


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_every_documented_parameter_exists_with_its_default(name):
    values = effective_parameters({})
    assert name in values
    expected = DOCUMENTED[name]
    assert _plain(values[name]) == expected


def test_no_undocumented_parameters():
    assert set(PARAMETERS) == set(DOCUMENTED)


def test_metadata_for_the_admin_page():
    for name, spec in PARAMETERS.items():
        assert spec.name == name
        assert spec.rule_ids, name
        assert spec.source, name
        assert spec.description, name
    spec = parameter_spec("policy_guardrails.min_gap_same_number_min")
    assert spec.default == 240
    assert spec.rule_ids == ("FREQ-07",)
    assert parameter_spec("regf.call_window_local.end_buffer_min").rule_ids == ("TIME-01", "TIME-02")


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match=r"^regf\.call_windw: unknown parameter"):
        effective_parameters({"regf.call_windw": {}})
    with pytest.raises(ValueError, match=r"^nope: unknown parameter"):
        parameter_spec("nope")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("policy_guardrails.min_gap_same_number_min", "240", "expected a whole number"),
        ("policy_guardrails.min_gap_same_number_min", True, "expected a whole number"),
        ("policy_guardrails.min_gap_same_number_min", -1, "must not be negative"),
        ("credit_reporting_medical.enabled", "yes", "expected true or false"),
        ("credit_reporting_medical.enabled", 1, "expected true or false"),
        ("policy_guardrails.medical_debt_call_bucket", "per_patient", "expected one of"),
        ("credit_reporting_medical.state_bans", ["CO", "Colorado"], "not a two-letter state code"),
        ("credit_reporting_medical.state_bans", "CO", "expected a list"),
        ("states.NYC.effective", "next year", "expected a date"),
        ("legal.sol_years_by_state", {"CO": "six"}, "expected a positive whole number"),
        ("credit_reporting_medical.min_initial_balance_usd", "lots", "expected an amount"),
    ],
)
def test_wrong_type_is_named(name, value, message):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}(\.\w+)?: {message}"):
        effective_parameters({name: value})


def test_structures_are_replaced_whole_and_checked():
    with pytest.raises(ValueError, match=r"^regf\.call_window_local: missing exclusive, end_buffer_min"):
        effective_parameters({"regf.call_window_local": {"start": "08:00", "end": "20:00"}})
    window = {"start": "08:00", "end": "21:00", "exclusive": True, "end_buffer_min": 5, "finish": "x"}
    with pytest.raises(ValueError, match=r"^regf\.call_window_local\.finish: unknown parameter"):
        effective_parameters({"regf.call_window_local": window})
    with pytest.raises(ValueError, match=r"^regf\.call_window_local\.start: expected a local time HH:MM"):
        effective_parameters(
            {
                "regf.call_window_local": {
                    "start": "8am",
                    "end": "21:00",
                    "exclusive": True,
                    "end_buffer_min": 5,
                }
            }
        )


def test_field_and_structure_stay_in_step():
    values = effective_parameters({"regf.call_window_local.end_buffer_min": 0})
    assert values["regf.call_window_local"]["end_buffer_min"] == 0
    assert values["regf.call_window_local"]["start"] == "08:00"
    values = effective_parameters({"policy_guardrails.person_all_debts_per_7d": {"warn": 5, "block": 9}})
    assert values["policy_guardrails.person_all_debts_per_7d.block"] == 9
    assert values.overridden == ("policy_guardrails.person_all_debts_per_7d",)
    # the defaults themselves are untouched
    assert effective_parameters({})["policy_guardrails.person_all_debts_per_7d.block"] == 14


def test_engine_uses_client_overrides_and_rejects_bad_ones():
    at = local(DENVER, 2025, 7, 15, 20, 58)
    assert not evaluate(facts(), call_action(), at).allowed
    assert evaluate(facts(settings={"regf.call_window_local.end_buffer_min": 0}), call_action(), at).allowed
    with pytest.raises(ValueError, match="end_buffer_min"):
        evaluate(facts(settings={"regf.call_window_local.end_buffer_min": "zero"}), call_action(), at)


def test_a_section_mapping_sets_the_parameters_it_names():
    values = effective_parameters(
        {"credit_reporting_medical": {"enabled": True}, "states": {"MA": {"counts_texts": False}}}
    )
    assert values["credit_reporting_medical.enabled"] is True
    assert values["credit_reporting_medical.min_initial_balance_usd"] == 500
    assert values["states.MA.counts_texts"] is False
    with pytest.raises(ValueError, match=r"^credit_reporting_medical\.enabeld: unknown parameter"):
        effective_parameters({"credit_reporting_medical": {"enabeld": True}})
    with pytest.raises(ValueError, match=r"^credit_reporting_medical\.enabled: given twice"):
        effective_parameters(
            {"credit_reporting_medical": {"enabled": True}, "credit_reporting_medical.enabled": True}
        )
