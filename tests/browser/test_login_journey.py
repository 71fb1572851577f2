from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.services import ledger_post
from contacts.services import address_add, phone_add
from tests.factories import PASSWORD, PatientAccountFactory, PersonFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk():
    east, west = TeamFactory(name="East"), TeamFactory(name="West")
    collector = UserFactory(
        username="casey", first_name="Casey", last_name="Lane", role="collector", teams=[east]
    )
    mine = PatientAccountFactory(team=east, guarantor=PersonFactory(first_name="Dana", last_name="Whitfield"))
    ledger_post(account=mine, kind="charge", amount="1840.00", effective_date=dt.date(2026, 2, 3), actor=None)
    address_add(
        person=mine.guarantor,
        line1="200 W Broadway",
        city="Missoula",
        state="MT",
        zip_code="59802",
        actor=None,
    )
    phone_add(person=mine.guarantor, number="4062035512", kind="mobile", actor=None)
    theirs = PatientAccountFactory(team=west, guarantor=PersonFactory(first_name="Omar", last_name="Quist"))
    return collector, mine, theirs


def test_collector_logs_in_opens_an_account_adds_a_note_and_logs_out(live_server, page, desk):
    collector, mine, theirs = desk
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/auth/login/?next=/")

    # Keyboard only: the username field has focus; Tab to the password, Enter submits.
    page.keyboard.type("casey")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    expect(page.get_by_text("Whitfield, Dana").first).to_be_visible()
    expect(page.get_by_text("Quist")).to_have_count(0)

    page.get_by_role("link", name=mine.client_account_number).click()
    expect(page.locator("#balance")).to_have_text("verify first")
    # The queue journey (test_queue_journey.py) works the account; here: a note, saved without a reload.
    page.evaluate("window.__same_page = true")
    page.get_by_label("Add a note").fill("Asked for an itemized statement")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#timeline")).to_contain_text("Asked for an itemized statement")
    expect(page.get_by_label("Add a note")).to_have_value("")
    assert page.evaluate("window.__same_page") is True

    response = page.goto(f"{live_server.url}/accounts/{theirs.pk}/")
    assert response.status == 404

    page.goto(f"{live_server.url}/accounts/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/{mine.pk}/")
    expect(page).to_have_url(f"{live_server.url}/auth/login/?next=/accounts/{mine.pk}/")
    assert page.csp_errors == []
