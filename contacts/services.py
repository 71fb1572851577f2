"""Writes to contact points and attempts. Input is validated and normalized before anything is stored;
invalid input raises ValidationError and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import PatientAccount, Person
from accounts.selectors import accounts_visible_to
from audit.services import audit_record
from collections_desk.lib.details import checked_details
from collections_desk.lib.phones import normalize_phone
from collections_desk.lib.timezones import normalize_zip, state_for_zip, zone_for_zip
from compliance.selectors import attempt_violations
from contacts.models import (
    Address,
    ContactAttempt,
    ContactPreference,
    ContactStatus,
    Disposition,
    Email,
    Phone,
    RelatedParty,
    RightPartyVerification,
    Source,
)

# A phone is known bad once someone else answers or the line is dead.
_BAD_PHONE_DISPOSITIONS = {Disposition.WRONG_PARTY, Disposition.NOT_IN_SERVICE}


def _account_ids_of(person: Person) -> list[int]:
    return list(PatientAccount.objects.filter(guarantor=person).values_list("id", flat=True))


@transaction.atomic
def phone_add(
    *,
    person: Person,
    number: str,
    kind: str,
    actor: Any | None,
    source: str = Source.COLLECTOR,
    status: str = ContactStatus.UNVERIFIED,
) -> Phone:
    """Add a phone in E.164. Raises ValidationError for an invalid number, an unknown kind, or a number
    the person already has."""
    e164 = normalize_phone(number)
    if kind not in Phone.Kind.values:
        raise ValidationError("Choose mobile, home or work.", code="kind")
    if Phone.objects.filter(person=person, number=e164).exists():
        raise ValidationError(
            "%(number)s is already on file for this person.", code="duplicate", params={"number": e164}
        )
    phone = Phone.objects.create(person=person, number=e164, kind=kind, source=source, status=status)
    for account_id in _account_ids_of(person) or [None]:
        audit_record(
            action="contacts.phone.added",
            actor=actor,
            account_id=account_id,
            data={"phone_id": phone.pk, "kind": kind, "source": source, "summary": f"{kind} phone added"},
        )
    return phone


@transaction.atomic
def address_add(
    *,
    person: Person,
    line1: str,
    city: str,
    state: str,
    zip_code: str,
    actor: Any | None,
    line2: str = "",
    source: str = Source.COLLECTOR,
    at: datetime | None = None,
) -> Address:
    """Add a postal address as the person's primary one (the previous primary one stays on file: the
    person moved at `at`, default now); the zone is derived from the ZIP. Raises ValidationError for a
    malformed or unknown ZIP, or a state that does not match it."""
    if not line1.strip() or not city.strip():
        raise ValidationError("Street and city are required.", code="required")
    zip_norm = normalize_zip(zip_code)
    zone = zone_for_zip(zip_norm)
    zip_state = state_for_zip(zip_norm)
    state = state.strip().upper()
    if zip_state and state != zip_state:
        raise ValidationError(
            "ZIP %(zip)s is in %(zip_state)s, not %(state)s.",
            code="zip_state",
            params={"zip": zip_norm, "zip_state": zip_state, "state": state},
        )
    Address.objects.filter(person=person, is_primary=True).update(is_primary=False)
    address = Address.objects.create(
        person=person,
        line1=line1.strip(),
        **({"created_at": at} if at else {}),
        line2=line2.strip(),
        city=city.strip(),
        state=state,
        zip_code=zip_norm,
        time_zone=zone,
        source=source,
        is_primary=True,
    )
    for account_id in _account_ids_of(person) or [None]:
        audit_record(
            action="contacts.address.added",
            actor=actor,
            account_id=account_id,
            data={"address_id": address.pk, "zone": zone, "summary": f"address added ({zone})"},
        )
    return address


@transaction.atomic
def email_add(*, person: Person, address: str, actor: Any | None, source: str = Source.COLLECTOR) -> Email:
    address = address.strip().lower()
    validate_email(address)
    if Email.objects.filter(person=person, address=address).exists():
        raise ValidationError("That email is already on file for this person.", code="duplicate")
    email = Email.objects.create(person=person, address=address, source=source)
    for account_id in _account_ids_of(person) or [None]:
        audit_record(
            action="contacts.email.added", actor=actor, account_id=account_id, data={"email_id": email.pk}
        )
    return email


@transaction.atomic
def contact_attempt_log(
    *,
    accounts: Sequence[PatientAccount],
    channel: str,
    disposition: str,
    actor: Any | None,
    phone: Phone | None = None,
    address: Address | None = None,
    email: Email | None = None,
    direction: str = ContactAttempt.Direction.OUTBOUND,
    note: str = "",
    occurred_at: datetime | None = None,
    details: dict[str, Any] | None = None,
    person: Person | None = None,
) -> ContactAttempt:
    """Record an attempt that happened, on one or several accounts of the same guarantor.

    Recording is never blocked (DESIGN.md invariant 7). A wrong-party or not-in-service call marks the
    phone bad, and one audit event per account concerned feeds each account's timeline.
    """
    if not accounts:
        raise ValidationError("Choose at least one account the attempt concerned.", code="accounts")
    guarantors = {a.guarantor_id for a in accounts}
    if len(guarantors) != 1:
        raise ValidationError(
            "One attempt can only concern accounts of the same guarantor.", code="guarantor"
        )
    guarantor_id = guarantors.pop()
    # The person reached: the guarantor, or someone related to them (a spouse, their attorney, a third
    # party asked where the guarantor is).
    person_id = guarantor_id if person is None else person.pk
    if (
        person_id != guarantor_id
        and not RelatedParty.objects.filter(consumer_id=guarantor_id, person_id=person_id).exists()
    ):
        raise ValidationError("That person is not related to the guarantor of these accounts.", code="person")
    point = phone or address or email
    if point is not None and point.person_id != person_id:
        raise ValidationError("That contact point belongs to someone else.", code="contact_point")
    attempt = ContactAttempt(
        person_id=person_id,
        channel=channel,
        direction=direction,
        phone=phone,
        address=address,
        email=email,
        disposition=disposition,
        note=note.strip(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        occurred_at=occurred_at or timezone.now(),
        details=checked_details(details, _ATTEMPT_DETAILS),
    )
    if direction == ContactAttempt.Direction.OUTBOUND:
        # Judged on what was known before it (the attempt is not saved yet): the truth is recorded,
        # with the rules it broke, for a manager to review.
        attempt.violations = attempt_violations(
            accounts=accounts,
            channel=channel,
            phone_pk=getattr(phone, "pk", None),
            email_pk=getattr(email, "pk", None),
            at=attempt.occurred_at,
            person_pk=person_id,
        )
    attempt.full_clean(exclude=["accounts", "person", "actor"])
    attempt.save()
    attempt.accounts.set(accounts)
    if phone is not None and disposition in _BAD_PHONE_DISPOSITIONS:
        Phone.objects.filter(pk=phone.pk).update(status=ContactStatus.BAD)
    for account in accounts:
        audit_record(
            action="contacts.attempt.logged",
            actor=actor,
            account_id=account.pk,
            data=_attempt_event_data(attempt),
        )
    return attempt


_ATTEMPT_DETAILS: dict[str, type | tuple[type, ...]] = {
    "automated": bool,
    "template": str,
    "returned_on": str,  # ISO date
    "payment_deadline": str,  # ISO date
    "remedy": str,
}


def _attempt_event_data(attempt: ContactAttempt) -> dict[str, Any]:
    summary = f"{attempt.get_channel_display()}: {attempt.get_disposition_display()}"
    data: dict[str, Any] = {
        "attempt_id": attempt.pk,
        "channel": attempt.channel,
        "disposition": attempt.disposition,
        "summary": summary,
    }
    if attempt.violations:
        data["violations"] = attempt.violations
        data["summary"] = f"{summary} · broke {', '.join(attempt.violations)}"
    return data


@transaction.atomic
def attempt_review(*, attempt_id: int, actor: Any) -> ContactAttempt:
    """A manager has looked at an attempt that broke a rule. Once: a second review changes nothing.
    Audited on every account concerned."""
    if not (getattr(actor, "is_manager_role", False) or getattr(actor, "is_admin_role", False)):
        raise PermissionDenied
    visible = ContactAttempt.objects.filter(accounts__in=accounts_visible_to(actor)).values("pk")
    attempt = ContactAttempt.objects.select_for_update().filter(pk=attempt_id, pk__in=visible).first()
    if attempt is None:
        raise Http404("No such attempt")
    if attempt.reviewed_at is not None or not attempt.violations:
        return attempt
    attempt.reviewed_at = timezone.now()
    attempt.reviewed_by = actor
    attempt.save(update_fields=["reviewed_at", "reviewed_by"])
    for account_id in attempt.accounts.values_list("pk", flat=True):
        audit_record(
            action="contacts.attempt.reviewed",
            actor=actor,
            account_id=account_id,
            data={
                "attempt_id": attempt.pk,
                "violations": attempt.violations,
                "summary": f"Reviewed by a manager: broke {', '.join(attempt.violations)}",
            },
        )
    return attempt


RPV_VALID_FOR = timedelta(minutes=30)


def _normalize_identifier(name: str, value: str) -> str:
    value = (value or "").strip()
    if name == "date_of_birth":
        for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"):
            try:
                return datetime.strptime(value, fmt).date().isoformat()  # noqa: DTZ007 - a date, no time
            except ValueError:
                continue
        return ""
    if name in {"ssn_last4", "zip_code", "street_number"}:
        digits = "".join(ch for ch in value if ch.isdigit())
        return digits[:5] if name == "zip_code" else digits
    return value.lower()


def _on_file(person: Person) -> dict[str, str]:
    address = person.addresses.filter(is_primary=True).first()
    street_number = ""
    if address is not None:
        first = address.line1.split(" ", 1)[0]
        street_number = first if first.isdigit() else ""
    return {
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
        "ssn_last4": person.ssn_last4,
        "zip_code": address.zip_code[:5] if address else "",
        "street_number": street_number,
    }


@transaction.atomic
def rpv_verify(
    *, person: Person, actor: Any, answers: dict[str, str], account_ids: Sequence[int] = ()
) -> RightPartyVerification:
    """Check what the caller said against the file. Two matching identifiers pass; every check, passed or
    not, is recorded (without the values said) and audited on the accounts in view."""
    asked = [name for name in RightPartyVerification.IDENTIFIERS if (answers.get(name) or "").strip()]
    if len(asked) < 2:
        raise ValidationError("Ask for at least two identifiers before disclosing anything.", code="too_few")
    on_file = _on_file(person)
    matched = [
        name
        for name in asked
        if on_file[name] and _normalize_identifier(name, answers[name]) == on_file[name]
    ]
    verification = RightPartyVerification.objects.create(
        person=person, actor=actor, asked=asked, matched=matched, passed=len(matched) >= 2
    )
    outcome = "passed" if verification.passed else "failed"
    for account_id in account_ids:
        audit_record(
            action="contacts.rpv.checked",
            actor=actor,
            account_id=account_id,
            data={
                "rpv_id": verification.pk,
                "passed": verification.passed,
                "asked": asked,
                "matched": matched,
                "summary": f"right-party verification {outcome} ({len(matched)} of {len(asked)} matched)",
            },
        )
    return verification


def rpv_current(*, person: Person, actor: Any) -> RightPartyVerification | None:
    """The actor's passed verification of this person within the last half hour, if any."""
    return (
        RightPartyVerification.objects.filter(
            person=person, actor=actor, passed=True, verified_at__gte=timezone.now() - RPV_VALID_FOR
        )
        .order_by("-verified_at")
        .first()
    )


@transaction.atomic
def callback_schedule(
    *, accounts: Sequence[PatientAccount], at: datetime, actor: Any, note: str = ""
) -> None:
    """Bring the accounts back to the top of the queue at `at` (an aware time; the form converts from the
    person's local time)."""
    if timezone.is_naive(at):
        raise ValueError("callback time must be aware")
    if at <= timezone.now():
        raise ValidationError("Choose a callback time in the future.", code="past")
    PatientAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(next_action_at=at)
    for account in accounts:
        account.next_action_at = at
        audit_record(
            action="contacts.callback.scheduled",
            actor=actor,
            account_id=account.pk,
            data={
                "at": at.isoformat(),
                "summary": f"callback scheduled for {at:%Y-%m-%d %H:%M} UTC" + (f": {note}" if note else ""),
            },
        )


@transaction.atomic
def phone_status_change(*, phone: Phone, status: str, actor: Any) -> Phone:
    if status not in ContactStatus.values:
        raise ValidationError("Unknown phone status.", code="status")
    previous = phone.status
    Phone.objects.filter(pk=phone.pk).update(status=status)
    phone.status = status
    for account_id in _account_ids_of(phone.person):
        audit_record(
            action="contacts.phone.status_changed",
            actor=actor,
            account_id=account_id,
            data={"phone_id": phone.pk, "from": previous, "to": status, "summary": f"phone marked {status}"},
        )
    return phone


# What each kind of preference needs in `details`, and of what type (the rest is refused).
_PREFERENCE_DETAILS: dict[str, dict[str, type | tuple[type, ...]]] = {
    ContactPreference.Kind.CONSENT: {
        "given_to": str,
        "scope": str,
        "from": (str, type(None)),
        "until": (str, type(None)),
        "written": bool,
    },
    ContactPreference.Kind.INCONVENIENT: {
        "weekdays": list,
        "from": (str, type(None)),
        "to": (str, type(None)),
        "place": (str, type(None)),
        "written": bool,
    },
    ContactPreference.Kind.MEDIUM_OPTOUT: {"medium": (str, type(None))},
    ContactPreference.Kind.TCPA_REVOCATION: {},
    ContactPreference.Kind.REASSIGNED_NUMBER: {"disconnected": (str, type(None))},
}
_NEEDS_PHONE = {ContactPreference.Kind.TCPA_REVOCATION, ContactPreference.Kind.REASSIGNED_NUMBER}


@transaction.atomic
def contact_preference_record(
    *,
    person: Person,
    kind: str,
    actor: Any | None,
    occurred_at: datetime | None = None,
    phone: Phone | None = None,
    email: Email | None = None,
    accounts: Sequence[PatientAccount] = (),
    details: dict[str, Any] | None = None,
) -> ContactPreference:
    """Record a consent, an inconvenient time or place, a medium opt-out, a TCPA revocation or a
    reassigned number (see ContactPreference). Bad input raises ValidationError and stores nothing.
    Audited on every account of the person."""
    if kind not in _PREFERENCE_DETAILS:
        raise ValidationError("Unknown kind of contact preference.", code="kind")
    details = checked_details(details, _PREFERENCE_DETAILS[kind])
    if kind in _NEEDS_PHONE and phone is None:
        raise ValidationError("Name the phone number this is about.", code="phone")
    if kind == ContactPreference.Kind.MEDIUM_OPTOUT and not (details.get("medium") or phone or email):
        raise ValidationError("Name the medium or the contact point not to use.", code="medium")
    for point in (phone, email):
        if point is not None and point.person_id != person.pk:
            raise ValidationError("That contact point belongs to someone else.", code="contact_point")
    consumers = {a.guarantor_id for a in accounts}
    related = set(RelatedParty.objects.filter(person=person).values_list("consumer_id", flat=True))
    if consumers - {person.pk} - related:
        raise ValidationError(
            "Those accounts are not this person's or a related consumer's.", code="accounts"
        )
    preference = ContactPreference.objects.create(
        person=person,
        kind=kind,
        phone=phone,
        email=email,
        details=details,
        occurred_at=occurred_at or timezone.now(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    preference.accounts.set(accounts)
    for account_id in _account_ids_of(person) or [None]:
        audit_record(
            action="contacts.preference.recorded",
            actor=actor,
            account_id=account_id,
            data={"preference_id": preference.pk, "kind": kind, "summary": preference.get_kind_display()},
        )
    return preference


@transaction.atomic
def related_party_add(
    *, consumer: Person, first_name: str, last_name: str, relation: str, actor: Any | None
) -> RelatedParty:
    """Record someone the desk may reach about `consumer`'s accounts (see RelatedParty); their phones
    and emails are then added to the returned party's `person` like anyone's."""
    relation = relation.strip().lower()
    if not relation or not relation.replace("_", "").isalnum():
        raise ValidationError("Say how this person is related (spouse, attorney, brother…).", code="relation")
    if not first_name.strip() and not last_name.strip():
        raise ValidationError("Give the person's name.", code="name")
    person = Person.objects.create(first_name=first_name.strip() or "-", last_name=last_name.strip() or "-")
    party = RelatedParty.objects.create(consumer=consumer, person=person, relation=relation)
    for account_id in _account_ids_of(consumer) or [None]:
        audit_record(
            action="contacts.related_party.added",
            actor=actor,
            account_id=account_id,
            data={"related_party_id": party.pk, "person_id": person.pk, "relation": relation},
        )
    return party
