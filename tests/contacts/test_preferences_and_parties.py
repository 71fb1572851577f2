"""Contact preferences and related parties: recorded through their services, refused when malformed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from compliance.models import AccountNotice
from compliance.services import notice_record
from contacts.models import ContactAttempt, ContactPreference, RelatedParty
from contacts.services import contact_attempt_log, contact_preference_record, phone_add, related_party_add
from tests.factories import PatientAccountFactory, PersonFactory

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)


def test_an_inconvenient_time_is_recorded_and_audited(account, collector):
    pref = contact_preference_record(
        person=account.guarantor,
        kind="inconvenient",
        actor=collector,
        occurred_at=AT,
        details={
            "weekdays": [0, 1, 2, 3, 4],
            "from": "09:00",
            "to": "12:00",
            "place": None,
            "written": False,
        },
    )
    assert pref.details["from"] == "09:00"
    assert AuditEvent.objects.filter(action="contacts.preference.recorded", account_id=account.pk).exists()


@pytest.mark.parametrize(
    ("kind", "details", "message"),
    [
        ("whim", {}, "Unknown kind"),
        ("consent", {"scope": 7}, "malformed detail scope"),
        ("inconvenient", {"colour": "red"}, "Unexpected or malformed detail colour"),
        ("tcpa_revocation", {}, "Name the phone number"),
        ("medium_optout", {}, "Name the medium"),
    ],
)
def test_a_malformed_preference_is_refused_and_nothing_is_stored(account, kind, details, message):
    with pytest.raises(ValidationError, match=message):
        contact_preference_record(person=account.guarantor, kind=kind, actor=None, details=details)
    assert not ContactPreference.objects.exists()


def test_a_preference_cannot_name_someone_elses_phone_or_accounts(account):
    stranger = PersonFactory()
    phone = phone_add(person=stranger, number="+1 303 555 0100", kind="mobile", actor=None)
    with pytest.raises(ValidationError, match="belongs to someone else"):
        contact_preference_record(person=account.guarantor, kind="tcpa_revocation", actor=None, phone=phone)
    with pytest.raises(ValidationError, match="not this person's"):
        contact_preference_record(person=stranger, kind="consent", actor=None, accounts=[account])
    assert not ContactPreference.objects.exists()


def test_a_call_to_a_related_party_is_logged_on_the_consumers_accounts(account, collector):
    spouse = related_party_add(
        consumer=account.guarantor, first_name="Sam", last_name="Doe", relation="Spouse", actor=collector
    )
    assert spouse.relation == "spouse"
    phone = phone_add(person=spouse.person, number="+1 303 555 0101", kind="mobile", actor=None)
    attempt = contact_attempt_log(
        accounts=[account],
        channel="call",
        disposition="no_answer",
        actor=collector,
        phone=phone,
        person=spouse.person,
    )
    assert attempt.person == spouse.person
    stranger = PersonFactory()
    stranger_phone = phone_add(person=stranger, number="+1 303 555 0102", kind="mobile", actor=None)
    with pytest.raises(ValidationError, match="not related"):
        contact_attempt_log(
            accounts=[account],
            channel="call",
            disposition="no_answer",
            actor=collector,
            phone=stranger_phone,
            person=stranger,
        )
    assert ContactAttempt.objects.count() == 1


def test_a_related_party_needs_a_relation_and_a_name(account):
    for kwargs in (
        {"relation": "", "first_name": "A", "last_name": "B"},
        {"relation": "spouse", "first_name": " ", "last_name": ""},
    ):
        with pytest.raises(ValidationError):
            related_party_add(consumer=account.guarantor, actor=None, **kwargs)
    assert not RelatedParty.objects.exists()


def test_a_notice_is_recorded_on_each_account_and_a_bad_one_is_refused(east, collector):
    first = PatientAccountFactory(team=east)
    second = PatientAccountFactory(team=east, guarantor=first.guarantor)
    notice = notice_record(
        accounts=[first, second],
        kind="eca_notice",
        actor=collector,
        occurred_at=AT,
        details={"deadline": "2026-12-20", "pls": True},
    )
    assert set(notice.accounts.all()) == {first, second}
    assert AuditEvent.objects.filter(action="compliance.notice.recorded").count() == 2
    other = PatientAccountFactory(team=east)
    for kwargs in (
        {"accounts": [first], "kind": "fap_application", "details": {"status": "pondering"}},
        {"accounts": [first, other], "kind": "credit_report", "details": {}},
        {"accounts": [first], "kind": "eca_notice", "details": {"pls": "yes"}},
    ):
        with pytest.raises(ValidationError):
            notice_record(actor=collector, **kwargs)
    assert AccountNotice.objects.count() == 1
