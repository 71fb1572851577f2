"""A collector works the queue: sees why each account is where it is, takes the next one, lands on it;
their manager sees the hold on the desk view."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import ledger_post
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


def test_collector_works_next_account_and_manager_sees_the_lease(live_server, browser, page, desk):
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
    # desk.selectors.workspace_url: the account page, which now opens the workspace.
    expect(page).to_have_url(re.compile(rf"/(accounts|work)/{callback.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Whitfield")
    expect(page.locator("#lease-bar")).to_contain_text("You hold account E-CALLBACK")

    manager_context = browser.new_context()
    manager_page = manager_context.new_page()
    log_in(manager_page, live_server.url, "morgan")
    manager_page.get_by_role("link", name="Desk", exact=True).click()
    row = manager_page.locator("#desk-table tbody tr", has_text="Casey Lane")
    expect(row).to_contain_text("E-CALLBACK")
    expect(row.get_by_role("button", name="Break the lease of Casey Lane")).to_be_visible()

    row.get_by_role("button", name="Break the lease of Casey Lane").click()
    expect(manager_page.locator("#desk-table tbody tr", has_text="Casey Lane")).to_contain_text("nothing")
    manager_context.close()
    assert page.csp_errors == []
