"""The workspace asks the compliance engine before a call and records what broke a rule anyway."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from contacts.models import ContactAttempt, ContactPreference
from tests.workspace.helpers import log_attempt, url

pytestmark = pytest.mark.django_db

# Wednesday 18 November 2026 in Missoula (MST, UTC-7): 07:30 and 11:00.
EARLY = dt.datetime(2026, 11, 18, 14, 30, tzinfo=dt.UTC)
LATE_MORNING = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)


def test_within_the_window_the_number_is_offered_to_dial(client, desk):
    account, phone = desk
    with time_machine.travel(LATE_MORNING, tick=False):
        page = client.get(url("account", account)).content.decode()
    assert "Calling now is allowed" in page
    assert f'href="tel:{phone.number}"' in page
    assert "may be called now" in page


def test_before_eight_the_page_says_why_not_and_when(client, desk):
    account, phone = desk
    with time_machine.travel(EARLY, tick=False):
        page = client.get(url("account", account)).content.decode()
    assert "Do not call now: TIME-01" in page
    assert "next call Wed 08:00 MST" in page
    assert f'href="tel:{phone.number}"' not in page


def test_a_call_that_broke_a_rule_is_recorded_flagged_and_reviewed_by_a_manager(
    client, desk, manager, collector
):
    account, phone = desk
    with time_machine.travel(EARLY, tick=False):
        r = log_attempt(client, account, phone, disposition="no_answer")
    assert r.status_code == 200
    attempt = ContactAttempt.objects.get()
    assert attempt.violations == ["TIME-01"]
    event = AuditEvent.objects.get(action="contacts.attempt.logged")
    assert event.data["violations"] == ["TIME-01"]
    assert event.data["summary"] == "Call: No answer · broke TIME-01"

    assert client.get(reverse("desk:review")).status_code == 404  # a collector does not review
    client.force_login(manager)
    page = client.get(reverse("desk:review")).content.decode()
    assert account.client_account_number in page
    assert "TIME-01" in page
    r = client.post(reverse("desk:review"), {"attempt": attempt.pk})
    assert r.status_code == 302
    attempt.refresh_from_db()
    assert (attempt.reviewed_by, attempt.reviewed_at is not None) == (manager, True)
    assert AuditEvent.objects.filter(action="contacts.attempt.reviewed", account_id=account.pk).count() == 1
    assert "Nothing to review." in client.get(reverse("desk:review")).content.decode()


def test_a_lawful_call_is_not_flagged(client, desk):
    account, phone = desk
    with time_machine.travel(LATE_MORNING, tick=False):
        log_attempt(client, account, phone, disposition="no_answer")
    assert ContactAttempt.objects.get().violations == []


def test_another_teams_manager_cannot_review_or_see_the_attempt(client, desk, west_manager):
    account, phone = desk
    with time_machine.travel(EARLY, tick=False):
        log_attempt(client, account, phone, disposition="no_answer")
    attempt = ContactAttempt.objects.get()
    client.force_login(west_manager)
    assert account.client_account_number not in client.get(reverse("desk:review")).content.decode()
    assert client.post(reverse("desk:review"), {"attempt": attempt.pk}).status_code == 404
    assert client.post(reverse("desk:review"), {"attempt": "x"}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.reviewed_at is None


def record_preference(client, account, **fields):
    data = {f"pref-{key}": value for key, value in fields.items()}
    return client.post(url("preference-create", account), data, headers={"HX-Request": "true"})


def test_an_inconvenient_time_said_on_the_phone_stops_calls_then(client, desk):
    account, phone = desk
    with time_machine.travel(LATE_MORNING, tick=False):
        r = record_preference(
            client,
            account,
            kind="inconvenient",
            weekdays=["0", "1", "2", "3", "4"],
            start="10:00",
            end="12:00",
        )
        assert r.status_code == 200
        assert "account-changed" in r.headers["HX-Trigger"]
        assert "Inconvenient time" in r.content.decode()
    with time_machine.travel(LATE_MORNING + dt.timedelta(minutes=1), tick=False):
        page = client.get(url("account", account)).content.decode()
    assert "Do not call now: TIME-03" in page  # Wednesday 11:01 in Missoula
    assert f'href="tel:{phone.number}"' not in page
    pref = ContactPreference.objects.get()
    assert pref.details == {
        "weekdays": [0, 1, 2, 3, 4],
        "from": "10:00",
        "to": "12:00",
        "place": None,
        "written": False,
    }
    assert AuditEvent.objects.filter(action="contacts.preference.recorded", account_id=account.pk).exists()


def test_do_not_call_me_is_respected(client, desk):
    account, _ = desk
    with time_machine.travel(LATE_MORNING, tick=False):
        record_preference(client, account, kind="medium_optout", medium="phone")
    with time_machine.travel(LATE_MORNING + dt.timedelta(minutes=1), tick=False):
        page = client.get(url("account", account)).content.decode()
    assert "Do not call now: MEDIUM-01" in page


def test_a_preference_with_missing_or_tampered_input_changes_nothing(client, desk):
    account, phone = desk
    r = record_preference(client, account, kind="inconvenient")
    assert "Say which days or hours" in r.content.decode()
    r = record_preference(client, account, kind="tcpa_revocation", phone="999999")
    assert "Select a valid choice" in r.content.decode()
    r = record_preference(client, account, kind="nonsense")
    assert "Select a valid choice" in r.content.decode()
    assert not ContactPreference.objects.exists()


def test_a_preference_for_another_teams_account_is_404(client, desk, west_account):
    r = record_preference(client, west_account, kind="medium_optout", medium="text")
    assert r.status_code == 404
    assert not ContactPreference.objects.exists()


def test_a_spouse_with_a_phone_and_a_written_dispute_of_the_creditor_are_recorded(client, desk):
    from compliance.models import AccountNotice
    from contacts.models import RelatedParty

    account, _ = desk
    r = client.post(
        url("party-create", account),
        {
            "party-first_name": "Sam",
            "party-last_name": "Doe",
            "party-relation": "spouse",
            "party-phone": "406 728 4100",
        },
        headers={"HX-Request": "true"},
    )
    assert "Sam Doe · spouse" in r.content.decode()
    party = RelatedParty.objects.get()
    assert str(party.person.phones.get().number) == "+14067284100"
    r = client.post(
        url("notice-create", account),
        {"notice-kind": "original_creditor_request", "notice-written": "on"},
        headers={"HX-Request": "true"},
    )
    assert AccountNotice.objects.get().details == {"written": True}
    r = client.post(
        url("notice-create", account), {"notice-kind": "fap_application"}, headers={"HX-Request": "true"}
    )
    assert "Say where the application stands." in r.content.decode()
    assert AccountNotice.objects.count() == 1


def test_a_bad_phone_for_a_related_person_changes_nothing(client, desk):
    from contacts.models import RelatedParty

    account, _ = desk
    r = client.post(
        url("party-create", account),
        {
            "party-first_name": "Sam",
            "party-last_name": "Doe",
            "party-relation": "spouse",
            "party-phone": "555 555 5555",
        },
        headers={"HX-Request": "true"},
    )
    assert "not a valid number" in r.content.decode()
    assert not RelatedParty.objects.exists()
