"""A collector works the queue: sees why each account is where it is, takes the next one, logs a call
nobody answered, then a verified conversation with a promise, schedules a callback (the timeline updates
without a page reload), and takes the next account; their manager sees the lease and breaks it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import ledger_post
from contacts.services import address_add, phone_add
from desk.services import queue_rescore
from tests.factories import PASSWORD, PatientAccountFactory, PersonFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk():
    east, west = TeamFactory(name="East"), TeamFactory(name="West")
    collector = UserFactory(
        username="casey", first_name="Casey", last_name="Lane", role="collector", teams=[east]
    )
    manager = UserFactory(
        username="morgan", first_name="Morgan", last_name="Reed", role="manager", teams=[east]
    )
    callback = PatientAccountFactory(
        team=east,
        client_account_number="E-CALLBACK",
        guarantor=PersonFactory(first_name="Dana", last_name="Whitfield"),
        next_action_at=timezone.now() - dt.timedelta(minutes=2),
    )
    ledger_post(
        account=callback, kind="charge", amount="2310.00", effective_date=dt.date(2026, 2, 3), actor=None
    )
    address_add(
        person=callback.guarantor,
        line1="200 W Broadway",
        city="Missoula",
        state="MT",
        zip_code="59802",
        actor=None,
    )
    phone_add(person=callback.guarantor, number="4062035512", kind="mobile", actor=None)
    PatientAccountFactory(team=east, client_account_number="E-SMALL")
    PatientAccountFactory(
        team=west,
        client_account_number="W-OTHER",
        guarantor=PersonFactory(first_name="Omar", last_name="Quist"),
    )
    queue_rescore()
    return collector, manager, callback


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/auth/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_collector_works_the_queue_and_manager_sees_the_lease(live_server, browser, page, desk):
    collector, manager, callback = desk
    log_in(page, live_server.url, "casey")
    page.get_by_role("link", name="Queue").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()

    first_row = page.locator("#queue-rows tbody tr").first
    expect(first_row).to_contain_text("Whitfield, Dana")
    expect(first_row).to_contain_text("callback due")
    expect(first_row).to_contain_text("$2,310 balance")
    expect(page.locator("#queue-rows")).not_to_contain_text("Quist")

    page.get_by_role("button", name="Work next account").click()
    expect(page).to_have_url(re.compile(rf"/work/{callback.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Whitfield")
    expect(page.locator("#lease-bar")).to_contain_text("You hold account E-CALLBACK")
    # The compliance engine's answer for a call now (allowed or not depends on the hour in Missoula).
    expect(page.locator("#call-decision")).to_contain_text(
        re.compile(r"Calling now is allowed|Do not call now")
    )
    page.evaluate("window.__same_page = true")  # gone if anything below reloads the page

    # Nobody answers; later the guarantor calls back, is verified, and promises a payment.
    page.keyboard.press("a")
    page.locator("#id_attempt-disposition").select_option("no_answer")
    page.get_by_role("button", name="Log attempt").click()
    expect(page.locator("#timeline")).to_contain_text("Call: No answer")

    expect(page.locator("#balance")).to_have_text("verify first")
    page.keyboard.press("v")
    page.keyboard.type("05/17/1980")
    page.get_by_label("SSN, last four").fill("1234")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#balance")).to_have_text("$2,310.00")

    page.locator("#id_attempt-direction").select_option("inbound")
    page.locator("#id_attempt-disposition").select_option("promise")
    page.locator("#id_attempt-note").fill("Promises $200 on the 1st")
    page.get_by_role("button", name="Log attempt").click()
    expect(page.locator("#timeline")).to_contain_text("Call: Promise to pay")

    page.locator("#id_callback-at").fill("2030-01-02T10:15")
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("#timeline")).to_contain_text("callback scheduled for 2030-01-02 17:15 UTC")
    assert page.evaluate("window.__same_page") is True

    # "n": finish this account and take the next one.
    page.evaluate("document.activeElement.blur()")  # out of the form field, as a click elsewhere would
    page.keyboard.press("n")
    expect(page.locator("#lease-bar")).to_contain_text("You hold account E-SMALL")
    expect(page).to_have_url(re.compile(r"/work/\d+/$"))

    manager_context = browser.new_context()
    manager_page = manager_context.new_page()
    log_in(manager_page, live_server.url, "morgan")
    manager_page.get_by_role("link", name="Desk", exact=True).click()
    row = manager_page.locator("#desk-table tbody tr", has_text="Casey Lane")
    expect(row).to_contain_text("E-SMALL")
    expect(row.get_by_role("button", name="Break the lease of Casey Lane")).to_be_visible()

    row.get_by_role("button", name="Break the lease of Casey Lane").click()
    expect(manager_page.locator("#desk-table tbody tr", has_text="Casey Lane")).to_contain_text("nothing")
    manager_context.close()
    assert page.csp_errors == []
