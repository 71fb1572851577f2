from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Note
from accounts.services import ledger_post
from audit.models import AuditEvent
from audit.selectors import account_views
from contacts.services import phone_add, rpv_verify

pytestmark = pytest.mark.django_db


def detail(account) -> str:
    return reverse("workspace:account", args=[account.pk])


def test_the_old_account_address_leads_to_the_workspace_within_scope(
    client, collector, account, west_account
):
    client.force_login(collector)
    r = client.get(reverse("accounts:detail", args=[account.pk]))
    assert r.status_code == 302
    assert r.url == detail(account)
    assert client.get(reverse("accounts:detail", args=[west_account.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, account):
    r = client.get(detail(account))
    assert r.status_code == 302
    assert r.url.startswith("/auth/login/")


def test_collector_opens_an_account_of_their_team(client, collector, account):
    ledger_post(
        account=account, kind="charge", amount="512.40", effective_date=dt.date(2026, 3, 2), actor=None
    )
    phone_add(person=account.guarantor, number="(406) 203-5512", kind="mobile", actor=None)
    rpv_verify(
        person=account.guarantor,
        actor=collector,
        answers={"date_of_birth": "1980-05-17", "ssn_last4": "1234"},
    )
    client.force_login(collector)

    r = client.get(detail(account))

    assert r.status_code == 200
    page = r.content.decode()
    assert account.guarantor.last_name in page
    assert "$512.40" in page
    assert "(406) 203-5512" in page


def test_collector_gets_404_for_another_teams_account(client, collector, west_account):
    client.force_login(collector)
    assert client.get(detail(west_account)).status_code == 404
    assert client.get(reverse("workspace:panel", args=[west_account.pk, "timeline"])).status_code == 404


def test_a_tampered_account_id_is_a_404_not_an_error(client, collector):
    client.force_login(collector)
    assert client.get("/accounts/999999999/").status_code == 404
    assert client.get("/work/999999999/").status_code == 404
    assert client.get("/work/abc/").status_code == 404


def test_manager_sees_the_accounts_of_each_of_their_teams(client, manager, account, west_account):
    client.force_login(manager)
    assert client.get(detail(account)).status_code == 200
    assert client.get(detail(west_account)).status_code == 200


def test_manager_of_one_team_does_not_see_the_others(client, west_manager, account):
    client.force_login(west_manager)
    assert client.get(detail(account)).status_code == 404


def test_admin_sees_every_account(client, admin_user, account, west_account):
    client.force_login(admin_user)
    assert client.get(detail(account)).status_code == 200
    assert client.get(detail(west_account)).status_code == 200


def test_account_list_shows_only_the_collectors_team(client, collector, account, west_account):
    client.force_login(collector)
    r = client.get(reverse("accounts:list"))
    assert r.status_code == 200
    assert [a.pk for a in r.context["accounts"]] == [account.pk]


def test_opening_an_account_writes_a_view_event(client, collector, account):
    client.force_login(collector)
    client.get(detail(account), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="accounts.account.viewed")
    assert (event.actor, event.account_id, event.ip) == (collector, account.pk, "10.1.2.3")
    assert event.data == {}


def test_views_are_audited_but_are_not_the_accounts_history(client, collector, account):
    client.force_login(collector)
    client.get(reverse("accounts:list"))
    client.get(detail(account))
    r = client.get(reverse("workspace:panel", args=[account.pk, "timeline"]), headers={"HX-Request": "true"})
    assert AuditEvent.objects.filter(action="accounts.account.viewed", account_id=account.pk).count() == 3
    assert r.context["timeline"] == []


def test_listing_accounts_writes_a_view_event_naming_the_accounts_shown(client, collector, account):
    client.force_login(collector)
    client.get(reverse("accounts:list"))
    event = AuditEvent.objects.get(action="accounts.account.viewed", data__via="list")
    assert (event.account_id, event.account_ids) == (account.pk, None)  # one account: its own column
    assert [e.pk for e in account_views(account_id=account.pk)] == [event.pk]


def test_a_denied_account_writes_no_view_event(client, collector, west_account):
    client.force_login(collector)
    client.get(detail(west_account))
    assert not AuditEvent.objects.filter(account_id=west_account.pk).exists()


def test_adding_a_note_with_htmx_returns_a_fresh_form_and_signals_the_timeline(client, collector, account):
    client.force_login(collector)
    r = client.post(
        reverse("accounts:note-create", args=[account.pk]),
        {"body": "Guarantor asked for an itemized statement."},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert r.headers["HX-Trigger"] == '{"account-changed": {}}'
    body = r.content.decode()
    assert 'id="note-form"' in body
    assert "<html" not in body
    assert Note.objects.get().body == "Guarantor asked for an itemized statement."

    timeline = client.get(
        reverse("workspace:panel", args=[account.pk, "timeline"]), headers={"HX-Request": "true"}
    )
    assert "Guarantor asked for an itemized statement." in timeline.content.decode()


def test_adding_a_note_without_javascript_redirects_back_to_the_account(client, collector, account):
    client.force_login(collector)
    r = client.post(reverse("accounts:note-create", args=[account.pk]), {"body": "Left voicemail."})
    assert r.status_code == 302
    assert r.url == detail(account)


def test_an_empty_note_is_an_error_and_stores_nothing(client, collector, account):
    client.force_login(collector)
    r = client.post(
        reverse("accounts:note-create", args=[account.pk]), {"body": "  "}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    assert "This field is required." in r.content.decode()
    assert not Note.objects.exists()


def test_a_note_on_another_teams_account_is_a_404_and_stores_nothing(client, collector, west_account):
    client.force_login(collector)
    r = client.post(reverse("accounts:note-create", args=[west_account.pk]), {"body": "hello"})
    assert r.status_code == 404
    assert not Note.objects.exists()


def test_the_account_page_needs_a_fixed_number_of_queries(
    client, collector, account, django_assert_max_num_queries
):
    for n in range(5):
        ledger_post(
            account=account, kind="charge", amount="10", effective_date=dt.date(2026, 3, n + 1), actor=None
        )
    client.force_login(collector)
    client.get(detail(account))  # warm the session
    # 13 for the page before a verification (no ledger, plan or messages shown) and 11 for the facts
    # of the compliance engine's call decisions (phones, emails, addresses, accounts, attempts and the
    # accounts they concerned, preferences and theirs, notices, payments, holds), whatever the history.
    with django_assert_max_num_queries(24):
        client.get(detail(account))


def test_pages_carry_a_nonce_csp_and_serve_htmx_locally(client, collector, account):
    client.force_login(collector)
    r = client.get(detail(account))
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "/static/django_htmx/htmx" in r.content.decode()


def test_search_by_last_name_is_case_insensitive_and_stays_within_the_team(client, collector, east, west):
    from tests.factories import PatientAccountFactory, PersonFactory

    mine = PatientAccountFactory(team=east, guarantor=PersonFactory(first_name="Dana", last_name="Whitfield"))
    PatientAccountFactory(team=west, guarantor=PersonFactory(first_name="Dana", last_name="Whitfield"))
    PatientAccountFactory(team=east, guarantor=PersonFactory(first_name="Omar", last_name="Quist"))
    client.force_login(collector)

    for query in ("whitfield", "WHITFIELD, da", mine.client_account_number, str(mine.pk)):
        r = client.get(reverse("accounts:list"), {"q": query})
        assert [a.pk for a in r.context["accounts"]] == [mine.pk], query
