from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.services import ledger_post
from audit.models import AuditEvent
from compliance.models import Hold
from contacts.models import ContactAttempt, Email, Phone
from contacts.services import phone_add
from tests.factories import PatientAccountFactory, PersonFactory
from tests.workspace.helpers import HX, NOON_UTC, log_attempt, prefixed, url

pytestmark = pytest.mark.django_db


def verify(client, account, **answers):
    return client.post(
        url("verify", account),
        prefixed("rpv", answers or {"date_of_birth": "05/17/1980", "zip_code": "59802"}),
        headers=HX,
    )


def test_another_teams_workspace_and_its_actions_are_404(client, collector, west_account):
    client.force_login(collector)
    assert client.get(url("account", west_account)).status_code == 404
    assert client.post(url("attempt-create", west_account), prefixed("attempt", {})).status_code == 404
    assert (
        client.post(url("hold-create", west_account), prefixed("hold", {"kind": "dispute"})).status_code
        == 404
    )
    assert not AuditEvent.objects.filter(account_id=west_account.pk).exists()


def test_balances_stay_hidden_from_a_collector_until_two_identifiers_match(client, desk):
    account, _ = desk
    page = client.get(url("account", account)).content.decode()
    assert "$900.00" not in page
    assert "shown once the right party is verified" in page

    r = verify(client, account, date_of_birth="1980-05-17", zip_code="10001")  # one of two right
    assert "Not verified" in r.content.decode()
    assert "$900.00" not in client.get(url("account", account)).content.decode()

    r = verify(client, account)
    assert r.headers["HX-Trigger"] == '{"account-changed": {}}'
    assert "Verified" in r.content.decode()
    assert "$900.00" in client.get(url("account", account)).content.decode()
    checks = AuditEvent.objects.filter(action="contacts.rpv.checked", account_id=account.pk).order_by("id")
    assert [e.data["passed"] for e in checks] == [False, True]


def test_verification_needs_two_identifiers_asked(client, desk):
    account, _ = desk
    r = verify(client, account, ssn_last4="1234")
    assert "Ask for at least two identifiers" in r.content.decode()


def test_managers_see_balances_without_a_call(client, manager, desk):
    account, _ = desk
    client.force_login(manager)
    assert "$900.00" in client.get(url("account", account)).content.decode()


def test_logging_a_no_answer_returns_a_fresh_form_and_signals_the_page(client, desk, collector):
    account, phone = desk
    r = log_attempt(client, account, phone, disposition="no_answer")
    assert r.status_code == 200
    assert r.headers["HX-Trigger"] == '{"account-changed": {}}'
    assert 'id="attempt"' in r.content.decode()
    attempt = ContactAttempt.objects.get()
    assert (attempt.disposition, attempt.phone, attempt.actor) == ("no_answer", phone, collector)
    timeline = client.get(
        reverse("workspace:panel", args=[account.pk, "timeline"]), headers=HX
    ).content.decode()
    assert "Call: No answer" in timeline


def test_the_timeline_names_who_took_the_account_from_the_queue_and_not_each_renewal(client, desk, collector):
    from desk.selectors import queue_choice_get
    from desk.services import lease_claim_next, lease_finish, lease_renew, queue_rescore

    account, _ = desk
    queue_rescore()
    lease = lease_claim_next(user=collector, choice=queue_choice_get(user=collector, queue_id=None))
    assert lease.account_id == account.pk
    for _ in range(3):
        lease_renew(lease_id=lease.pk, user=collector)
    lease_finish(lease_id=lease.pk, user=collector)
    timeline = client.get(url("panel", account, "timeline"), headers=HX).content.decode()
    assert "Taken from the queue" in timeline
    assert "Given back to the queue" in timeline
    assert "<strong>desk." not in timeline  # every lease event has a label
    assert "desk.lease.renewed" not in timeline
    # The renewals stay in the log, out of the account's history.
    assert AuditEvent.objects.filter(action="desk.lease.renewed", account_id=account.pk).count() == 3


def test_one_conversation_can_concern_two_of_the_guarantors_accounts(client, desk, east):
    account, phone = desk
    second = PatientAccountFactory(team=east, guarantor=account.guarantor, client=account.client)
    log_attempt(
        client,
        account,
        phone,
        direction="inbound",
        accounts=[account.pk, second.pk],
        disposition="promise",
        note="Will pay $100 Friday",
    )
    assert set(ContactAttempt.objects.get().accounts.values_list("id", flat=True)) == {account.pk, second.pk}


def test_the_guarantors_account_of_another_team_is_404_and_left_off_the_page(client, desk, east, west):
    # The page reads the account and the guarantor's other accounts in one query: the collector's
    # team decides for the account asked for as for the others.
    account, _ = desk
    second = PatientAccountFactory(team=east, guarantor=account.guarantor, client=account.client)
    theirs = PatientAccountFactory(team=west, guarantor=account.guarantor, client=account.client)
    assert client.get(url("account", theirs)).status_code == 404
    assert client.get(url("panel", theirs, "accounts"), headers=HX).status_code == 404
    page = client.get(url("account", second)).content.decode()
    assert account.client_account_number in page
    assert theirs.client_account_number not in page
    assert not AuditEvent.objects.filter(account_id=theirs.pk).exists()


def test_an_attempt_on_an_account_of_another_team_is_refused(client, desk, west):
    account, phone = desk
    theirs = PatientAccountFactory(team=west, guarantor=account.guarantor, client=account.client)
    r = log_attempt(client, account, phone, accounts=[account.pk, theirs.pk], disposition="no_answer")
    assert "Select a valid choice" in r.content.decode()
    assert not ContactAttempt.objects.exists()


def test_a_call_through_an_address_is_an_error_and_changes_nothing(client, desk):
    account, phone = desk
    address = account.guarantor.addresses.get()
    r = log_attempt(client, account, phone, contact_point=f"address:{address.pk}", disposition="no_answer")
    assert "A call needs a phone." in r.content.decode()
    assert "HX-Trigger" not in r.headers
    assert not ContactAttempt.objects.exists()


@time_machine.travel(NOON_UTC, tick=False)
def test_a_callback_typed_in_the_persons_local_time_is_stored_in_utc(client, desk):
    account, phone = desk
    log_attempt(client, account, phone, disposition="conversation", callback_at="2026-11-25T09:30")
    account.refresh_from_db()
    # 09:30 in Missoula (MST, UTC-7) is 16:30 UTC.
    assert account.next_action_at == dt.datetime(2026, 11, 25, 9, 30, tzinfo=ZoneInfo("America/Denver"))
    assert account.next_action_at.astimezone(dt.UTC).hour == 16


@time_machine.travel(NOON_UTC, tick=False)
def test_a_callback_in_the_past_is_refused(client, desk):
    account, _ = desk
    r = client.post(
        url("callback-create", account), prefixed("callback", {"at": "2026-11-24T08:00"}), headers=HX
    )
    assert "Choose a callback time in the future." in r.content.decode()
    account.refresh_from_db()
    assert account.next_action_at is None


def test_a_wrong_number_marks_the_phone_bad(client, desk):
    account, phone = desk
    log_attempt(client, account, phone, disposition="wrong_party")
    phone.refresh_from_db()
    assert phone.status == "bad"


def test_an_invalid_phone_gets_a_clear_message_with_or_without_javascript(client, desk):
    account, _ = desk
    r = client.post(
        url("phone-create", account),
        prefixed("phone", {"number": "(123) 456-7890", "kind": "home"}),
        headers=HX,
    )
    assert "is not a valid number" in r.content.decode()
    r = client.post(url("phone-create", account), prefixed("phone", {"number": "555-12", "kind": "home"}))
    assert r.status_code == 200
    assert "wrong number of digits" in r.content.decode()
    assert Phone.objects.count() == 1


def test_a_refused_form_keeps_what_was_typed_after_pages_showed_it_empty(client, desk):
    # The empty phone form's markup is printed once and reused (WorkspaceForm.fixed_markup): a refused
    # post must still come back with the collector's input and the reason, and the next page empty.
    account, _ = desk
    assert 'name="phone-number"' in client.get(url("account", account)).content.decode()
    r = client.post(url("phone-create", account), prefixed("phone", {"number": "555-12", "kind": "home"}))
    page = r.content.decode()
    assert 'value="555-12"' in page
    assert "wrong number of digits" in page
    page = client.get(url("account", account)).content.decode()
    assert 'name="phone-number"' in page
    assert "555-12" not in page
    assert "wrong number of digits" not in page


def test_phones_are_offered_good_first_and_bad_last(client, desk):
    account, unverified = desk
    bad = phone_add(person=account.guarantor, number="4067284100", kind="home", actor=None, status="bad")
    good = phone_add(person=account.guarantor, number="4065431234", kind="work", actor=None, status="good")
    later_good = phone_add(
        person=account.guarantor, number="4065439876", kind="mobile", actor=None, status="good"
    )
    page = client.get(url("account", account)).content.decode()
    offered = sorted((good, later_good, unverified, bad), key=lambda p: page.index(f'value="phone:{p.pk}"'))
    assert offered == [good, later_good, unverified, bad]


def test_a_phone_is_added_normalized(client, desk):
    account, _ = desk
    r = client.post(
        url("phone-create", account), prefixed("phone", {"number": "406.728.4100", "kind": "work"})
    )
    assert r.status_code == 302
    assert Phone.objects.filter(number="+14067284100", source="consumer").exists()


def test_a_tampered_phone_id_of_someone_else_is_404(client, desk):
    account, _ = desk
    stranger = phone_add(person=PersonFactory(), number="4067284100", kind="home", actor=None)
    r = client.post(url("phone-status", account, stranger.pk), prefixed("phone-status", {"status": "bad"}))
    assert r.status_code == 404
    stranger.refresh_from_db()
    assert stranger.status == "unverified"


def test_an_address_takes_its_zone_from_the_zip_and_a_bad_zip_is_refused(client, desk):
    account, _ = desk
    r = client.post(
        url("address-create", account),
        prefixed("address", {"line1": "1 Main St", "city": "X", "state": "MT", "zip_code": "00000"}),
        headers=HX,
    )
    assert "ZIP code 00000 does not exist." in r.content.decode()
    client.post(
        url("address-create", account),
        prefixed("address", {"line1": "350 5th Ave", "city": "New York", "state": "NY", "zip_code": "10118"}),
        headers=HX,
    )
    assert account.guarantor.addresses.get(is_primary=True).time_zone == "America/New_York"


def test_a_dispute_puts_the_account_on_hold_until_released(client, desk):
    account, _ = desk
    r = client.post(
        url("hold-create", account),
        prefixed("hold", {"kind": "dispute", "medium": "written", "note": "says paid"}),
        headers=HX,
    )
    assert r.headers["HX-Trigger"] == '{"account-changed": {}}'
    hold = Hold.objects.get()
    account.refresh_from_db()
    assert account.status == "on_hold"
    panel = client.get(url("panel", account, "holds"), headers=HX).content.decode()
    assert f"Dispute (written, {hold.received_on:%Y-%m-%d}) on {account.client_account_number}" in panel

    again = client.post(
        url("hold-create", account), prefixed("hold", {"kind": "dispute", "medium": "oral"}), headers=HX
    )
    assert "already has an open dispute hold" in again.content.decode()

    client.post(
        url("hold-release", account, hold.pk), prefixed("release", {"reason": "validation sent"}), headers=HX
    )
    account.refresh_from_db()
    assert account.status == "active"


def test_an_attorney_hold_needs_the_attorney(client, desk):
    account, _ = desk
    r = client.post(
        url("hold-create", account), prefixed("hold", {"kind": "attorney", "medium": "oral"}), headers=HX
    )
    assert "Name the attorney" in r.content.decode()
    assert not Hold.objects.exists()


def test_the_page_shows_the_persons_local_time(client, desk):
    account, _ = desk
    with time_machine.travel(NOON_UTC, tick=False):
        page = client.get(url("account", account)).content.decode()
    assert "11:00 AM" in page  # 18:00 UTC in Missoula
    assert "America/Denver" in page


def test_an_unknown_panel_is_404(client, desk):
    account, _ = desk
    assert client.get(url("panel", account, "secrets")).status_code == 404
    assert client.get(url("panel", account, "money"), headers=HX).status_code == 200


def test_the_workspace_query_count_does_not_grow_with_the_ledger(client, desk, django_assert_num_queries):
    account, _ = desk
    client.get(url("account", account))
    with django_assert_num_queries(23) as few:
        client.get(url("account", account))
    for day in range(1, 20):
        ledger_post(account=account, kind="fee", amount="1", effective_date=dt.date(2026, 4, day), actor=None)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url("account", account))


def test_releasing_a_hold_needs_a_reason_and_a_tampered_status_changes_nothing(client, desk):
    account, phone = desk
    client.post(url("hold-create", account), prefixed("hold", {"kind": "cease", "medium": "written"}))
    hold = Hold.objects.get()

    r = client.post(url("hold-release", account, hold.pk), prefixed("release", {"reason": ""}), headers=HX)
    assert "Say why the hold is released." in r.content.decode()
    hold.refresh_from_db()
    assert hold.is_open

    r = client.post(
        url("phone-status", account, phone.pk), prefixed("phone-status", {"status": "gone"}), headers=HX
    )
    assert "Select a valid choice" in r.content.decode()
    phone.refresh_from_db()
    assert phone.status == "unverified"

    client.post(url("phone-status", account, phone.pk), prefixed("phone-status", {"status": "good"}))
    phone.refresh_from_db()
    assert phone.status == "good"


def test_the_queue_sees_an_attempt_and_a_hold_at_once(client, desk):
    from desk.models import AccountPriority

    account, phone = desk
    log_attempt(client, account, phone, disposition="no_answer")
    log_attempt(client, account, phone, disposition="busy")
    priority = AccountPriority.objects.get(account=account)
    assert priority.attempts_without_rpc == 2
    assert priority.workable is True

    client.post(
        url("hold-create", account),
        prefixed("hold", {"kind": "bankruptcy", "medium": "written", "bankruptcy_case": "26-10442"}),
    )
    priority.refresh_from_db()
    assert (priority.status, priority.workable) == ("on_hold", False)


def test_an_email_is_added_normalized_and_a_bad_or_duplicate_one_changes_nothing(client, desk):
    account, _ = desk
    r = client.post(
        url("email-create", account), prefixed("email", {"address": " Pat.Doe@Example.ORG "}), headers=HX
    )
    assert r.status_code == 200
    assert "account-changed" in r.headers["HX-Trigger"]
    assert "pat.doe@example.org" in r.content.decode()
    email = Email.objects.get(person=account.guarantor)
    assert (email.address, email.source) == ("pat.doe@example.org", "consumer")
    assert AuditEvent.objects.filter(action="contacts.email.added", account_id=account.pk).exists()
    for bad, message in (
        ("not-an-email", "Enter a valid email address."),
        ("pat.doe@example.org", "already on file"),
    ):
        r = client.post(url("email-create", account), prefixed("email", {"address": bad}), headers=HX)
        assert message in r.content.decode()
        assert "HX-Trigger" not in r.headers
    assert Email.objects.filter(person=account.guarantor).count() == 1


def test_adding_an_email_without_javascript_redirects_back(client, desk):
    account, _ = desk
    r = client.post(url("email-create", account), prefixed("email", {"address": "pat@example.org"}))
    assert r.status_code == 302
    assert r.url == url("account", account)


def test_an_email_for_another_teams_account_is_404(client, desk, west_account):
    r = client.post(url("email-create", west_account), prefixed("email", {"address": "x@example.org"}))
    assert r.status_code == 404
    assert not Email.objects.exists()


def test_a_panel_refresh_reads_only_what_the_panel_shows(client, desk, django_assert_max_num_queries):
    # After every action all the page's panels refresh at once: each must cost its own reads, not the
    # whole page's (the timeline: session user, account, the view event, the timeline).
    account, _ = desk
    client.get(url("account", account))
    with django_assert_max_num_queries(9):
        r = client.get(url("panel", account, "timeline"), headers=HX)
    assert 'id="timeline"' in r.content.decode()
