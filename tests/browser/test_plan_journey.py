"""A manager builds a payment plan in the workspace: the schedule and the policy verdict follow every
change of the terms without a page reload, the plan is agreed and its installments appear, a payment
fills the first one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import ledger_post
from arrangements.models import PaymentPlan
from tests.browser.test_queue_journey import log_in
from tests.factories import PatientAccountFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account():
    east = TeamFactory(name="East")
    UserFactory(username="morgan", first_name="Morgan", last_name="Reed", role="manager", teams=[east])
    account = PatientAccountFactory(team=east, status="active", client_account_number="E-PLAN")
    ledger_post(
        account=account, kind="charge", amount="1200.00", effective_date=dt.date(2026, 2, 3), actor=None
    )
    return account


def test_a_manager_builds_a_plan_that_recalculates_live_and_posts_a_payment(live_server, page, account):
    log_in(page, live_server.url, "morgan")
    page.goto(f"{live_server.url}/work/{account.pk}/")
    page.evaluate("window.__same_page = true")
    preview = page.locator("#plan-preview")
    expect(preview).to_contain_text("6 payments")  # the builder's first guess, computed on load
    page.get_by_label("Installments").fill("4")
    expect(preview).to_contain_text("4 payments")
    expect(preview).to_contain_text("300.00")
    expect(preview).to_contain_text("Within policy.")
    page.get_by_label("Installments").fill("120")
    expect(preview).to_contain_text("Needs a manager's approval")
    page.get_by_label("Installments").fill("4")
    expect(preview).to_contain_text("Within policy.")
    page.get_by_role("button", name="Agree plan").click()
    expect(page.locator("#installments tbody tr")).to_have_count(4)
    assert PaymentPlan.objects.get().state == "active"

    first_due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    page.get_by_label("Amount", exact=True).last.fill("300.00")
    page.get_by_label("Paid on").fill(first_due)
    page.get_by_role("button", name="Post payment").click()
    expect(page.locator("#installments tbody tr").first).to_contain_text("Paid")
    assert page.evaluate("window.__same_page") is True
    assert page.csp_errors == []
