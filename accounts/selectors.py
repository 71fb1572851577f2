"""Reads of patient accounts. Every view reaches accounts through `accounts_visible_to`, so role scoping
is decided in exactly one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum, Window
from django.http import Http404

from accounts.models import LedgerEntry, Note, PatientAccount, Person
from audit.selectors import account_events


def accounts_visible_to(user: Any) -> QuerySet[PatientAccount]:
    """Admins see every account; managers and collectors see the accounts of their teams. Anything
    else does not exist for them (views turn a miss into 404, never 403)."""
    qs = PatientAccount.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_admin_role:
        return qs
    return qs.filter(team__in=user.teams.values("id"))


def account_get_for_user(*, user: Any, account_id: int) -> PatientAccount:
    try:
        return (
            accounts_visible_to(user)
            # What the workspace prints; the team and collector are loaded only where a page shows them.
            .select_related("client", "facility", "guarantor", "patient")
            .get(pk=account_id)
        )
    except PatientAccount.DoesNotExist:
        raise Http404("No such account") from None


def account_list_for(
    *, user: Any, query: str = "", status: str = "", limit: int = 50, offset: int = 0
) -> list[PatientAccount]:
    qs = accounts_visible_to(user).select_related(
        "client", "guarantor", "patient", "team", "assigned_collector"
    )
    if status:
        qs = qs.filter(status=status)
    query = query.strip()
    if query:
        if query.isdigit():
            qs = qs.filter(Q(pk=int(query)) | Q(client_account_number=query))
        else:
            last, _, first = (part.strip() for part in query.partition(","))
            people = Person.objects.filter(last_name__iexact=last)
            if first:
                people = people.filter(first_name__istartswith=first)
            # Two IN-subqueries rather than an OR across joins: PostgreSQL answers each from the
            # guarantor/patient foreign-key indexes and ORs the bitmaps.
            ids = people.values("id")
            qs = qs.filter(Q(guarantor_id__in=ids) | Q(patient_id__in=ids) | Q(client_account_number=query))
    return list(qs.order_by("-id")[offset : offset + limit])


@dataclass(frozen=True)
class LedgerRow:
    entry: LedgerEntry
    running_balance: Decimal


def account_ledger(*, account: PatientAccount) -> list[LedgerRow]:
    """Ledger entries oldest first, each with the balance after it (computed by the database)."""
    entries = (
        LedgerEntry.objects.filter(account=account)
        .select_related("posted_by")
        .annotate(running=Window(Sum("amount"), order_by=["effective_date", "id"]))
        .order_by("effective_date", "id")
    )
    return [LedgerRow(entry=e, running_balance=e.running) for e in entries]


ACTION_LABELS = {
    "accounts.account.placed": "Placed",
    "accounts.status.changed": "Status changed",
    "accounts.ledger.posted": "Ledger entry",
    "accounts.ledger.reversed": "Reversal",
    "accounts.note.added": "Note",
    "accounts.account.assigned": "Assigned",
    "accounts.account.reassigned": "Reassigned",
    "contacts.attempt.logged": "Contact attempt",
    "contacts.callback.scheduled": "Callback",
    "contacts.rpv.checked": "Right-party check",
    "contacts.phone.added": "Phone added",
    "contacts.phone.status_changed": "Phone status",
    "contacts.address.added": "Address added",
    "contacts.email.added": "Email added",
    "compliance.hold.placed": "Hold placed",
    "compliance.hold.released": "Hold released",
    # Who worked the account from the queue. "Work next" writes one event, on the account it takes, so
    # an account given back that way shows no event of its own (its lease row keeps the release).
    "desk.lease.claimed": "Taken from the queue",
    "desk.lease.released": "Given back to the queue",
    "desk.lease.expired": "Lease expired",
    "desk.lease.broken": "Lease broken by a manager",
}


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    action: str
    actor: str
    data: dict[str, Any]
    text: str

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def is_money(self) -> bool:
        """Amounts and balances: disclosed only after right-party verification."""
        return self.action.startswith("accounts.ledger.") or self.action == "accounts.account.placed"


def account_timeline(*, account: PatientAccount, limit: int = 100) -> list[TimelineItem]:
    """The account's history as the audit log recorded it, newest first (two queries in all)."""
    events = list(account_events(account_id=account.pk, limit=limit))
    note_ids = [e.data.get("note_id") for e in events if e.action == "accounts.note.added"]
    notes = {n.pk: n.body for n in Note.objects.filter(pk__in=note_ids)} if note_ids else {}
    items = []
    for e in events:
        text = (
            notes.get(e.data.get("note_id"), "")
            if e.action == "accounts.note.added"
            else e.data.get("summary", "")
        )
        items.append(
            TimelineItem(
                at=e.created_at,
                action=e.action,
                actor=e.actor.get_full_name() or e.actor.username if e.actor else "system",
                data=e.data,
                text=text,
            )
        )
    return items


# Contact points in the order a collector tries them: good, then unverified, bad last. (Sorting the
# status text would put "bad" first.)
_GOOD_FIRST = {"good": 0, "unverified": 1}


def account_contact_points(*, account: PatientAccount) -> dict[str, list[Any]]:
    """The guarantor's phones, addresses and emails (through relations, so accounts need not import
    contacts), good ones first."""
    # Through the models' own managers, the phones sorted here: the related managers and a CASE in
    # ORDER BY cost the ORM 15-70% more on these three small reads (three runs of 300 accounts), which
    # every workspace request makes.
    person = account.guarantor_id
    phones = Person.phones.rel.related_model.objects.filter(person_id=person)
    return {
        "phones": sorted(phones, key=lambda p: (_GOOD_FIRST.get(p.status, 2), p.pk)),
        "addresses": list(
            Person.addresses.rel.related_model.objects.filter(person_id=person).order_by("-is_primary", "-id")
        ),
        "emails": list(Person.emails.rel.related_model.objects.filter(person_id=person).order_by("id")),
    }
