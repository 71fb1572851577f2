from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from contacts.models import Address, Phone
from contacts.services import address_add, phone_add

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("(406) 203-5512", "+14062035512"),
        ("406.203.5512", "+14062035512"),
        ("+1 212 736 3100", "+12127363100"),
        ("1-907-269-5100", "+19072695100"),
    ],
)
def test_phones_are_stored_in_e164_however_typed(account, typed, stored):
    phone = phone_add(person=account.guarantor, number=typed, kind="home", actor=None)
    phone.refresh_from_db()
    assert str(phone.number) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a phone number."),
        ("call me", "is not a phone number"),
        ("406-203", "wrong number of digits"),
        ("(123) 456-7890", "not a valid number"),
        ("+1 999 203 5512", "not a valid number"),
    ],
)
def test_an_invalid_phone_is_refused_with_a_clear_message_and_nothing_is_stored(account, typed, message):
    with pytest.raises(ValidationError) as exc:
        phone_add(person=account.guarantor, number=typed, kind="mobile", actor=None)
    assert message in " ".join(exc.value.messages)
    assert not Phone.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_same_number_twice_for_one_person_is_refused(account):
    phone_add(person=account.guarantor, number="4062035512", kind="home", actor=None)
    with pytest.raises(ValidationError, match="already on file"):
        phone_add(person=account.guarantor, number="(406) 203-5512", kind="mobile", actor=None)
    assert Phone.objects.count() == 1


def test_an_address_takes_its_time_zone_from_the_zip(account, collector):
    address = address_add(
        person=account.guarantor,
        line1="200 W Broadway",
        city="Missoula",
        state="mt",
        zip_code="59802-4292",
        actor=collector,
    )
    assert (address.time_zone, address.state, address.zip_code) == ("America/Denver", "MT", "59802-4292")
    assert AuditEvent.objects.get(action="contacts.address.added").account_id == account.pk


@pytest.mark.parametrize(
    ("zip_code", "state", "message"),
    [
        ("5980", "MT", "is not a ZIP code"),
        ("00000", "MT", "does not exist"),
        ("10001", "MT", "ZIP 10001 is in NY, not MT"),
    ],
)
def test_a_bad_zip_is_refused_and_nothing_is_stored(account, zip_code, state, message):
    with pytest.raises(ValidationError) as exc:
        address_add(
            person=account.guarantor,
            line1="1 Main St",
            city="Town",
            state=state,
            zip_code=zip_code,
            actor=None,
        )
    assert message in " ".join(exc.value.messages)
    assert not Address.objects.exists()


def test_a_new_address_becomes_primary_and_the_old_one_is_kept(account):
    first = address_add(
        person=account.guarantor, line1="1 Main St", city="Missoula", state="MT", zip_code="59801", actor=None
    )
    address_add(
        person=account.guarantor, line1="9 Elm St", city="New York", state="NY", zip_code="10001", actor=None
    )
    first.refresh_from_db()
    assert first.is_primary is False
    assert Address.objects.filter(person=account.guarantor).count() == 2
