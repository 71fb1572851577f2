"""The compliance engine's facts, read from the desk's records, and its decisions for pages.

The engine (compliance.engine) is pure: it decides on `compliance.facts` dataclasses. This module builds
them from the database in a fixed number of queries for any number of guarantors, so a page of 50 queue
rows costs the same handful of reads as one account.

What the desk records today and how it maps (the scenario files name the same events):

- the guarantor is the consumer; their phones (zones from the area code), emails and primary address
  (zone from the ZIP, NYC locality from the county);
- every account of the guarantor is a debt (medical), with its client's kind, 501(r) flag and the
  `compliance` part of its `policy_overrides` as the engine's parameter overrides;
- contact attempts to the guarantor are `Attempt` events (a promise, refusal, dispute, cease or attorney
  disposition was a conversation);
- open holds are the events they record: attorney, cease, dispute, bankruptcy, deceased, and a pending
  financial-assistance application.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from accounts.models import PatientAccount, Person
from collections_desk.lib.jsonb import jsonb_object
from compliance import calendar as cal
from compliance import facts as F
from compliance.engine import evaluate, evaluate_many
from compliance.models import Hold

# Attempts older than this cannot change a call decision: the longest look-back of a frequency rule
# (RULES.md §11: 7-day windows, the 7 days after a conversation, the state overlays' 7 days) with margin.
CALL_HISTORY = dt.timedelta(days=35)

# The zone days are counted in for a person with no address and no phone (nothing can be called then).
FALLBACK_ZONE = "America/New_York"

# Desk dispositions that were a live exchange with the right party (C-06).
_CONVERSATION = {"promise", "refused", "dispute", "cease", "attorney"}


def consumer_id(person_id: int) -> str:
    return f"person-{person_id}"


def phone_id(pk: int) -> str:
    return f"phone-{pk}"


def email_id(pk: int) -> str:
    return f"email-{pk}"


def compliance_overrides(policy_overrides: dict[str, Any] | None) -> dict[str, Any]:
    """The engine's part of a client's `policy_overrides`: `{"compliance": {parameter name: value}}`
    (the plan policy keeps its own key)."""
    return dict((policy_overrides or {}).get("compliance") or {})


# The records the facts are built from, as SQL over the tables of the models reached through accounts'
# relations (compliance sits below contacts in the import layers, so the table names come from those
# relations, not from imports). Raw SQL because these reads run for every workspace page, every queue
# page's marks and every attempt logged: the ORM spent more time compiling the eleven queries than
# PostgreSQL spent answering them. `%(ids)s` is the guarantors, `%(people)s` them and their related
# parties; one statement text each whatever the number of guarantors (`= ANY`), so each is prepared once.
_SQL = {
    "related": """
        SELECT r.consumer_id, r.person_id, r.relation, p.first_name, p.last_name
          FROM {related} r JOIN {person} p ON p.id = r.person_id
         WHERE r.consumer_id = ANY(%(ids)s) ORDER BY r.id""",
    "phones": """
        SELECT ph.person_id, ph.id, ph.number::text, ph.kind, ph.autodialer_consent, ph.autodialer_consent_at,
               ph.sms_consent, ph.sms_consent_at, ph.consent_revoked_at
          FROM {phone} ph WHERE ph.person_id = ANY(%(people)s) ORDER BY ph.id""",
    "emails": """
        SELECT e.person_id, e.id, e.address FROM {email} e
         WHERE e.person_id = ANY(%(people)s) ORDER BY e.id""",
    "addresses": """
        SELECT ad.person_id, ad.state, ad.zip_code, ad.time_zone, ad.city, ad.created_at FROM {address} ad
         WHERE ad.person_id = ANY(%(ids)s) ORDER BY ad.person_id, ad.created_at, ad.id""",
    "debts": """
        SELECT a.id, a.guarantor_id, a.client_id, c.name, c.kind, c.nonprofit_501r, c.policy_overrides,
               coalesce((SELECT sum(le.amount) FROM {ledger} le
                          WHERE le.account_id = a.id AND le.effective_date <= a.placement_date), 0.00),
               a.service_date_from, a.first_statement_date, a.first_delinquency_date, a.placement_date
          FROM {account} a JOIN {client} c ON c.id = a.client_id
         WHERE a.guarantor_id = ANY(%(ids)s) ORDER BY a.id""",
    # One row per attempt and account it concerned; `since` NULL reads the whole history.
    "attempts": """
        SELECT aa.contactattempt_id, aa.patientaccount_id, a.guarantor_id, t.person_id, t.channel,
               t.direction, t.phone_id, t.email_id, t.disposition, t.occurred_at, t.details
          FROM {attempt_accounts} aa
          JOIN {attempt} t ON t.id = aa.contactattempt_id
          JOIN {account} a ON a.id = aa.patientaccount_id
         WHERE a.guarantor_id = ANY(%(ids)s)
           AND (%(since)s::timestamptz IS NULL OR t.occurred_at >= %(since)s::timestamptz)
         ORDER BY aa.contactattempt_id, aa.patientaccount_id""",
    "preference_accounts": """
        SELECT pa.contactpreference_id, pa.patientaccount_id
          FROM {preference_accounts} pa JOIN {preference} cp ON cp.id = pa.contactpreference_id
         WHERE cp.person_id = ANY(%(people)s) ORDER BY pa.id""",
    "preferences": """
        SELECT cp.person_id, cp.id, cp.kind, cp.phone_id, cp.email_id, cp.details, cp.occurred_at
          FROM {preference} cp WHERE cp.person_id = ANY(%(people)s) ORDER BY cp.id""",
    "notices": """
        SELECT a.guarantor_id, a.id, n.id, n.kind, n.details, n.occurred_at
          FROM {notice_accounts} na
          JOIN {notice} n ON n.id = na.accountnotice_id
          JOIN {account} a ON a.id = na.patientaccount_id
         WHERE a.guarantor_id = ANY(%(ids)s) ORDER BY n.id, a.id""",
    "payments": """
        SELECT a.guarantor_id, a.id, le.amount, le.effective_date
          FROM {account} a JOIN {ledger} le ON le.account_id = a.id
         WHERE a.guarantor_id = ANY(%(ids)s) AND le.kind = 'patient_payment'
           AND NOT EXISTS (SELECT 1 FROM {ledger} r WHERE r.reverses_id = le.id)
         ORDER BY le.id""",
    # Holds open at `now` (a desk decision lifted the others), and how a bankruptcy ended.
    "holds": """
        SELECT h.kind, h.medium, h.received_on, h.placed_at, h.details, h.account_id, a.guarantor_id,
               h.released_at, h.release_reason
          FROM {hold} h JOIN {account} a ON a.id = h.account_id
         WHERE a.guarantor_id = ANY(%(ids)s)
           AND (h.released_at IS NULL OR h.released_at > %(now)s OR h.kind = 'bankruptcy')
         ORDER BY h.id""",
}


@functools.cache
def _sql(name: str) -> str:
    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    attempt = Person.contact_attempts.rel.related_model
    preference = Person.contact_preferences.rel.related_model
    notice = PatientAccount.compliance_notices.rel.related_model
    return _SQL[name].format(
        person=table(Person),
        account=table(PatientAccount),
        client=table(PatientAccount.client.field.related_model),
        ledger=table(PatientAccount.ledger_entries.rel.related_model),
        related=table(Person.related_parties.rel.related_model),
        phone=table(Person.phones.rel.related_model),
        email=table(Person.emails.rel.related_model),
        address=table(Person.addresses.rel.related_model),
        attempt=table(attempt),
        attempt_accounts=table(attempt.accounts.through),
        preference=table(preference),
        preference_accounts=table(preference.accounts.through),
        notice=table(notice),
        notice_accounts=table(notice.accounts.through),
        hold=table(Hold),
    )


class _Reads:
    """The reads of facts_for_guarantors for one set of guarantors (`ids`): `send` sends several at
    once, `rows` hands out one read's rows."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self._sent: dict[str, Any] = {}

    def send(self, reads: dict[str, dict[str, Any]]) -> None:
        """Send these reads (name: parameters) in one round trip, psycopg's pipeline mode: one after the
        other, the reads of a call decision were a tenth of a workspace page's time, most of it spent
        waiting for each answer (bench/README.md, seventh pass)."""
        connection.ensure_connection()
        with connection.connection.pipeline():
            for name, params in reads.items():
                cursor = connection.cursor()  # Django's own: the reads stay in its query log and counts
                cursor.execute(_sql(name), {"ids": self.ids, **params})
                self._sent[name] = cursor

    def rows(self, name: str) -> list[tuple]:
        with self._sent.pop(name) as cursor:
            return cursor.fetchall()


def facts_for_guarantors(
    guarantor_ids: Iterable[int],
    *,
    now: dt.datetime | None = None,
    history: dt.timedelta | None = CALL_HISTORY,
) -> dict[tuple[int, int], F.Facts]:
    """Facts per (guarantor, client) for every client the guarantor has accounts with: the engine reads
    one client's parameters, while the debts and the history are the guarantor's across clients. A fixed
    number of queries whatever the number of guarantors, all through accounts' relations: compliance
    sits below contacts in the import layers (DESIGN.md §4).

    `history` bounds the contact attempts read (enough for a call decision); None reads them all (a
    letter, a credit report or a scenario needs the validation notice and the rest). Every other record
    is read whole: there are few of them. Events after `now` are kept: the engine ignores what had not
    happened yet at the time it is asked about."""
    now = now or timezone.now()
    ids = sorted(set(guarantor_ids))
    if not ids:
        return {}
    reads = _Reads(ids)
    # Others the desk may reach about these consumers' accounts (spouses, attorneys, third parties).
    others: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    related_of: dict[int, list[int]] = defaultdict(list)
    reads.send({"related": {}})  # whom the others are read for
    for consumer, other, relation, first, last in reads.rows("related"):
        others[consumer].append((other, relation, f"{first} {last}".strip()))
        related_of[other].append(consumer)

    def owners(person: int) -> list[tuple[int, str]]:
        """The consumers a record of `person` is about, and how the engine names that person there
        ("" for the consumer themself)."""
        mine = [(person, "")] if person in ids else []
        return mine + [(consumer, consumer_id(person)) for consumer in related_of.get(person, ())]

    everyone = sorted(set(ids) | set(related_of))
    since = None if history is None else now - history
    reads.send(
        {
            "phones": {"people": everyone},
            "emails": {"people": everyone},
            "addresses": {},
            "debts": {},
            "attempts": {"since": since},
            "preference_accounts": {"people": everyone},
            "preferences": {"people": everyone},
            "notices": {},
            "payments": {},
            "holds": {"now": now},
        }
    )
    phones: dict[int, list[F.Phone]] = defaultdict(list)
    events: dict[int, list[F.Event]] = defaultdict(list)
    for person, pk, number, kind, consent, consent_at, sms, sms_at, revoked_at in reads.rows("phones"):
        phones[person].append(
            F.Phone(id=phone_id(pk), number=number, kind=kind, zones=cal.phone_zones_for(number))
        )
        for consumer, who in owners(person):
            if consent and consent_at is not None:
                events[consumer].append(
                    F.Consent(at=consent_at, person=who, scope="automated", to=phone_id(pk), written=True)
                )
            if sms and sms_at is not None:
                # Agreeing to texts at this number: TCPA consent to automated texts, and the consent to
                # electronic messages there that Regulation F's safe harbor asks for.
                for scope in ("automated", "electronic"):
                    events[consumer].append(
                        F.Consent(at=sms_at, person=who, scope=scope, to=phone_id(pk), written=True)
                    )
            if revoked_at is not None:
                events[consumer].append(F.TcpaRevocation(at=revoked_at, to=phone_id(pk)))
    emails: dict[int, list[F.Email]] = defaultdict(list)
    for person, pk, address in reads.rows("emails"):
        emails[person].append(F.Email(id=email_id(pk), address=address))
    addresses: dict[int, F.Address] = {}
    for person, state, zip_code, zone, city, created_at in reads.rows("addresses"):
        address = F.Address(
            state=state,
            zone=zone,
            zip=zip_code,
            city=city,
            # Only New York ZIPs can be in the city (and the ZIP lookup is slow).
            locality=cal.locality_for_zip(zip_code) if state == "NY" else None,
        )
        if person in addresses:  # a later address: the person moved
            events[person].append(F.Move(at=created_at, address=address))
        else:
            addresses[person] = address
    for person in ids:  # no address on file: the zone the days are counted in comes from the phones
        addresses.setdefault(person, _no_address(phones.get(person, ())))
    debts: dict[int, list[F.Debt]] = defaultdict(list)
    clients: dict[int, dict[int, F.Client]] = defaultdict(dict)
    # A debt's balance for the engine is the balance it was placed with (CR-02's "initial reported
    # balance"): the ledger up to the placement date, not what is left after payments.
    for row in reads.rows("debts"):
        (
            pk,
            person,
            client_id,
            client_name,
            kind,
            nonprofit,
            overrides,
            balance,
            service,
            statement,
            dofd,
            placed,
        ) = row
        debts[person].append(
            F.Debt(
                id=str(pk),
                provider=client_name,
                balance=balance,
                service_date=service,
                first_statement_date=statement,
                dofd=dofd,
                placement_date=placed,
                guarantor=consumer_id(person),
            )
        )
        clients[person][client_id] = F.Client(
            kind=kind,
            nonprofit_501r=nonprofit,
            settings=compliance_overrides(jsonb_object(overrides)),
            id=str(client_id),
        )
    # Contact attempts about these consumers' accounts, whoever was reached, through the relations
    # (compliance sits below contacts in the import layers): one row per attempt and account.
    attempts: dict[tuple[int, int], list] = {}
    for row in reads.rows("attempts"):
        attempt, account, consumer = row[0], row[1], row[2]
        attempts.setdefault((attempt, consumer), [row, []])[1].append(str(account))
    for (_, consumer), (row, debts_of_attempt) in attempts.items():
        _, _, _, reached, channel, direction, phone, email, disposition, at, details = row
        details = jsonb_object(details)
        events[consumer].append(
            F.Attempt(
                at=at,
                channel=channel,
                direction=direction,
                person="" if reached == consumer else consumer_id(reached),
                to=phone_id(phone) if phone else email_id(email) if email else None,
                debts=tuple(sorted(debts_of_attempt)),
                disposition="conversation" if disposition in _CONVERSATION else disposition,
                automated=bool(details.get("automated")),
                template=details.get("template"),
                returned_on=_date(details.get("returned_on")),
                payment_deadline=_date(details.get("payment_deadline")),
                remedy=details.get("remedy"),
            )
        )
    _read_preferences(reads, owners, events)
    _read_notices(reads, events)
    _read_payments(reads, {p: a.zone for p, a in addresses.items()}, events)
    # Holds open at `now` (a desk decision lifted the others), and how a bankruptcy ended.
    for kind, medium, received_on, placed_at, details, account_id, person, released_at, reason in reads.rows(
        "holds"
    ):
        zone = addresses[person].zone
        event = _hold_event(
            kind, medium, received_on, placed_at, jsonb_object(details), str(account_id), zone
        )
        if event is not None:
            events[person].append(event)
        if kind == Hold.Kind.BANKRUPTCY and released_at is not None and reason in ("discharged", "dismissed"):
            events[person].append(F.Bankruptcy(at=released_at, status=reason))
    facts = {}
    for person in ids:
        address = addresses[person]
        consumer = F.Person(
            id=consumer_id(person), phones=tuple(phones.get(person, ())), emails=tuple(emails.get(person, ()))
        )
        persons = tuple(
            F.Person(
                id=consumer_id(other),
                relation=relation,
                name=name,
                phones=tuple(phones.get(other, ())),
                emails=tuple(emails.get(other, ())),
            )
            for other, relation, name in others.get(person, ())
        )
        for client_id, client in clients.get(person, {}).items():
            facts[(person, client_id)] = F.Facts(
                consumer=consumer,
                address=address,
                debts=tuple(debts[person]),
                client=client,
                persons=persons,
                events=tuple(events.get(person, ())),
            )
    return facts


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _time(text: str | None) -> dt.time | None:
    return dt.time.fromisoformat(text) if text else None


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _read_preferences(
    reads: _Reads,
    owners: Callable[[int], list[tuple[int, str]]],
    events: dict[int, list[F.Event]],
) -> None:
    """Consents, inconvenient times, opt-outs, TCPA revocations and reassigned numbers."""
    scoped: dict[int, list[str]] = defaultdict(list)
    for pref, account in reads.rows("preference_accounts"):
        scoped[pref].append(str(account))
    for person, pk, kind, phone, email, details, at in reads.rows("preferences"):
        d = jsonb_object(details)
        to = phone_id(phone) if phone else email_id(email) if email else None
        for consumer, who in owners(person):
            event = _preference_event(kind, d, at, who, to, tuple(scoped.get(pk, ())))
            if event is not None:
                events[consumer].append(event)


def _preference_event(
    kind: str, d: dict[str, Any], at: dt.datetime, who: str, to: str | None, debts: tuple[str, ...]
) -> F.Event | None:
    """One ContactPreference as the engine's event; `who` is the person it is about ("" the consumer)."""
    if kind == "consent":
        return F.Consent(
            at=at,
            person=who,
            given_to=d.get("given_to", "collector"),
            scope=d.get("scope", "one_call"),
            window_from=_instant(d.get("from")),
            window_to=_instant(d.get("until")),
            debts=debts,
            to=to,
            written=bool(d.get("written")),
        )
    if kind == "inconvenient":
        return F.Inconvenient(
            at=at,
            person=who,
            weekdays=frozenset(d.get("weekdays") or range(7)),
            start=_time(d.get("from")),
            end=_time(d.get("to")),
            place=d.get("place"),
            written=bool(d.get("written")),
        )
    if kind == "medium_optout":
        return F.MediumOptOut(at=at, person=who, medium=to or d.get("medium") or "")
    if kind == "tcpa_revocation":
        return F.TcpaRevocation(at=at, to=to or "")
    if kind == "reassigned_number":
        return F.ReassignedNumber(at=at, to=to or "", disconnected=_date(d.get("disconnected")))
    return None  # pragma: no cover - the model's choices


def _read_notices(reads: _Reads, events: dict[int, list[F.Event]]) -> None:
    """What the desk sent or furnished and what the consumer asked for (compliance.AccountNotice)."""
    found: dict[int, tuple[int, str, dict, dt.datetime, list[str]]] = {}
    for person, account, pk, kind, details, at in reads.rows("notices"):
        found.setdefault(pk, (person, kind, jsonb_object(details), at, []))[4].append(str(account))
    for person, kind, d, at, debts in found.values():
        accounts = tuple(sorted(debts))
        if kind == "original_creditor_request":
            event: F.Event = F.OriginalCreditorRequest(at=at, debts=accounts, written=bool(d.get("written")))
        elif kind == "verification_sent":
            event = F.VerificationSent(at=at, debts=accounts)
        elif kind == "fap_application":
            event = F.FapApplication(
                at=at, debts=accounts, status=d.get("status", "incomplete"), discount=d.get("discount")
            )
        elif kind == "eca_notice":
            event = F.EcaNotice(
                at=at, debts=accounts, deadline=_date(d.get("deadline")), pls=bool(d.get("pls"))
            )
        elif kind == "oral_fap_notice":
            event = F.OralFapNotice(at=at, debts=accounts)
        elif kind == "credit_report":
            event = F.CreditReport(at=at, debts=accounts)
        else:  # pragma: no cover - the model's choices
            continue
        events[person].append(event)


def _read_payments(reads: _Reads, zones: dict[int, str], events: dict[int, list[F.Event]]) -> None:
    """The consumer's payments, from the ledger, on their effective dates (a returned payment's reversal
    cancels it)."""
    for person, account, amount, day in reads.rows("payments"):
        at = cal.start_of_day(day, zones[person])
        events[person].append(F.Payment(at=at, date_only=True, debts=(str(account),), amount=-amount))


def _no_address(phones: Sequence[F.Phone]) -> F.Address:
    """No mailing address on file: the engine still needs a zone to count local days in. A phone's zone
    serves (the call window is the intersection of all the phones' zones either way; `state` None means
    no state overlay is known). With no phone either nothing can be called, and Eastern time is used."""
    zones = sorted({z for phone in phones for z in phone.zones})
    return F.Address(state=None, zone=zones[0] if zones else FALLBACK_ZONE)


def _hold_event(
    kind: str,
    medium: str,
    received_on: dt.date,
    placed_at: dt.datetime,
    details: dict[str, Any],
    debt: str,
    zone: str,
) -> F.Event | None:
    written = medium == Hold.Medium.WRITTEN
    if kind == Hold.Kind.ATTORNEY:
        return F.Attorney(
            at=placed_at,
            debts=(debt,),
            name=str(details.get("attorney_name", "")),
            phone=str(details.get("attorney_phone", "")),
        )
    if kind == Hold.Kind.CEASE:
        if written and received_on is not None and received_on > cal.local_date(placed_at, zone):
            # A mailed request takes effect when it is received (the hold was placed when it was sent).
            return F.Cease(
                at=cal.start_of_day(received_on, zone),
                date_only=True,
                debts=(debt,),
                written=True,
                mailed_on=cal.local_date(placed_at, zone),
            )
        return F.Cease(at=placed_at, debts=(debt,), written=written)
    if kind == Hold.Kind.DISPUTE:
        return F.Dispute(at=placed_at, debts=(debt,), written=written)
    if kind == Hold.Kind.BANKRUPTCY:
        return F.Bankruptcy(
            at=placed_at,
            status=str(details.get("bankruptcy_status") or "filed"),
            chapter=str(details.get("bankruptcy_chapter") or "") or None,
        )
    if kind == Hold.Kind.DECEASED:
        return F.Deceased(at=placed_at)
    if kind == Hold.Kind.FAP_PENDING:
        return F.FapApplication(
            at=placed_at, debts=(debt,), status=str(details.get("status") or "incomplete")
        )
    return None  # insurance pending: the desk's own pause, not a rule of RULES.md


@dataclass(frozen=True)
class CallDecision:
    """May the desk call this account's guarantor now, and if not why and from when."""

    account_id: int
    allowed: bool
    decision: F.Decision | None  # None: no phone to call
    phone_id: int | None
    zone: str

    @property
    def summary(self) -> str:
        """The first reason and the next time, e.g. "FREQ-02 · conversation Tue 14:02 · next call Tue
        10:00 MDT"."""
        if self.decision is None:
            return "no phone on file"
        if self.allowed and not self.decision.reasons:
            return "callable now"
        if self.allowed:
            return "callable now · " + " · ".join(self.decision.warnings)
        first = min(self.decision.reasons, key=lambda r: r.is_warning)  # what blocks comes first
        parts = [
            first.message if first.message.startswith(first.rule_id) else f"{first.rule_id} · {first.message}"
        ]
        if self.decision.next_allowed is not None:
            local = self.decision.next_allowed.astimezone(ZoneInfo(self.zone or FALLBACK_ZONE))
            parts.append(f"next call {local:%a %H:%M %Z}")
        else:
            parts.append("no next time can be computed")
        return " · ".join(parts)


def call_decisions(
    accounts: Sequence[tuple[int, int, int]], *, now: dt.datetime | None = None
) -> dict[int, CallDecision]:
    """For (account id, guarantor id, client id) rows, whether calling the guarantor about that account is
    allowed now, on the first phone not marked bad (the workspace lists phones in the same order)."""
    now = now or timezone.now()
    facts = facts_for_guarantors((g for _, g, _ in accounts), now=now)
    # The phone the collector would dial: the first good one, else unverified, never a bad one (the
    # workspace lists them in this order).
    rank = {"good": 0, "unverified": 1}
    best: dict[int, tuple[int, int]] = {}
    for person, pk, status in Person.objects.filter(pk__in={g for _, g, _ in accounts}).values_list(
        "pk", "phones__pk", "phones__status"
    ):
        if pk is not None and status in rank:
            best[person] = min(best.get(person, (9, 0)), (rank[status], pk))
    good_phone = {person: pk for person, (_, pk) in best.items()}
    asked = []
    out: dict[int, CallDecision] = {}
    for account_id, guarantor, client in accounts:
        found = facts.get((guarantor, client))
        phone = good_phone.get(guarantor)
        zone = found.address.zone if found else ""
        if found is None or phone is None:
            out[account_id] = CallDecision(account_id, False, None, None, zone)
            continue
        asked.append(
            (
                account_id,
                phone,
                zone,
                found,
                F.Action(kind="call", debts=(str(account_id),), to=phone_id(phone)),
            )
        )
    for (account_id, phone, zone, _, _), decision in zip(
        asked, evaluate_many([(f, a) for *_, f, a in asked], now), strict=True
    ):
        out[account_id] = CallDecision(
            account_id,
            decision.allowed,
            decision,
            phone,
            zone or (decision.zones[0] if decision.zones else ""),
        )
    return out


__all__ = [
    "CALL_HISTORY",
    "attempt_violations",
    "CallDecision",
    "call_decisions",
    "compliance_overrides",
    "facts_for_guarantors",
    "phone_call_decisions",
]


# The engine's action for an outbound contact attempt on each channel (a visit is not one of them).
_ACTION_OF_CHANNEL = {"call": "call", "text": "text", "email": "email", "letter": "letter"}


def attempt_violations(
    *,
    accounts: Sequence[PatientAccount],
    channel: str,
    phone_pk: int | None,
    email_pk: int | None,
    at: dt.datetime,
    person_pk: int | None = None,
) -> list[str]:
    """The rules an outbound attempt made at `at` broke, judged on what the desk knew before it: the
    blocking reasons (not the warnings) the engine gives for the same action at that time, over every
    client whose accounts it concerned. Empty for a channel the engine does not judge."""
    kind = _ACTION_OF_CHANNEL.get(channel)
    if kind is None or not accounts:
        return []
    guarantor = accounts[0].guarantor_id
    facts = facts_for_guarantors([guarantor], now=at, history=None)
    to = phone_id(phone_pk) if phone_pk else email_id(email_pk) if email_pk else None
    broken: set[str] = set()
    for client_id in sorted({a.client_id for a in accounts}):
        found = facts.get((guarantor, client_id))
        if found is None:
            continue
        debts = tuple(str(a.pk) for a in accounts if a.client_id == client_id)
        # Someone other than the guarantor was reached (their spouse, their attorney, a third party).
        who = consumer_id(person_pk) if person_pk not in (None, guarantor) else None
        broken.update(evaluate(found, F.Action(kind=kind, debts=debts, to=to, person=who), at).blocking)
    return sorted(broken)


def phone_call_decisions(
    *, account: PatientAccount, now: dt.datetime | None = None
) -> dict[int, CallDecision]:
    """For each of the guarantor's phones, whether calling it about `account` is allowed now (the
    workspace offers a number to dial only when it is)."""
    now = now or timezone.now()
    key = (account.guarantor_id, account.client_id)
    found = facts_for_guarantors([account.guarantor_id], now=now).get(key)
    if found is None:
        return {}
    asked = [
        (int(phone.id.removeprefix("phone-")), F.Action(kind="call", debts=(str(account.pk),), to=phone.id))
        for phone in found.consumer.phones
    ]
    decisions = evaluate_many([(found, action) for _, action in asked], now)
    return {
        pk: CallDecision(account.pk, d.allowed, d, pk, found.address.zone or (d.zones[0] if d.zones else ""))
        for (pk, _), d in zip(asked, decisions, strict=True)
    }


def action_decision(
    *,
    account: PatientAccount,
    kind: str,
    now: dt.datetime,
    phone_pk: int | None = None,
    email_pk: int | None = None,
    template: str | None = None,
    automated: bool = False,
) -> F.Decision:
    """The engine's answer for one action about one account now (the automated sends ask this)."""
    key = (account.guarantor_id, account.client_id)
    found = facts_for_guarantors([account.guarantor_id], now=now, history=None)[key]
    to = phone_id(phone_pk) if phone_pk else email_id(email_pk) if email_pk else None
    action = F.Action(kind=kind, debts=(str(account.pk),), to=to, template=template, automated=automated)
    return evaluate(found, action, now)
