from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from contacts.models import ContactAttempt
from contacts.services import contact_attempt_log, phone_add
from tests.factories import PatientAccountFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_one_attempt_concerning_two_accounts_is_on_both_timelines(account, collector):
    second = PatientAccountFactory(team=account.team, guarantor=account.guarantor, client=account.client)
    phone = phone_add(person=account.guarantor, number="4062035512", kind="mobile", actor=None)

    attempt = contact_attempt_log(
        accounts=[account, second], channel="call", disposition="conversation", phone=phone, actor=collector
    )

    assert set(attempt.accounts.all()) == {account, second}
    logged = AuditEvent.objects.filter(action="contacts.attempt.logged")
    assert sorted(logged.values_list("account_id", flat=True)) == sorted([account.pk, second.pk])


def test_a_wrong_number_marks_the_phone_bad(account, collector):
    phone = phone_add(person=account.guarantor, number="4062035512", kind="home", actor=None)
    contact_attempt_log(
        accounts=[account], channel="call", disposition="wrong_party", phone=phone, actor=collector
    )
    phone.refresh_from_db()
    assert phone.status == "bad"


def test_accounts_of_different_guarantors_cannot_share_an_attempt(account, collector):
    stranger = PatientAccountFactory(team=account.team, guarantor=PersonFactory())
    with pytest.raises(ValidationError, match="same guarantor"):
        contact_attempt_log(
            accounts=[account, stranger], channel="letter", disposition="sent", actor=collector
        )
    assert not ContactAttempt.objects.exists()


def test_a_call_must_name_the_phone_it_used(account, collector):
    with pytest.raises(ValidationError):
        contact_attempt_log(accounts=[account], channel="call", disposition="no_answer", actor=collector)
    assert not ContactAttempt.objects.exists()


def test_someone_elses_phone_is_refused(account, collector):
    other = phone_add(person=PersonFactory(), number="4062035512", kind="home", actor=None)
    with pytest.raises(ValidationError, match="belongs to someone else"):
        contact_attempt_log(
            accounts=[account], channel="call", disposition="no_answer", phone=other, actor=collector
        )
