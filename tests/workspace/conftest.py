from __future__ import annotations

import datetime as dt

import pytest

from accounts.services import ledger_post
from contacts.services import address_add, phone_add


@pytest.fixture
def desk(account, collector, client):
    """The East collector at the workspace of a Missoula guarantor with a phone and a $900 balance."""
    address_add(
        person=account.guarantor,
        line1="200 W Broadway",
        city="Missoula",
        state="MT",
        zip_code="59802",
        actor=None,
    )
    phone = phone_add(person=account.guarantor, number="4062035512", kind="mobile", actor=None)
    ledger_post(
        account=account, kind="charge", amount="900.00", effective_date=dt.date(2026, 3, 2), actor=None
    )
    client.force_login(collector)
    return account, phone
