"""The facts the compliance engine decides on, as frozen dataclasses (no Django, no database).

They mirror the project's records so the desk can later build them from the database:

- :class:`Person` / :class:`Phone` / :class:`Email` / :class:`Address` <- ``accounts.Person`` and the contacts
  app
  (``Phone`` E.164 number, kind mobile/home/work, status; ``Address`` ZIP and IANA zone);
- :class:`Debt` <- ``accounts.PatientAccount``; :class:`Client` <- the placing client and its settings;
- :class:`Attempt` <- ``contacts.ContactAttempt`` (channel, direction, disposition, occurred_at, accounts);
- :class:`Attorney`, :class:`Cease`, :class:`Dispute`, :class:`Bankruptcy`, :class:`Deceased`,
  :class:`FapApplication` <- ``compliance.Hold`` kinds (attorney, cease, dispute, bankruptcy, deceased,
  fap_pending) with their medium (oral/written/electronic);
- the other events (consents, designations, opt-outs, notices, payments, credit reports, moves) are the
  remaining inputs of RULES.md §2 and SCENARIO-FORMAT.md.

Every instant is an aware datetime. An event known only by its date is given at the start of that local date
with ``date_only=True``. :class:`Facts` keeps its events sorted by time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

__all__ = [
    "ACTIONS",
    "CONSUMER_LIKE_RELATIONS",
    "CONVERSATION_DISPOSITIONS",
    "ECA_ACTIONS",
    "NON_COLLECTION_LETTERS",
    "Action",
    "Address",
    "Attempt",
    "Attorney",
    "Bankruptcy",
    "Cease",
    "Client",
    "Consent",
    "CreditReport",
    "Deceased",
    "Debt",
    "Decision",
    "Dispute",
    "EcaNotice",
    "Email",
    "Event",
    "Facts",
    "FapApplication",
    "Inconvenient",
    "MediumOptOut",
    "Move",
    "OralFapNotice",
    "OriginalCreditorRequest",
    "Payment",
    "Person",
    "Phone",
    "Reason",
    "RECIPIENT_BY_RELATION",
    "ReassignedNumber",
    "TcpaRevocation",
    "VerificationSent",
]

ACTIONS = frozenset(
    {
        "call",
        "voicemail",
        "text",
        "email",
        "letter",
        "credit_report",
        "legal_referral",
        "debt_sale",
        "settlement_offer",
    }
)
ECA_ACTIONS = frozenset({"credit_report", "legal_referral", "debt_sale"})  # R501-01
# Persons who count as the consumer (12 CFR 1006.6(a), RULES.md §2).
CONSUMER_LIKE_RELATIONS = frozenset({"spouse", "parent", "guardian", "executor", "successor"})
# FREQ-05 recipients by relation (the consumer's attorney is relation "attorney").
RECIPIENT_BY_RELATION = MappingProxyType(
    {
        "attorney": "consumer_attorney",
        "consumer_attorney": "consumer_attorney",
        "cra": "cra",
        "creditor": "creditor",
        "creditor_attorney": "creditor_attorney",
        "collector_attorney": "collector_attorney",
    }
)
# A live right-party exchange (C-06). The desk's right-party dispositions (contacts.models) are conversations.
CONVERSATION_DISPOSITIONS = frozenset({"conversation", "promise", "refused", "dispute"})
# Letters that are not collection letters (RULES.md §15.2).
NON_COLLECTION_LETTERS = frozenset(
    {
        "closing",
        "dispute_acknowledgment",
        "verification",
        "original_creditor",
        "cease_confirmation",
        "eca_notice",
        "pls",
        "fap_missing_info",
    }
)


# --- people and contact points -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    """A mailing address; ``zone``: the IANA zone (from the ZIP); ``locality``: "NYC" in the five boroughs."""

    state: str | None
    zone: str
    zip: str | None = None
    city: str = ""
    locality: str | None = None


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number (E.164). ``zones``: the zones of its area code (several for a split area code, none for
    toll-free). ``kind``: mobile, home or work."""

    id: str
    number: str
    kind: str = "mobile"
    zones: tuple[str, ...] = ()
    status: str = "good"
    employer_forbids_calls: bool = False  # PLACE-01: the employer forbids calls there


@dataclass(frozen=True, slots=True)
class Email:
    id: str
    address: str
    status: str = "good"
    employer_provided: bool = False  # PLACE-02


@dataclass(frozen=True, slots=True)
class Person:
    """The consumer (``relation="consumer"``) or another person the desk may reach: spouse, parent, guardian,
    executor, successor (they count as the consumer), attorney, or any third party (brother, neighbor)."""

    id: str
    relation: str = "consumer"
    name: str = ""
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()
    location_zones: tuple[str, ...] = ()  # zones of other known physical locations (RULES.md §5.1)


@dataclass(frozen=True, slots=True)
class Debt:
    """One debt (a ``PatientAccount``). Medical unless ``medical=False``; a student loan is not medical."""

    id: str
    provider: str = ""
    balance: Decimal = Decimal("0")  # initial reported balance (CR-02)
    service_date: dt.date | None = None
    first_statement_date: dt.date | None = None  # first post-discharge billing statement (501(r))
    dofd: dt.date | None = None  # date of first delinquency
    placement_date: dt.date | None = None
    student_loan_account: str | None = None
    medical: bool = True
    guarantor: str = ""  # the guarantor's person id ("" = the consumer)


@dataclass(frozen=True, slots=True)
class Client:
    """The placing client. ``kind``: agency (third-party collector) or first_party (the hospital's
    own office).
    ``settings``: parameter overrides by RULES.md §11 name."""

    kind: str = "agency"
    nonprofit_501r: bool = False
    state: str | None = None
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    id: str = ""


# --- events --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    at: dt.datetime
    date_only: bool = False
    type: ClassVar[str] = "event"


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt(Event):
    """A call, text, email, letter or visit. ``to`` is a contact id (for an inbound contact, the consumer's
    own number or address it came from). ``person``: the person called or written to (default the
    consumer)."""

    type: ClassVar[str] = "attempt"
    channel: str  # call | text | email | letter | visit
    direction: str = "outbound"
    person: str = ""
    to: str | None = None
    debts: tuple[str, ...] = ()
    disposition: str | None = None
    automated: bool = False
    template: str | None = None
    returned_on: dt.date | None = None  # letter: notice of non-delivery received on this date
    payment_deadline: dt.date | None = None
    remedy: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent(Event):
    """``scope``: window (calls from ``window_from`` up to ``window_to``), one_call, automated (TCPA consent
    for the number ``to``) or electronic (texts or emails at ``to``). ``debts`` empty = every debt."""

    type: ClassVar[str] = "consent"
    person: str = ""
    given_to: str = "collector"
    scope: str = "one_call"
    window_from: dt.datetime | None = None
    window_to: dt.datetime | None = None
    debts: tuple[str, ...] = ()
    to: str | None = None
    written: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Inconvenient(Event):
    """A time (and optionally a place) the person said is inconvenient. ``weekdays``: 0=Monday..6=Sunday.
    ``start``/``end`` local times, ``end`` excluded; start later than end wraps past midnight; both None =
    the whole day. ``place="work"`` limits it to calls and texts to numbers of kind work."""

    type: ClassVar[str] = "inconvenient"
    person: str = ""
    weekdays: frozenset[int] = frozenset(range(7))
    start: dt.time | None = None
    end: dt.time | None = None
    place: str | None = None
    written: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Attorney(Event):
    type: ClassVar[str] = "attorney"
    debts: tuple[str, ...] = ()  # empty = every debt
    name: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Cease(Event):
    """A refusal to pay / stop-communicating request. ``at`` is when it took effect (the receipt date of a
    written request, start of that local day)."""

    type: ClassVar[str] = "cease"
    debts: tuple[str, ...] = ()
    written: bool = True
    mailed_on: dt.date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MediumOptOut(Event):
    """``medium``: phone, text, email (letter, too), or a contact id."""

    type: ClassVar[str] = "medium_optout"
    medium: str
    person: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TcpaRevocation(Event):
    type: ClassVar[str] = "tcpa_revocation"
    to: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReassignedNumber(Event):
    type: ClassVar[str] = "reassigned_number"
    to: str
    disconnected: dt.date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispute(Event):
    type: ClassVar[str] = "dispute"
    debts: tuple[str, ...] = ()
    written: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginalCreditorRequest(Event):
    type: ClassVar[str] = "original_creditor_request"
    debts: tuple[str, ...] = ()
    written: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationSent(Event):
    type: ClassVar[str] = "verification_sent"
    debts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Bankruptcy(Event):
    type: ClassVar[str] = "bankruptcy"
    status: str = "filed"  # filed | discharged | dismissed
    chapter: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Deceased(Event):
    type: ClassVar[str] = "deceased"


@dataclass(frozen=True, slots=True, kw_only=True)
class FapApplication(Event):
    type: ClassVar[str] = "fap_application"
    debts: tuple[str, ...] = ()
    status: str = "incomplete"  # incomplete | complete | approved | denied
    discount: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EcaNotice(Event):
    type: ClassVar[str] = "eca_notice"
    debts: tuple[str, ...] = ()
    deadline: dt.date | None = None
    pls: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OralFapNotice(Event):
    type: ClassVar[str] = "oral_fap_notice"
    debts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment(Event):
    type: ClassVar[str] = "payment"
    debts: tuple[str, ...] = ()
    amount: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditReport(Event):
    type: ClassVar[str] = "credit_report"
    debts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Move(Event):
    type: ClassVar[str] = "move"
    address: Address


# --- the facts of one consumer ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Facts:
    """Everything the engine knows about one consumer: the person, the mailing address in force before any
    ``Move`` event, other persons, the debts, the client and the events (any order; kept sorted by time).
    Identity semantics: the engine caches its indexes on the instance."""

    consumer: Person
    address: Address
    debts: tuple[Debt, ...]
    client: Client = field(default_factory=Client)
    persons: tuple[Person, ...] = ()
    events: tuple[Event, ...] = ()
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        events = tuple(self.events)

        def order(
            e: Event,
        ) -> tuple:  # at equal times, date-only events first (they count from the day start)
            return (e.at, not e.date_only)

        if any(order(events[i]) > order(events[i + 1]) for i in range(len(events) - 1)):
            events = tuple(sorted(events, key=order))
        object.__setattr__(self, "events", events)
        for event in events:
            if event.at.tzinfo is None:
                raise ValueError(f"{event.type} event at {event.at}: time must be aware")


# --- the question and the answer -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """A proposed action. ``to``: a contact id (phone for calls, voicemails and texts; email address id for
    emails). ``person``: the person contacted (None = the consumer). ``template_text``: the words of a
    voicemail (LCM-01). ``sale_agreement``: the four-item R501-03 agreement is in place for a debt sale.
    ``buyer_qualifying_nonprofit``: the buyer is a qualifying non-profit (ST-CR-VT)."""

    kind: str
    debts: tuple[str, ...] = ()
    to: str | None = None
    person: str | None = None
    template: str | None = None
    template_text: str | None = None
    automated: bool = False
    payment_deadline: dt.date | None = None
    remedy: str | None = None
    sale_agreement: bool = False
    buyer_qualifying_nonprofit: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ACTIONS:
            raise ValueError(f"unknown action {self.kind!r}; expected one of {', '.join(sorted(ACTIONS))}")


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that fired: its RULES.md id, a human-readable message, its effect (block, hold or warn) and,
    where it can be computed, the instant from which this rule alone no longer fires."""

    rule_id: str
    message: str
    effect: str
    until: dt.datetime | None = None

    @property
    def is_warning(self) -> bool:
        return self.effect == "warn"


@dataclass(frozen=True, slots=True)
class Decision:
    """``outcome``: hold, block, warn or allow (RULES.md §1.3). ``reasons``: every rule that fired.
    ``next_allowed``: the earliest instant after which the same action is allowed (§15.5), or None.
    ``dates``: dates computed on the way (validation_period_end, earliest_eca, earliest_credit_report).
    ``zones``: the candidate zones used for the call window (C-02 decision log)."""

    outcome: str
    reasons: tuple[Reason, ...] = ()
    next_allowed: dt.datetime | None = None
    dates: Mapping[str, dt.date] = field(default_factory=lambda: MappingProxyType({}))
    zones: tuple[str, ...] = ()

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.rule_id for r in self.reasons))

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.rule_id for r in self.reasons if r.effect == "warn"))

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.rule_id for r in self.reasons if r.effect != "warn"))

    @property
    def allowed(self) -> bool:
        return self.outcome in ("allow", "warn")
