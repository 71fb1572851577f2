from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Subquery
from django.http import Http404
from django.utils import timezone

from accounts.models import PatientAccount, Person
from accounts.selectors import accounts_visible_to
from collections_desk.lib.phones import phone_zones
from contacts.models import Phone


@dataclass(frozen=True)
class LocalTime:
    zones: tuple[str, ...]

    @property
    def known(self) -> bool:
        return len(self.zones) == 1

    def now(self) -> datetime | None:
        return timezone.now().astimezone(ZoneInfo(self.zones[0])) if self.known else None

    @property
    def clock(self) -> str:
        """'11:00 AM Tue' in the person's zone (template date filters would convert back to UTC)."""
        now = self.now()
        return f"{now:%-I:%M %p %a}" if now else ""


def person_zone(*, person: Person, addresses: list[Any], phones: list[Phone]) -> LocalTime:
    """Where the person is: the primary good address decides; failing that, the phones' zones when they
    agree on one (DESIGN.md §3: the address decides, phones only narrow)."""
    for address in addresses:
        if address.is_primary and address.status == "good" and address.time_zone:
            return LocalTime((address.time_zone,))
    zones: set[str] = set()
    for phone in phones:
        if phone.status != "bad":
            zones.update(phone_zones(str(phone.number)))
    return LocalTime(tuple(sorted(zones)))


def phone_local_times(
    phones: list[Phone], calls: dict[int, Any] | None = None
) -> list[tuple[Phone, LocalTime, Any]]:
    """Each phone with the local time where its number was issued (a mobile may be elsewhere) and the
    compliance engine's call decision for it, if given."""
    calls = calls or {}
    return [(phone, LocalTime(phone_zones(str(phone.number))), calls.get(phone.pk)) for phone in phones]


def _accounts_of_guarantor(*, user: Any, guarantor: Any, current: int) -> list[PatientAccount]:
    """The accounts of `guarantor` (an id, or a subquery giving it) this user may see, the account
    `current` first: worked together."""
    accounts = list(
        accounts_visible_to(user)
        .filter(guarantor_id=guarantor)
        .select_related("client", "facility", "guarantor", "patient")
        .order_by("placement_date", "id")
    )
    accounts.sort(key=lambda a: a.pk != current)
    return accounts


def account_with_guarantor_accounts(
    *, user: Any, account_id: int
) -> tuple[PatientAccount, list[PatientAccount]]:
    """The account (404 unless the user may see it) and what guarantor_accounts returns for it, read in
    one query: the account's own read was a twentieth of a workspace page's time."""
    guarantor = Subquery(PatientAccount.objects.filter(pk=account_id).values("guarantor_id")[:1])
    accounts = _accounts_of_guarantor(user=user, guarantor=guarantor, current=account_id)
    if not accounts or accounts[0].pk != account_id:
        raise Http404("No such account")
    return accounts[0], accounts


def guarantor_accounts(*, user: Any, account: PatientAccount) -> list[PatientAccount]:
    """The guarantor's accounts this user may see, the current one first: worked together."""
    return _accounts_of_guarantor(user=user, guarantor=account.guarantor_id, current=account.pk)
