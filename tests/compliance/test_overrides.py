"""Per-client overrides of the compliance parameters: the admin page, its audited write, and the engine
reading what the admin set."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from compliance.overrides import client_overrides_update
from compliance.selectors import call_decisions, facts_for_guarantors
from contacts.services import address_add, phone_add
from tests.factories import ClientFactory, PatientAccountFactory

pytestmark = pytest.mark.django_db

BUFFER = "regf.call_window_local.end_buffer_min"
WINDOW = "regf.call_window_local"
PLAN = {"plan": {"min_payment": "25.00", "max_months": 12}}  # the plan policy's own key


@pytest.fixture
def hospital(db):
    return ClientFactory(name="Mercy General", policy_overrides=dict(PLAN))


def page(hospital) -> str:
    return reverse("compliance:client-parameters", args=[hospital.pk])


def row(response, name: str) -> str:
    """The text of the table row of parameter `name`, as a reader sees it (no tags, entities decoded)."""
    page_html = response.content.decode()
    found = re.search(rf'<tr id="p-{re.escape(name)}">(.*?)</tr>', page_html, re.S)
    assert found, f"no row for {name}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def set_value(client, hospital, name, value, *, follow=True):
    data = {"parameter": name, "value": value, "action": "set"}
    return client.post(page(hospital), data, follow=follow)


def reset(client, hospital, name):
    return client.post(page(hospital), {"parameter": name, "action": "reset"}, follow=True)


def events():
    return list(AuditEvent.objects.filter(action="compliance.parameters.changed").order_by("pk"))


def test_every_parameter_is_listed_with_its_default_rule_and_source(client, admin_user, hospital):
    client.force_login(admin_user)
    response = client.get(page(hospital))
    assert response.status_code == 200
    assert row(response, BUFFER).startswith(f"{BUFFER} Minutes before the end")
    assert "5 5 default TIME-01, TIME-02 12 CFR 1006.6(b)(1)(i)" in row(response, BUFFER)
    assert "default" in row(response, "credit_reporting_medical.enabled")
    assert "CO, NY, CA, NJ, CT, VT, ME, OR, MD" in row(response, "credit_reporting_medical.state_bans")


def test_admin_sets_an_override_the_page_shows_it_and_the_change_is_audited(client, admin_user, hospital):
    client.force_login(admin_user)
    response = set_value(client, hospital, BUFFER, "0")
    assert response.redirect_chain[-1][1] == 302
    assert f"{BUFFER} set to 0 for Mercy General." in response.content.decode()
    assert "0 5 override" in row(response, BUFFER)
    # The structure the field belongs to shows the effective structure, marked as changed through its field.
    assert '"end_buffer_min": 0' in row(response, WINDOW)
    assert f"override via {BUFFER}" in row(response, WINDOW)

    hospital.refresh_from_db()
    assert hospital.policy_overrides == {**PLAN, "compliance": {BUFFER: 0}}
    [event] = events()
    assert event.actor == admin_user
    assert event.data == {"client_id": hospital.pk, "changed": {BUFFER: [None, 0]}, "removed": []}

    set_value(client, hospital, BUFFER, "3")
    assert events()[-1].data["changed"] == {BUFFER: [0, 3]}


def test_reset_brings_the_default_back_and_is_audited(client, admin_user, hospital):
    client.force_login(admin_user)
    set_value(client, hospital, BUFFER, "0")
    response = reset(client, hospital, BUFFER)
    assert f"{BUFFER} reset to the default for Mercy General." in response.content.decode()
    assert "5 5 default" in row(response, BUFFER)
    hospital.refresh_from_db()
    assert hospital.policy_overrides == PLAN
    assert events()[-1].data == {
        "client_id": hospital.pk,
        "changed": {BUFFER: [0, None]},
        "removed": [BUFFER],
    }


def test_setting_the_same_value_again_changes_nothing_and_is_not_audited(client, admin_user, hospital):
    client.force_login(admin_user)
    set_value(client, hospital, BUFFER, "0")
    response = set_value(client, hospital, BUFFER, "0")
    assert f"{BUFFER}: nothing changed." in response.content.decode()
    response = reset(client, hospital, "regf.call_cap.max_calls")  # never overridden
    assert "regf.call_cap.max_calls: nothing changed." in response.content.decode()
    assert len(events()) == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (BUFFER, "-3", f"{BUFFER}: must not be negative"),
        (BUFFER, "five", f"{BUFFER}: expected a whole number"),
        ("regf.call_window_local.start", "8am", "expected a local time HH:MM"),
        ("policy_guardrails.sunday_holiday_calls", "sometimes", "expected one of warn, block, off"),
        ("credit_reporting_medical.state_bans", "CO, New York", "not a two-letter state code"),
        (WINDOW, '{"start": "07:00"}', "missing end, exclusive, end_buffer_min"),
        (BUFFER, "", "Enter a value, or reset the parameter to its default."),
        ("regf.no_such_rule", "3", "Select a valid choice. regf.no_such_rule is not one of the available"),
    ],
)
def test_a_bad_name_or_value_is_explained_and_nothing_is_stored(
    client, admin_user, hospital, name, value, message
):
    client.force_login(admin_user)
    response = set_value(client, hospital, name, value, follow=False)
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    hospital.refresh_from_db()
    assert hospital.policy_overrides == PLAN
    assert events() == []


def test_plain_text_is_read_per_kind_of_parameter(client, admin_user, hospital):
    client.force_login(admin_user)
    set_value(client, hospital, "credit_reporting_medical.enabled", "yes")
    set_value(client, hospital, "credit_reporting_medical.state_bans", "co, ny")
    set_value(client, hospital, "credit_reporting_medical.min_initial_balance_usd", "$750.50")
    set_value(client, hospital, "policy_guardrails.sunday_holiday_calls", "block")
    set_value(client, hospital, "legal.sol_years_by_state", "CO: 6, ny: 6")
    response = set_value(client, hospital, "tcpa.revoke_all_effective", "2026-12-01")
    assert "2026-12-01 2027-01-31 override" in row(response, "tcpa.revoke_all_effective")
    assert "CO, NY CO, NY, CA" in row(response, "credit_reporting_medical.state_bans")
    hospital.refresh_from_db()
    assert hospital.policy_overrides["compliance"] == {
        "credit_reporting_medical.enabled": True,
        "credit_reporting_medical.state_bans": ["CO", "NY"],
        "credit_reporting_medical.min_initial_balance_usd": "750.50",
        "policy_guardrails.sunday_holiday_calls": "block",
        "legal.sol_years_by_state": {"CO": 6, "NY": 6},
        "tcpa.revoke_all_effective": "2026-12-01",
    }


def test_the_change_link_fills_the_form_with_the_current_value(client, admin_user, hospital):
    client.force_login(admin_user)
    set_value(client, hospital, BUFFER, "0")
    response = client.get(page(hospital), {"parameter": WINDOW})
    content = response.content.decode()
    assert f'<option value="{WINDOW}" selected>' in content
    assert (
        'value="{&quot;start&quot;: &quot;08:00&quot;, &quot;end&quot;: &quot;21:00&quot;, '
        '&quot;exclusive&quot;: true, &quot;end_buffer_min&quot;: 0}"' in content
    )


def test_a_structure_replaces_the_overrides_of_its_fields(client, admin_user, hospital):
    client.force_login(admin_user)
    set_value(client, hospital, BUFFER, "0")
    window = '{"start": "09:00", "end": "20:00", "exclusive": true, "end_buffer_min": 10}'
    response = set_value(client, hospital, WINDOW, window)
    assert "10 5 override via regf.call_window_local" in row(response, BUFFER)
    hospital.refresh_from_db()
    new = {"start": "09:00", "end": "20:00", "exclusive": True, "end_buffer_min": 10}
    assert hospital.policy_overrides["compliance"] == {WINDOW: new}
    assert events()[-1].data == {
        "client_id": hospital.pk,
        "changed": {WINDOW: [None, new], BUFFER: [0, None]},
        "removed": [BUFFER],
    }


def test_the_client_list_counts_each_clients_overrides(client, admin_user, hospital):
    valley = ClientFactory(name="Valley Clinic")
    client.force_login(admin_user)
    set_value(client, hospital, BUFFER, "0")
    set_value(client, hospital, "credit_reporting_medical.enabled", "true")
    content = client.get(reverse("compliance:clients")).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", content).split())
    assert f"Mercy General {hospital.code} Agency (third-party collector) 2" in text
    assert f"Valley Clinic {valley.code} Agency (third-party collector) none (defaults)" in text
    assert page(hospital) in content
    assert ">Compliance</a>" in content  # the admin's menu leads here


def test_a_stored_value_the_engine_refuses_is_shown_and_can_be_reset(client, admin_user):
    # Written around the page (e.g. an import): the engine would fail for this client's accounts.
    broken = ClientFactory(policy_overrides={"compliance": {"regf.call_cap.max_calls": "seven", BUFFER: 0}})
    client.force_login(admin_user)
    response = client.get(page(broken))
    assert (
        "regf.call_cap.max_calls: expected a whole number, got &#x27;seven&#x27;" in response.content.decode()
    )
    assert "0 5 override" in row(response, BUFFER)
    response = reset(client, broken, "regf.call_cap.max_calls")
    assert "Stored overrides the engine refuses" not in response.content.decode()
    broken.refresh_from_db()
    assert broken.policy_overrides == {"compliance": {BUFFER: 0}}


@pytest.mark.parametrize("persona", ["collector", "manager"])
def test_only_admins_have_these_pages(client, hospital, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(reverse("compliance:clients")).status_code == 404
    assert client.get(page(hospital)).status_code == 404
    assert set_value(client, hospital, BUFFER, "0", follow=False).status_code == 404
    assert ">Compliance</a>" not in client.get(reverse("desk:queue")).content.decode()
    with pytest.raises(PermissionDenied):
        client_overrides_update(client=hospital, actor=user, changes={BUFFER: 0})
    hospital.refresh_from_db()
    assert hospital.policy_overrides == PLAN
    assert events() == []


def test_the_pages_need_a_login(client, hospital):
    response = client.get(page(hospital))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("auth:login"))


def test_the_service_names_the_parameter_it_refuses(admin_user, hospital):
    with pytest.raises(ValidationError, match="regf.no_such_rule: unknown parameter"):
        client_overrides_update(client=hospital, actor=admin_user, changes={"regf.no_such_rule": 1})
    with pytest.raises(ValidationError, match=f"{BUFFER}: expected a whole number"):
        client_overrides_update(client=hospital, actor=admin_user, changes={BUFFER: "5"})
    hospital.refresh_from_db()
    assert hospital.policy_overrides == PLAN
    assert events() == []


def test_an_override_set_on_the_page_reaches_the_engine(client, admin_user, hospital, east):
    # The window's end buffer (C-04) at 0 minutes for this client: a call at 20:58 in Denver is allowed.
    midday = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)
    late = dt.datetime(2026, 11, 19, 3, 58, tzinfo=dt.UTC)  # 20:58 MST
    with time_machine.travel(midday, tick=False):
        account = PatientAccountFactory(team=east, client=hospital)
        person = account.guarantor
        address_add(person=person, line1="1 Main St", city="Denver", state="CO", zip_code="80202", actor=None)
        phone_add(person=person, number="+1 303 555 0100", kind="mobile", actor=None)
        client.force_login(admin_user)
        set_value(client, hospital, BUFFER, "0")

    facts = facts_for_guarantors([person.pk], now=late)[(person.pk, hospital.pk)]
    assert facts.client.settings == {BUFFER: 0}
    with time_machine.travel(late, tick=False):
        decision = call_decisions([(account.pk, person.pk, hospital.pk)], now=late)[account.pk]
        assert decision.allowed
        reset(client, hospital, BUFFER)
        decision = call_decisions([(account.pk, person.pk, hospital.pk)], now=late)[account.pk]
    assert not decision.allowed
    assert "TIME-01" in decision.decision.blocking
