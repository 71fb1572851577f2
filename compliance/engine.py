"""The compliance engine: pure functions over :mod:`compliance.facts` (no Django, no database).

``evaluate(facts, action, at)`` answers one proposed action with a :class:`~compliance.facts.Decision`:
``hold`` if any HOLD rule fires, else ``block`` if any BLOCK (or failed REQUIRE) fires, else ``warn`` if any
WARN fires, else ``allow`` (RULES.md §1.3). Every rule that fired is returned (C-19) with its RULES.md id, and
``next_allowed`` is the earliest instant after ``at`` from which the same action would be allowed, assuming no
further events (§15.5), when one exists.

The engine sees only the events before ``at`` (§15.2: a timed event strictly earlier, a date-only event from
the start of its local date). Day counts use local dates in the zone of the mailing address in force (§15.1).

Speed: each ``Facts`` instance caches an index of its events (per number of visible events), so annotating a
queue (``evaluate_many``) costs one index per consumer and then only lookups and bisections per decision.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from compliance import calendar as cal
from compliance.facts import (
    CONSUMER_LIKE_RELATIONS,
    CONVERSATION_DISPOSITIONS,
    ECA_ACTIONS,
    NON_COLLECTION_LETTERS,
    RECIPIENT_BY_RELATION,
    Action,
    Attempt,
    Attorney,
    Bankruptcy,
    Cease,
    Consent,
    CreditReport,
    Debt,
    Decision,
    Dispute,
    EcaNotice,
    Email,
    Facts,
    FapApplication,
    Inconvenient,
    MediumOptOut,
    Move,
    OralFapNotice,
    OriginalCreditorRequest,
    Payment,
    Person,
    Phone,
    Reason,
    ReassignedNumber,
    TcpaRevocation,
    VerificationSent,
)
from compliance.parameters import effective_parameters

__all__ = [
    "REGF_RULES",
    "earliest_credit_report",
    "earliest_eca",
    "evaluate",
    "evaluate_many",
    "validation_period_end",
]

UTC = dt.UTC
DAY = dt.timedelta(days=1)
EPS = dt.timedelta(microseconds=1)
_EMPTY: tuple = ()
_MAX_SEARCH = 60

HOLD, BLOCK, WARN, ALLOW = "hold", "block", "warn", "allow"

# Rules whose source is Regulation F / the FDCPA: WARN instead of BLOCK or HOLD on first-party accounts when
# the client has the audited override regf.applies_to_first_party: false (C-01). Desk guardrails (FREQ-07,
# FREQ-09), the desk's dispute hold (DISP-04), state, 501(r), TCPA, bankruptcy and bureau rules keep their
# effect.
# fmt: off
REGF_RULES = frozenset({
    "TIME-01", "TIME-02", "TIME-03", "PLACE-01", "PLACE-02", "PLACE-03", "PLACE-04", "ATT-01", "CEASE-01",
    "MEDIUM-01", "OPTOUT-01", "EMAIL-01", "SMS-01", "THIRD-01", "FREQ-01", "FREQ-02", "FREQ-08", "ID-01",
    "LCM-01", "DISC-01", "FALSE-01", "AMT-01", "PAY-01", "VAL-01", "VAL-06", "DISP-01", "DISP-02", "DISP-03",
    "CR-01", "LEG-01", "LEG-02",
})
# fmt: on

_CALLS = frozenset({"call", "voicemail"})
_REALTIME = frozenset({"call", "voicemail", "text", "email"})
_LETTERS = frozenset({"letter", "settlement_offer"})
_COMMS = _REALTIME | _LETTERS
_MEDIUM_OF = {"call": "call", "voicemail": "call", "text": "text", "email": "email", "letter": "letter",
              "settlement_offer": "letter"}  # fmt: skip
_CEASE_EXEMPT_LETTERS = frozenset({"closing", "remedy_notice"})
_DISPUTE_EXEMPT_LETTERS = frozenset(
    {"dispute_acknowledgment", "verification", "original_creditor", "closing"}
)
# fmt: off
_FAMILY = frozenset({
    "spouse", "parent", "guardian", "child", "son", "daughter", "brother", "sister", "sibling", "relative",
    "family", "grandparent", "grandchild", "partner", "household", "roommate",
})
# fmt: on
_PERSONAL_KINDS = frozenset({"mobile", "home", "cell", "personal"})
_WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --- parameters, compiled once per settings ------------------------------------------------------------


def _hm(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


@dataclass(frozen=True, slots=True)
class _P:
    applies_to_first_party: bool
    win_start: dt.time
    win_end: dt.time
    win_end_calls: dt.time
    win_exclusive: bool
    call_max: int
    call_window: int
    cooldown: int
    consent_days: int
    excluded_dispositions: frozenset
    excluded_recipients: frozenset
    student_loans_one: bool
    vn_receipt_days: int
    vn_period_days: int
    passive_wait: int
    gap: dt.timedelta
    per_number_day: int
    person_warn: int
    person_block: int
    bucket_mode: str
    sms_debt: int
    sms_day: int
    email_debt: int
    email_day: int
    sunday: str
    dispute_hold: int
    oral_stop: int
    cr_enabled: bool
    cr_min: Decimal
    cr_delay: int
    state_bans: frozenset
    void_states: frozenset
    notif_days: int
    notice_days: int
    app_days: int
    ma_creditors: bool
    ma_texts: bool
    ma_personal: tuple[int, int]
    ma_other: tuple[int, int]
    ma_work_oral_days: int
    ma_hours: tuple[dt.time, dt.time, str]
    wa_applies_to: frozenset
    wa_all: tuple[int, int]
    wa_work: tuple[int, int]
    nyc_all: tuple[int, int]
    nyc_e_consent: bool
    nyc_effective: dt.date
    dc_calls: tuple[int, int]
    sol: Mapping[str, int]


_P_CACHE: dict[tuple, _P] = {}


def _settings_key(settings: Mapping) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in settings.items()))


def _compile(settings: Mapping | None) -> _P:
    key = _settings_key(settings or {})
    found = _P_CACHE.get(key)
    if found is not None:
        return found
    v = effective_parameters(dict(settings or {}))
    window = v["regf.call_window_local"]
    end = _hm(window["end"])
    end_calls = (
        dt.datetime.combine(dt.date(2000, 1, 2), end) - dt.timedelta(minutes=window["end_buffer_min"])
    ).time()
    ma_hours = v["states.MA.household_hours_if_unknown"]
    compiled = _P(
        applies_to_first_party=v["regf.applies_to_first_party"],
        win_start=_hm(window["start"]),
        win_end=end,
        win_end_calls=end_calls,
        win_exclusive=window["exclusive"],
        call_max=v["regf.call_cap.max_calls"],
        call_window=v["regf.call_cap.window_days"],
        cooldown=v["regf.conversation_cooldown_days"],
        consent_days=v["regf.consent_exclusion_max_days"],
        excluded_dispositions=frozenset(v["regf.excluded_dispositions"]),
        excluded_recipients=frozenset(v["regf.excluded_recipients"]),
        student_loans_one=v["regf.student_loans_single_account_is_one_debt"],
        vn_receipt_days=v["regf.validation.assumed_receipt_business_days"],
        vn_period_days=v["regf.validation.period_days"],
        passive_wait=v["regf.passive_reporting_wait_days"],
        gap=dt.timedelta(minutes=v["policy_guardrails.min_gap_same_number_min"]),
        per_number_day=v["policy_guardrails.max_attempts_per_number_per_day"],
        person_warn=v["policy_guardrails.person_all_debts_per_7d.warn"],
        person_block=v["policy_guardrails.person_all_debts_per_7d.block"],
        bucket_mode=v["policy_guardrails.medical_debt_call_bucket"],
        sms_debt=v["policy_guardrails.sms_per_debt_per_7d"],
        sms_day=v["policy_guardrails.sms_per_day"],
        email_debt=v["policy_guardrails.email_per_debt_per_7d"],
        email_day=v["policy_guardrails.email_per_day"],
        sunday=v["policy_guardrails.sunday_holiday_calls"],
        dispute_hold=v["policy_guardrails.dispute_hold_days"],
        oral_stop=v["policy_guardrails.oral_stop_all_media_days"],
        cr_enabled=v["credit_reporting_medical.enabled"],
        cr_min=v["credit_reporting_medical.min_initial_balance_usd"],
        cr_delay=v["credit_reporting_medical.delay_days_from_dofd"],
        state_bans=frozenset(v["credit_reporting_medical.state_bans"]),
        void_states=frozenset(v["credit_reporting_medical.void_if_reported"]),
        notif_days=v["irs_501r.notification_period_days"],
        notice_days=v["irs_501r.eca_written_notice_days"],
        app_days=v["irs_501r.application_period_days"],
        ma_creditors=v["states.MA.applies_to_creditors"],
        ma_texts=v["states.MA.counts_texts"],
        ma_personal=(v["states.MA.personal_numbers.max"], v["states.MA.personal_numbers.window_days"]),
        ma_other=(v["states.MA.other_numbers.max"], v["states.MA.other_numbers.window_days"]),
        ma_work_oral_days=v["states.MA.work_oral_request_days"],
        ma_hours=(_hm(ma_hours["start"]), _hm(ma_hours["end"]), ma_hours["zone"]),
        wa_applies_to=frozenset(v["states.WA.applies_to"]),
        wa_all=(v["states.WA.all_channels.max"], v["states.WA.all_channels.window_days"]),
        wa_work=(v["states.WA.workplace.max"], v["states.WA.workplace.window_days"]),
        nyc_all=(v["states.NYC.all_channels.max"], v["states.NYC.all_channels.window_days"]),
        nyc_e_consent=v["states.NYC.electronic_requires_written_consent"],
        nyc_effective=dt.date.fromisoformat(v["states.NYC.effective"]),
        dc_calls=(v["states.DC.calls.max"], v["states.DC.calls.window_days"]),
        sol=v["legal.sol_years_by_state"],
    )
    if len(_P_CACHE) > 256:
        _P_CACHE.clear()
    _P_CACHE[key] = compiled
    return compiled


# --- small helpers ---------------------------------------------------------------------------------


def _count_since(sorted_ordinals: Sequence[int], first: int) -> int:
    """How many of the (sorted) day ordinals are >= ``first`` (all of them are <= the day being checked)."""
    return len(sorted_ordinals) - bisect_left(sorted_ordinals, first)


def _cap_clears(sorted_ordinals: Sequence[int], cap: int, window: int) -> int:
    """First day ordinal D' from which ``count(D'-window+1..D') + 1 <= cap`` holds again (no new events)."""
    if cap <= 0:
        return 0
    return sorted_ordinals[len(sorted_ordinals) - cap] + window


def _fmt(at: dt.datetime, zone_name: str) -> str:
    local = at.astimezone(cal.zone(zone_name))
    return f"{_WEEKDAY[local.weekday()]} {local:%Y-%m-%d %H:%M} {local.tzname()}"


def _fmt_day(ordinal: int) -> str:
    day = dt.date.fromordinal(ordinal)
    return f"{_WEEKDAY[day.weekday()]} {day.isoformat()}"


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb 29 -> Feb 28 (the earlier, stricter date)
        return day.replace(year=day.year + years, day=28)


@dataclass(slots=True)
class _Fired:
    rule_id: str
    effect: str
    message: str
    until: dt.datetime | None = None


# --- the per-facts index ----------------------------------------------------------------------------


class _Rec:
    """One attempt with what the rules need precomputed."""

    __slots__ = (
        "at",
        "automated",
        "channel",
        "debts",
        "disposition",
        "ev",
        "inbound",
        "ld",
        "person",
        "placed",
        "template",
        "to",
    )

    def __init__(self, ev: Attempt, ld: int, person: str, placed: bool):
        self.ev = ev
        self.at = ev.at
        self.ld = ld
        self.person = person
        self.to = ev.to
        self.channel = ev.channel
        self.debts = ev.debts
        self.disposition = ev.disposition
        self.inbound = ev.direction == "inbound"
        self.placed = placed
        self.automated = ev.automated
        self.template = ev.template


class _Index:
    """Everything about one consumer's visible events that the rules look up, computed once."""

    def __init__(self, facts: Facts, events: Sequence):  # noqa: C901, PLR0912, PLR0915
        p = self.p = _compile(facts.client.settings)
        self.facts = facts
        self.client = facts.client
        consumer = facts.consumer
        self.consumer_id = cid = consumer.id
        self.persons: dict[str, Person] = {cid: consumer}
        for person in facts.persons:
            self.persons[person.id] = person
        self.phones: dict[str, Phone] = {}
        self.emails: dict[str, Email] = {}
        self.owner: dict[str, str] = {}
        for person in self.persons.values():
            for phone in person.phones:
                self.phones[phone.id] = phone
                self.owner[phone.id] = person.id
            for email in person.emails:
                self.emails[email.id] = email
                self.owner[email.id] = person.id
        self.debts: dict[str, Debt] = {d.id: d for d in facts.debts}
        self.household = frozenset({cid} | {q.id for q in facts.persons if q.relation == "spouse"})

        # Address timeline (moves) and the address in force now.
        timeline: list[tuple[dt.datetime, object]] = []
        address = facts.address
        for ev in events:
            if isinstance(ev, Move):
                timeline.append((ev.at, ev.address))
                address = ev.address
        self.address = address
        self.zone = address.zone
        self.state = address.state
        self.locality = address.locality
        self._timeline = timeline
        self._initial = facts.address

        # Candidate zones per person (RULES.md §5.1), computed lazily.
        self._zones_cache: dict[str, tuple[str, ...]] = {}

        # Buckets per debt.
        self._bucket: dict[str, tuple] = {}
        for debt in facts.debts:
            self._bucket[debt.id] = self._bucket_of(debt)

        # Classify events.
        self.recs: list[_Rec] = []
        consents: list[Consent] = []
        self.inconvenient: dict[str, list[Inconvenient]] = defaultdict(list)
        self.attorneys: list[Attorney] = []
        self.ceases_written: list[Cease] = []
        self.ceases_oral: list[tuple[int, Cease]] = []
        self.optouts: list[MediumOptOut] = []
        self.revocations: dict[str, list[dt.datetime]] = defaultdict(list)
        self.reassigned: dict[str, list[ReassignedNumber]] = defaultdict(list)
        self.disputes: dict[str, list[tuple[Dispute, int]]] = defaultdict(list)
        self.oc_requests: dict[str, list[tuple[OriginalCreditorRequest, int]]] = defaultdict(list)
        self.verifications: dict[str, list[dt.datetime]] = defaultdict(list)
        self.bankruptcy: Bankruptcy | None = None
        self.faps: dict[str, list[FapApplication]] = defaultdict(list)
        self.eca_notices: dict[str, list[tuple[int, EcaNotice]]] = defaultdict(list)
        self.orals: dict[str, list[int]] = defaultdict(list)
        self.paid: dict[str, Decimal] = defaultdict(Decimal)
        self.reports: dict[str, list[tuple[dt.datetime, str | None]]] = defaultdict(list)
        self.deceased = False
        self.deceased_at: dt.datetime | None = None
        excluded = p.excluded_dispositions
        for ev in events:
            if isinstance(ev, Attempt):
                person = ev.person or self.owner.get(ev.to or "", cid)
                placed = ev.channel == "call" and ev.direction != "inbound" and ev.disposition not in excluded
                self.recs.append(_Rec(ev, self.ld(ev.at), person, placed))
            elif isinstance(ev, Consent):
                consents.append(ev)
            elif isinstance(ev, Inconvenient):
                self.inconvenient[ev.person or cid].append(ev)
            elif isinstance(ev, Attorney):
                self.attorneys.append(ev)
            elif isinstance(ev, Cease):
                if ev.written:
                    self.ceases_written.append(ev)
                else:
                    self.ceases_oral.append((self.ld(ev.at), ev))
            elif isinstance(ev, MediumOptOut):
                self.optouts.append(ev)
            elif isinstance(ev, TcpaRevocation):
                self.revocations[ev.to].append(ev.at)
            elif isinstance(ev, ReassignedNumber):
                self.reassigned[ev.to].append(ev)
            elif isinstance(ev, Dispute):
                for debt in ev.debts or tuple(self.debts):
                    self.disputes[debt].append((ev, self.ld(ev.at)))
            elif isinstance(ev, OriginalCreditorRequest):
                for debt in ev.debts or tuple(self.debts):
                    self.oc_requests[debt].append((ev, self.ld(ev.at)))
            elif isinstance(ev, VerificationSent):
                for debt in ev.debts or tuple(self.debts):
                    self.verifications[debt].append(ev.at)
            elif isinstance(ev, Bankruptcy):
                self.bankruptcy = ev
            elif isinstance(ev, FapApplication):
                for debt in ev.debts or tuple(self.debts):
                    self.faps[debt].append(ev)
            elif isinstance(ev, EcaNotice):
                for debt in ev.debts or tuple(self.debts):
                    self.eca_notices[debt].append((self.ld(ev.at), ev))
            elif isinstance(ev, OralFapNotice):
                for debt in ev.debts or tuple(self.debts):
                    self.orals[debt].append(self.ld(ev.at))
            elif isinstance(ev, Payment):
                self._allocate_payment(ev)
            elif isinstance(ev, CreditReport):
                state = self._address_at(ev.at).state
                for debt in ev.debts or tuple(self.debts):
                    self.reports[debt].append((ev.at, state))
            elif type(ev).type == "deceased":
                self.deceased = True
                self.deceased_at = self.deceased_at or ev.at

        self._index_consents(consents)
        self._index_attempts()

    # -- zones and dates ------------------------------------------------------------------------------

    def _address_at(self, at: dt.datetime):
        address = self._initial
        for when, moved_to in self._timeline:
            if when <= at:
                address = moved_to
            else:
                break
        return address

    def ld(self, at: dt.datetime) -> int:
        zone_name = self._address_at(at).zone if self._timeline else self._initial.zone
        return cal.local_date(at, zone_name).toordinal()

    def day(self, t: dt.datetime) -> int:
        return cal.local_date(t, self.zone).toordinal()

    def day_start(self, ordinal: int) -> dt.datetime:
        return cal.start_of_day(dt.date.fromordinal(ordinal), self.zone)

    def candidate_zones(self, person_id: str) -> tuple[str, ...]:
        found = self._zones_cache.get(person_id)
        if found is not None:
            return found
        person = self.persons[person_id]
        zones: dict[str, None] = {}
        consumer_like = person_id == self.consumer_id or person.relation in CONSUMER_LIKE_RELATIONS
        if consumer_like:
            zones[self.zone] = None
        for phone in person.phones:
            for z in phone.zones:
                zones[z] = None
        for z in person.location_zones:
            zones[z] = None
        if not zones:
            for z in cal.zones_for_state(self.state):
                zones[z] = None
        result = tuple(zones)
        self._zones_cache[person_id] = result
        return result

    def primary_zones(self, person_id: str, phone: Phone | None) -> frozenset[str]:
        person = self.persons[person_id]
        if person_id == self.consumer_id or person.relation in CONSUMER_LIKE_RELATIONS:
            return frozenset((self.zone,))
        if phone is not None and phone.zones:
            return frozenset(phone.zones)
        return frozenset(self.candidate_zones(person_id))

    # -- buckets, consents ---------------------------------------------------------------------------

    def _bucket_of(self, debt: Debt) -> tuple:
        p = self.p
        if debt.student_loan_account and p.student_loans_one:
            return ("student_loan", debt.student_loan_account)
        if debt.medical and p.bucket_mode == "per_provider_guarantor" and debt.provider:
            return ("provider", debt.provider, debt.guarantor or self.consumer_id)
        return ("debt", debt.id)

    def bucket(self, debt_id: str) -> tuple:
        found = self._bucket.get(debt_id)
        return found if found is not None else ("debt", debt_id)

    def _index_consents(self, consents: list[Consent]) -> None:
        """FREQ-03 / TIME-05 consents given directly to the collector, and which past calls they covered."""
        p = self.p
        cid = self.consumer_id
        self.call_consents: dict[str, list[list]] = defaultdict(
            list
        )  # person -> [consent, last_ord, used_at]
        self.auto_consents: dict[str, list[Consent]] = defaultdict(list)
        self.e_consents: dict[str, list[Consent]] = defaultdict(list)
        for consent in consents:
            person = consent.person or self.owner.get(consent.to or "", cid)
            if consent.scope == "automated":
                if consent.to:
                    self.auto_consents[consent.to].append(consent)
                continue
            if consent.scope == "electronic":
                if consent.to:
                    self.e_consents[consent.to].append(consent)
                continue
            if consent.given_to != "collector":
                continue  # C-07: consent recorded by the creditor does not count
            self.call_consents[person].append([consent, self.ld(consent.at) + p.consent_days - 1, None])
        # Which past calls were covered (per debt), and when each consent was used up.
        self.covered: dict[int, frozenset[str]] = {}
        for person, entries in self.call_consents.items():
            calls = [r for r in self.recs if r.channel == "call" and not r.inbound and r.person == person]
            for entry in entries:
                consent, last_ord, _ = entry
                if consent.scope == "one_call":
                    for rec in calls:
                        if rec.at > consent.at and rec.placed:
                            if rec.ld <= last_ord:
                                self._cover(rec, consent)
                            entry[2] = rec.at
                            break
                elif consent.scope == "window" and consent.window_from and consent.window_to:
                    for rec in calls:
                        if rec.at <= consent.at or not rec.placed:
                            continue
                        if consent.window_from <= rec.at < consent.window_to and rec.ld <= last_ord:
                            self._cover(rec, consent)
                            if rec.disposition in CONVERSATION_DISPOSITIONS:
                                entry[2] = rec.at
                                break

    def _cover(self, rec: _Rec, consent: Consent) -> None:
        debts = frozenset(rec.debts) if not consent.debts else frozenset(rec.debts) & frozenset(consent.debts)
        self.covered[id(rec)] = self.covered.get(id(rec), frozenset()) | debts

    def consent_cover(self, person: str, t: dt.datetime, t_ord: int, debts: tuple[str, ...]) -> tuple:
        """(debts covered by a valid FREQ-03 consent for a call at t, covered by a slot consent (TIME-05))."""
        entries = self.call_consents.get(person)
        if not entries:
            return frozenset(), False
        covered: set[str] = set()
        slot_all = False
        for consent, last_ord, used_at in entries:
            if consent.at >= t or t_ord > last_ord or used_at is not None:
                continue
            if consent.scope == "window":
                if not (
                    consent.window_from and consent.window_to and consent.window_from <= t < consent.window_to
                ):
                    continue
            elif consent.scope != "one_call":
                continue
            mine = set(debts) if not consent.debts else set(debts) & set(consent.debts)
            covered |= mine
            if consent.scope == "window" and mine >= set(debts):
                slot_all = True
        return frozenset(covered), slot_all

    # -- attempts --------------------------------------------------------------------------------------

    def _index_attempts(self) -> None:  # noqa: C901, PLR0912
        p = self.p
        cid = self.consumer_id
        excluded_recipient = self.is_excluded_recipient
        freq: dict[tuple, list[int]] = defaultdict(list)
        conv: dict[tuple, list[int]] = defaultdict(list)
        person_total: dict[str, list[int]] = defaultdict(list)
        num_times: dict[str, list[dt.datetime]] = defaultdict(list)
        num_days: dict[str, list[int]] = defaultdict(list)
        placed_to_person: dict[str, int] = defaultdict(int)
        msg_debt: dict[tuple, list[int]] = defaultdict(list)
        msg_person: dict[tuple, list[int]] = defaultdict(list)
        ma: dict[tuple, list[int]] = defaultdict(list)
        wa_all: list[int] = []
        wa_work: list[int] = []
        nyc: dict[str, list[int]] = defaultdict(list)
        dc: dict[str, list[int]] = defaultdict(list)
        cr01_conv: dict[str, int] = {}
        cr01_msgs: dict[str, list[tuple[int, dt.date | None]]] = defaultdict(list)
        vn: dict[str, list[tuple[int, dt.date | None]]] = defaultdict(list)
        oc_letters: dict[str, list[dt.datetime]] = defaultdict(list)
        pls_letters: dict[str, list[int]] = defaultdict(list)
        eca_letters: dict[str, list[int]] = defaultdict(list)
        channel_log: dict[tuple, list[_Rec]] = defaultdict(list)
        wa_pending: dict[str, int | None] = {}
        consumerish = self.is_consumerish
        for rec in self.recs:
            debts = rec.debts
            ch = rec.channel
            medium = ch if ch in ("call", "text", "email") else None
            if medium:
                channel_log[(rec.person, medium)].append(rec)
            if rec.inbound:
                if medium and rec.person in self.household:
                    wa_pending[medium] = rec.ld
                if ch == "call" and rec.disposition in CONVERSATION_DISPOSITIONS:
                    for b in {self.bucket(d) for d in debts}:
                        conv[(rec.person, b)].append(rec.ld)
                    if rec.person == cid:
                        for d in debts:
                            cr01_conv.setdefault(d, rec.ld)
                continue
            # outbound
            covered = self.covered.get(id(rec), frozenset())
            if ch == "call":
                if rec.disposition in CONVERSATION_DISPOSITIONS:
                    for b in {self.bucket(d) for d in debts}:
                        conv[(rec.person, b)].append(rec.ld)
                    if rec.person == cid:
                        for d in debts:
                            cr01_conv.setdefault(d, rec.ld)
                if rec.person in self.household or consumerish(rec.person):
                    for d in debts:
                        nyc[d].append(rec.ld)
                if rec.placed:
                    if rec.to:
                        num_times[rec.to].append(rec.at)
                        num_days[rec.to].append(rec.ld)
                    placed_to_person[rec.person] += 1
                    if not excluded_recipient(rec.person):
                        counted_any = False
                        for b in {self.bucket(d) for d in debts}:
                            in_bucket = [d for d in debts if self.bucket(d) == b]
                            if all(d in covered for d in in_bucket):
                                continue
                            freq[(rec.person, b)].append(rec.ld)
                            counted_any = True
                        if counted_any or not debts:
                            person_total[rec.person].append(rec.ld)
                    group = self.ma_group(rec.to)
                    for d in debts:
                        if d not in covered:
                            ma[(rec.person, d, group)].append(rec.ld)
                    if not (debts and all(d in covered for d in debts)):
                        dc[rec.person].append(rec.ld)
            elif ch in ("text", "email"):
                if rec.template != "optout_confirmation":
                    for d in debts:
                        msg_debt[(ch, rec.person, d)].append(rec.ld)
                    msg_person[(ch, rec.person)].append(rec.ld)
                    if rec.person == cid:
                        for d in debts:
                            cr01_msgs[d].append((rec.ld, None))
                if ch == "text" and p.ma_texts:
                    group = self.ma_group(rec.to)
                    for d in debts:
                        ma[(rec.person, d, group)].append(rec.ld)
                if rec.person in self.household or consumerish(rec.person):
                    for d in debts:
                        nyc[d].append(rec.ld)
            elif ch == "letter":
                template = rec.template or ""
                for d in debts:
                    cr01_msgs[d].append((rec.ld, rec.ev.returned_on))
                    nyc[d].append(rec.ld)
                    if template == "validation_notice":
                        vn[d].append((rec.ld, rec.ev.returned_on))
                    elif template == "original_creditor":
                        oc_letters[d].append(rec.at)
                    elif template == "pls":
                        pls_letters[d].append(rec.ld)
                    elif template == "eca_notice":
                        eca_letters[d].append(rec.ld)
            # WA: outbound communications with the debtor or the spouse, replies excluded.
            if rec.person in self.household and ch in ("call", "text", "email", "letter", "visit"):
                if ch == "call" and not rec.placed:
                    continue
                pending = wa_pending.get(ch) if medium else None
                if pending is not None:
                    wa_pending[ch] = None
                    if rec.ld <= pending + 1:
                        continue  # the reply: neither counted nor limited
                wa_all.append(rec.ld)
                if ch in ("call", "text") and rec.to and self._is_work(rec.to):
                    wa_work.append(rec.ld)

        def done(table):
            return {k: sorted(v) for k, v in table.items()}

        self.freq = done(freq)
        self.conv = done(conv)
        self.person_total = done(person_total)
        self.num_times = done(num_times)
        self.num_days = done(num_days)
        self.placed_to_person = dict(placed_to_person)
        self.msg_debt = done(msg_debt)
        self.msg_person = done(msg_person)
        self.ma = done(ma)
        self.wa_all = sorted(wa_all)
        self.wa_work = sorted(wa_work)
        self.wa_pending = wa_pending
        self.nyc = done(nyc)
        self.dc = done(dc)
        self.cr01_conv = cr01_conv
        self.cr01_msgs = dict(cr01_msgs)
        self.vn = dict(vn)
        self.oc_letters = dict(oc_letters)
        self.pls_letters = dict(pls_letters)
        self.eca_letters = dict(eca_letters)
        self.channel_log = dict(channel_log)

    def ma_group(self, contact: str | None) -> str:
        phone = self.phones.get(contact or "")
        if phone is None or phone.kind in _PERSONAL_KINDS:
            return "personal"
        return "other"

    def _is_work(self, contact: str) -> bool:
        phone = self.phones.get(contact)
        return phone is not None and phone.kind == "work"

    def is_excluded_recipient(self, person_id: str) -> bool:
        person = self.persons.get(person_id)
        if person is None or person_id == self.consumer_id:
            return False
        return RECIPIENT_BY_RELATION.get(person.relation) in self.p.excluded_recipients

    def is_consumerish(self, person_id: str) -> bool:
        person = self.persons.get(person_id)
        return person_id == self.consumer_id or (
            person is not None and person.relation in CONSUMER_LIKE_RELATIONS
        )

    def is_third_party(self, person_id: str) -> bool:
        person = self.persons.get(person_id)
        if person is None or self.is_consumerish(person_id):
            return False
        return person.relation not in RECIPIENT_BY_RELATION

    def _allocate_payment(self, ev: Payment) -> None:
        remaining = ev.amount
        debts = ev.debts or tuple(self.debts)
        for i, debt_id in enumerate(debts):
            debt = self.debts.get(debt_id)
            if i == len(debts) - 1 or debt is None:
                self.paid[debt_id] += remaining
                break
            owed = max(debt.balance - self.paid[debt_id], Decimal(0))
            applied = min(owed, remaining)
            self.paid[debt_id] += applied
            remaining -= applied

    # -- dates -----------------------------------------------------------------------------------------

    def vp_end(self, sent_ord: int) -> dt.date:
        p = self.p
        return cal.validation_period_end(
            dt.date.fromordinal(sent_ord), receipt_days=p.vn_receipt_days, period_days=p.vn_period_days
        )

    @staticmethod
    def returned_known(returned_on: dt.date | None, cutoff_ord: int) -> bool:
        """A letter's return is learned on its date (§15.2): known at a check on or after that local date."""
        return returned_on is not None and returned_on.toordinal() <= cutoff_ord

    def latest_vn_end(self, debt_id: str, upto_ord: int | None = None) -> dt.date | None:
        sent = [ld for ld, _ in self.vn.get(debt_id, _EMPTY) if upto_ord is None or ld <= upto_ord]
        return self.vp_end(max(sent)) if sent else None

    def cr01_earliest(self, debt_id: str, cutoff_ord: int) -> int | None:
        """First day ordinal on which CR-01 is met (a conversation, or a message + wait + 1, C-13)."""
        wait = self.p.passive_wait
        best = self.cr01_conv.get(debt_id)
        for sent, returned_on in self.cr01_msgs.get(debt_id, _EMPTY):
            if self.returned_known(returned_on, cutoff_ord) and returned_on.toordinal() <= sent + wait:
                continue  # non-delivery inside the wait cancels that message
            ready = sent + wait + 1
            best = ready if best is None else min(best, ready)
        return best

    def eca_earliest(self, debts: Sequence[Debt]) -> tuple[int | None, str]:
        """Algorithm 5.4 for one ECA covering ``debts``: (first allowed day ordinal, or None with why)."""
        p = self.p
        pdbs_dates = [d.first_statement_date for d in debts]
        if not debts or any(x is None for x in pdbs_dates):
            return None, "no first post-discharge billing statement date"
        pdbs = max(pdbs_dates).toordinal()  # R501-09: the most recent episode
        notif_end = pdbs + p.notif_days
        result = notif_end
        for debt in debts:
            notices = self.eca_notices.get(debt.id, [])
            letters = self.eca_letters.get(debt.id, [])
            if not notices and not letters:
                return None, f"no written 501(r) notice for {debt.id}"
            for notice_ord, notice in notices:
                stated = notice.deadline.toordinal() if notice.deadline else notice_ord + p.notice_days
                result = max(result, notice_ord + p.notice_days, stated)
            for notice_ord in letters:
                result = max(result, notice_ord + p.notice_days)
            if not any(n.pls for _, n in notices):
                pls = self.pls_letters.get(debt.id)
                if not pls:
                    return None, f"no plain-language summary for {debt.id}"
                result = max(result, min(pls) + p.notice_days)
            orals = self.orals.get(debt.id)
            if not orals:
                return None, f"no oral attempt to tell the patient about financial assistance for {debt.id}"
            result = max(result, min(orals) + p.notice_days)
        return result + 1, ""

    def application_period_end(self, debt: Debt) -> int | None:
        if debt.first_statement_date is None:
            return None
        end = debt.first_statement_date.toordinal() + self.p.app_days
        for _, notice in self.eca_notices.get(debt.id, []):
            if notice.deadline:
                end = max(end, notice.deadline.toordinal())
        return end


def _index(facts: Facts, at: dt.datetime) -> _Index:
    """The index of the events visible at ``at``: timed events strictly earlier, date-only events from the
    start of their local date (§15.2). Cached on the Facts instance by the number of visible events."""
    events = facts.events
    cache = facts._cache  # noqa: SLF001 - the engine owns this cache
    times = cache.get("times")
    if times is None:
        times = cache["times"] = [e.at for e in events]
    k = bisect_left(times, at)
    while k < len(events) and events[k].at == at and events[k].date_only:
        k += 1
    found = cache.get(k)
    if found is None:
        if len(cache) > 64:
            cache.clear()
            cache["times"] = times
        found = cache[k] = _Index(facts, events[:k])
    return found


# --- the action in context -------------------------------------------------------------------------


class _Ctx:
    __slots__ = (
        "action",
        "cutoff",
        "cutoff_ord",
        "debt_ids",
        "debts",
        "email",
        "idx",
        "kind",
        "p",
        "person",
        "person_id",
        "phone",
        "primary",
        "zones",
        "_groups",
    )

    def __init__(self, idx: _Index, action: Action, at: dt.datetime):
        self.idx = idx
        self.p = idx.p
        self.action = action
        self.kind = action.kind
        self.cutoff = at
        self.cutoff_ord = idx.day(at)
        if action.debts:
            unknown = [d for d in action.debts if d not in idx.debts]
            if unknown:
                raise ValueError(f"unknown debt {unknown[0]!r}")
            self.debt_ids = tuple(action.debts)
        else:
            self.debt_ids = tuple(idx.debts)
        self.debts = tuple(idx.debts[d] for d in self.debt_ids)
        person_id = action.person or idx.owner.get(action.to or "", idx.consumer_id)
        if person_id not in idx.persons:
            raise ValueError(f"unknown person {person_id!r}")
        self.person_id = person_id
        self.person = idx.persons[person_id]
        self.phone = idx.phones.get(action.to or "") if action.kind in ("call", "voicemail", "text") else None
        self.email = idx.emails.get(action.to or "") if action.kind == "email" else None
        if action.to and action.kind in ("call", "voicemail", "text") and self.phone is None:
            raise ValueError(f"unknown phone {action.to!r}")
        if action.to and action.kind == "email" and self.email is None:
            raise ValueError(f"unknown email address {action.to!r}")
        self.zones = idx.candidate_zones(person_id) if action.kind in _REALTIME else ()
        self.primary = idx.primary_zones(person_id, self.phone) if action.kind in _REALTIME else frozenset()
        self._groups = None

    def bucket_groups(self) -> list[tuple[tuple, tuple[str, ...]]]:
        if self._groups is None:
            groups: dict[tuple, list[str]] = {}
            for d in self.debt_ids:
                groups.setdefault(self.idx.bucket(d), []).append(d)
            self._groups = [(b, tuple(ds)) for b, ds in groups.items()]
        return self._groups

    @property
    def template(self) -> str:
        if self.kind == "settlement_offer":
            return self.action.template or "settlement_offer"
        return self.action.template or ""


# --- rules -----------------------------------------------------------------------------------------
# Each rule: (ctx, t, day ordinal of t, out) -> appends _Fired. `until` is the instant from which the rule
# alone stops firing, assuming no further events, or None when an event (or nothing) must change first.


def _window_open(t: dt.datetime, zone_name: str, start: dt.time, end: dt.time, exclusive: bool) -> bool:
    tod = t.astimezone(cal.zone(zone_name)).time()
    return start < tod < end if exclusive else start <= tod <= end


def _next_opening(t, zones, start, end, exclusive) -> dt.datetime | None:
    """Earliest boundary s >= t after which every zone's window is open (the intersection), or None if the
    windows never overlap (C-02: mail only)."""
    candidates = set()
    for z in zones:
        today = cal.local_date(t, z)
        for k in range(-1, 4):
            s = cal.at_local(today + dt.timedelta(days=k), start, z)
            if s >= t:
                candidates.add(s)
    for s in sorted(candidates):
        probe = s + EPS
        if all(_window_open(probe, z, start, end, exclusive) for z in zones):
            return s
    return None


def _r_bankruptcy(ctx: _Ctx, t, d, out) -> None:
    b = ctx.idx.bankruptcy
    if b is None:
        return
    if b.status == "discharged":
        out.append(_Fired("LEG-03", BLOCK, "bankruptcy discharge: no collection, ever"))
    elif b.status != "dismissed":
        chapter = f" (chapter {b.chapter})" if b.chapter else ""
        out.append(
            _Fired("LEG-03", HOLD, f"open bankruptcy{chapter}: automatic stay until discharge or dismissal")
        )


_CONTACTS = frozenset({"call", "voicemail", "text", "email", "letter", "settlement_offer"})


def _r_deceased(ctx: _Ctx, t, d, out) -> None:
    """DEC-01 (desk policy; RULES.md has no rule for a death): once the consumer is known to have died,
    nothing more goes to them; the desk deals with the persons who then count as the consumer (the
    executor or administrator of the estate, a successor in interest: 12 CFR 1006.6(a)(4)-(5)), and no
    extraordinary collection action is taken until the estate is known."""
    idx = ctx.idx
    if not idx.deceased:
        return
    since = _fmt(idx.deceased_at, idx.zone) if idx.deceased_at else "an unknown date"
    if ctx.kind in _CONTACTS and ctx.person_id == idx.consumer_id:
        out.append(
            _Fired(
                "DEC-01",
                HOLD,
                f"the consumer died ({since}): contact the executor, administrator or successor instead",
            )
        )
    elif ctx.kind in ("credit_report", "legal_referral", "debt_sale"):
        out.append(
            _Fired("DEC-01", HOLD, f"the consumer died ({since}): no such action until the estate is known")
        )


def _consent_info(ctx: _Ctx, t, d) -> tuple[frozenset, bool]:
    if ctx.kind not in _CALLS:
        return frozenset(), False
    return ctx.idx.consent_cover(ctx.person_id, t, d, ctx.debt_ids)


def _r_time(ctx: _Ctx, t, d, out) -> None:
    p = ctx.p
    covered, slot_all = _consent_info(ctx, t, d)
    if slot_all:
        return  # TIME-05: consent given directly to the collector for this time
    end = p.win_end_calls if ctx.kind in _CALLS else p.win_end
    closed = [z for z in ctx.zones if not _window_open(t, z, p.win_start, end, p.win_exclusive)]
    if not closed:
        return
    opening = _next_opening(t, ctx.zones, p.win_start, end, p.win_exclusive)
    window = f"{p.win_start:%H:%M}-{end:%H:%M}"
    when = f"opens {_fmt(opening, closed[0])}" if opening else "no common window: mail only"
    primary_closed = [z for z in closed if z in ctx.primary]
    other_closed = [z for z in closed if z not in ctx.primary]
    if primary_closed:
        z = primary_closed[0]
        out.append(_Fired("TIME-01", BLOCK, f"{_fmt(t, z)} is outside {window} in {z} · {when}", opening))
    if other_closed:
        z = other_closed[0]
        out.append(
            _Fired(
                "TIME-02",
                BLOCK,
                f"{_fmt(t, z)} is outside {window} in {z} (other candidate zone) · {when}",
                opening,
            )
        )


def _slot_hit(des: Inconvenient, local: dt.datetime) -> dt.datetime | None:
    """If ``local`` falls in the designation, the local instant at which that slot ends, else None.
    A whole-day designation ends at the next midnight of a weekday it does not cover (datetime.max if it
    covers them all)."""
    wd = local.weekday()
    tod = local.time()
    tz = local.tzinfo
    start, end = des.start, des.end
    if start is None and end is None or (start is not None and start == end):
        if wd not in des.weekdays:
            return None
        for k in range(1, 8):
            if (wd + k) % 7 not in des.weekdays:
                return dt.datetime.combine(local.date() + dt.timedelta(days=k), dt.time(0), tzinfo=tz)
        return dt.datetime.max.replace(tzinfo=UTC)  # every day: permanent
    start = start or dt.time(0)
    if end is None or end == dt.time(0):
        if wd in des.weekdays and tod >= start:
            return dt.datetime.combine(local.date() + DAY, dt.time(0), tzinfo=tz)
        return None
    if start < end:
        if wd in des.weekdays and start <= tod < end:
            return dt.datetime.combine(local.date(), end, tzinfo=tz)
        return None
    # wraps past midnight
    if wd in des.weekdays and tod >= start:
        return dt.datetime.combine(local.date() + DAY, end, tzinfo=tz)
    if tod < end and (wd - 1) % 7 in des.weekdays:
        return dt.datetime.combine(local.date(), end, tzinfo=tz)
    return None


def _designation_applies(ctx: _Ctx, des: Inconvenient) -> bool:
    if des.place is None:
        return True
    if ctx.kind not in ("call", "voicemail", "text") or ctx.phone is None:
        return False
    return ctx.phone.kind == des.place


def _time04_answer(ctx: _Ctx, designations: list[Inconvenient]) -> bool:
    """TIME-04: the first outbound action in the same medium after an inbound contact made in one of the
    person's inconvenient slots is allowed."""
    medium = _MEDIUM_OF[ctx.kind]
    log = ctx.idx.channel_log.get((ctx.person_id, medium))
    if not log:
        return False
    for rec in reversed(log):
        if not rec.inbound:
            return False  # an outbound came after the last qualifying inbound
        for des in designations:
            if des.at < rec.at and any(
                _slot_hit(des, rec.at.astimezone(cal.zone(z))) is not None for z in ctx.zones
            ):
                return True
    return False


def _r_inconvenient(ctx: _Ctx, t, d, out) -> None:
    designations = ctx.idx.inconvenient.get(ctx.person_id)
    if not designations:
        return
    if _consent_info(ctx, t, d)[1]:
        return  # TIME-05
    hits: list[tuple[Inconvenient, dt.datetime]] = []
    for des in designations:
        if not _designation_applies(ctx, des):
            continue
        for z in ctx.zones:
            end = _slot_hit(des, t.astimezone(cal.zone(z)))
            if end is not None:
                hits.append((des, end))
    if not hits or _time04_answer(ctx, [h[0] for h in hits]):
        return
    ends = [end for _, end in hits]
    until = None if any(e.year == dt.MAXYEAR for e in ends) else max(ends).astimezone(UTC)
    des = hits[0][0]
    slot = (
        f"{des.start or dt.time(0):%H:%M}-{des.end or dt.time(0):%H:%M}"
        if des.start or des.end
        else "all day"
    )
    place = f" at {des.place}" if des.place else ""
    out.append(
        _Fired(
            "TIME-03",
            BLOCK,
            f"designated inconvenient {slot}{place} (since {_fmt(des.at, ctx.idx.zone)})"
            + (f" · ends {_fmt(until, ctx.idx.zone)}" if until else ""),
            until,
        )
    )
    # MA-03: a request not to be called at work (oral requests last states.MA.work_oral_request_days).
    in_force = des.written or d < ctx.idx.ld(des.at) + ctx.p.ma_work_oral_days
    if des.place == "work" and ctx.idx.state == "MA" and ctx.kind in _CALLS and in_force:
        out.append(
            _Fired("MA-03", BLOCK, "Massachusetts: the consumer asked not to be called at work", until)
        )


def _r_place(ctx: _Ctx, t, d, out) -> None:
    if ctx.kind in _CALLS and ctx.phone is not None and ctx.phone.employer_forbids_calls:
        out.append(_Fired("PLACE-01", BLOCK, "the employer forbids calls at this workplace number"))
    employer_email = ctx.kind == "email" and ctx.email is not None and ctx.email.employer_provided
    if employer_email and not _email_qualified(ctx, ctx.email.id):
        out.append(
            _Fired("PLACE-02", BLOCK, "employer-provided email address without the consumer's consent")
        )


def _r_attorney(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    if not idx.attorneys or not idx.is_consumerish(ctx.person_id):
        return  # ATT-01 covers communications with the consumer (and persons who count as the consumer)
    debts = set(ctx.debt_ids)
    for att in idx.attorneys:
        hit = debts if not att.debts else debts & set(att.debts)
        if hit:
            who = f" ({att.name})" if att.name else ""
            out.append(
                _Fired(
                    "ATT-01",
                    BLOCK,
                    f"represented by an attorney{who} on {', '.join(sorted(hit))}"
                    f" since {_fmt(att.at, idx.zone)}: contact the attorney",
                )
            )
            return


def _r_cease(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    if idx.is_excluded_recipient(ctx.person_id):
        return
    debts = set(ctx.debt_ids)
    if idx.ceases_written and not (ctx.kind == "letter" and ctx.template in _CEASE_EXEMPT_LETTERS):
        for cease in idx.ceases_written:
            hit = debts if not cease.debts else debts & set(cease.debts)
            if hit:
                out.append(
                    _Fired(
                        "CEASE-01",
                        HOLD,
                        f"written cease request on {', '.join(sorted(hit))} received "
                        f"{_fmt_day(idx.ld(cease.at))}",
                    )
                )
                break
    # C-09: an oral "stop contacting me" blocks every medium (letters too) for oral_stop_all_media_days.
    if idx.ceases_oral and not (ctx.kind == "letter" and ctx.template == "cease_confirmation"):
        for ld, _cease in idx.ceases_oral:
            if ld <= d < ld + ctx.p.oral_stop:
                out.append(
                    _Fired(
                        "MEDIUM-01",
                        BLOCK,
                        f"oral request to stop contact on {_fmt_day(ld)} (C-09)",
                        idx.day_start(ld + ctx.p.oral_stop),
                    )
                )


def _reply_allowed(ctx: _Ctx, medium: str, after: dt.datetime, contact: str | None = None) -> bool:
    """One reply in the medium: an inbound contact in it after ``after`` with no outbound in it since."""
    log = ctx.idx.channel_log.get((ctx.person_id, medium))
    if not log:
        return False
    for rec in reversed(log):
        if rec.at <= after:
            return False
        if not rec.inbound:
            return False
        if contact is None or rec.to == contact:
            return True
    return False


def _r_medium(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    kind = ctx.kind
    medium = _MEDIUM_OF.get(kind)
    for opt in idx.optouts:
        owner = idx.owner.get(opt.medium)
        if owner is not None:  # a contact id
            if owner != ctx.person_id or opt.medium != ctx.action.to:
                continue
            if kind not in _REALTIME:
                continue
            what = f"contact {opt.medium}"
            contact = opt.medium
        else:
            if (opt.person or idx.consumer_id) != ctx.person_id:
                continue
            covers = {
                "phone": _CALLS,
                "text": {"text"},
                "email": {"email"},
                "letter": _LETTERS,
                "mail": _LETTERS,
                "call": _CALLS,
            }.get(opt.medium, ())
            if kind not in covers:
                continue
            what = opt.medium
            contact = None
        if medium in ("call", "text", "email") and _reply_allowed(ctx, medium, opt.at, contact):
            continue
        out.append(
            _Fired("MEDIUM-01", BLOCK, f"asked not to be contacted by {what} ({_fmt(opt.at, idx.zone)})")
        )
        return
    # A TCPA revocation (STOP) also opts the number out of all texts; one opt-out confirmation is allowed.
    if kind == "text" and ctx.action.to in idx.revocations:
        revoked = max(idx.revocations[ctx.action.to])
        if ctx.action.template == "optout_confirmation" and not _confirmation_sent(ctx, revoked):
            return
        if _reply_allowed(ctx, "text", revoked, ctx.action.to):
            return
        out.append(_Fired("MEDIUM-01", BLOCK, f"texts to {ctx.action.to} revoked {_fmt(revoked, idx.zone)}"))


def _confirmation_sent(ctx: _Ctx, since: dt.datetime) -> bool:
    log = ctx.idx.channel_log.get((ctx.person_id, "text"), ())
    return any(
        not r.inbound and r.template == "optout_confirmation" and r.at > since and r.to == ctx.action.to
        for r in log
    )


def _email_qualified(ctx: _Ctx, contact: str) -> bool:
    idx = ctx.idx
    medium = "email" if contact in idx.emails else "text"
    for rec in idx.channel_log.get((idx.owner.get(contact, ctx.person_id), medium), ()):
        if rec.inbound and rec.to == contact:
            return True
    return any(c.given_to == "collector" for c in idx.e_consents.get(contact, ()))


def _r_electronic(ctx: _Ctx, t, d, out) -> None:
    to = ctx.action.to
    if not to or ctx.action.template == "optout_confirmation":
        return
    # §15.2: for texts and emails only the optout_confirmation template matters, so VAL-06 (electronic
    # delivery of a required disclosure) is not judged from the template here.
    qualified = _email_qualified(ctx, to)
    if not qualified:
        rule = "EMAIL-01" if ctx.kind == "email" else "SMS-01"
        where = "address" if ctx.kind == "email" else "number"
        out.append(
            _Fired(
                rule,
                WARN,
                f"{where} {to} not qualified for the safe harbor (no message from it, no direct consent)",
            )
        )


def _r_third_party(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    if not idx.is_third_party(ctx.person_id):
        return
    relation = ctx.person.relation
    if ctx.kind == "call":
        placed = idx.placed_to_person.get(ctx.person_id, 0)
        if placed:
            out.append(
                _Fired(
                    "THIRD-01",
                    BLOCK,
                    f"third party ({relation}) already called {placed} time(s): one location call only",
                )
            )
    else:
        out.append(
            _Fired("THIRD-01", BLOCK, f"{ctx.kind} to a third party ({relation}) would convey the debt")
        )


def _r_freq(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    p = ctx.p
    if idx.is_excluded_recipient(ctx.person_id):
        return  # FREQ-05
    covered, _ = _consent_info(ctx, t, d)
    for bucket, debts in ctx.bucket_groups():
        if all(x in covered for x in debts):
            continue  # FREQ-03
        key = (ctx.person_id, bucket)
        dates = idx.freq.get(key, _EMPTY)
        if dates:
            n = _count_since(dates, d - p.call_window + 1)
            if n + 1 > p.call_max:
                clear = _cap_clears(dates, p.call_max, p.call_window)
                out.append(
                    _Fired(
                        "FREQ-01",
                        BLOCK,
                        f"{n} calls placed about {', '.join(debts)} in "
                        f"{_fmt_day(d - p.call_window + 1)}..{_fmt_day(d)} · clears {_fmt_day(clear)}",
                        idx.day_start(clear),
                    )
                )
        convs = idx.conv.get(key, _EMPTY)
        if convs and convs[-1] > d - p.cooldown:
            clear = convs[-1] + p.cooldown
            out.append(
                _Fired(
                    "FREQ-02",
                    BLOCK,
                    f"conversation about {', '.join(debts)} on {_fmt_day(convs[-1])} · "
                    f"calls from {_fmt_day(clear)}",
                    idx.day_start(clear),
                )
            )


def _holiday_or_sunday(ordinal: int) -> bool:
    day = dt.date.fromordinal(ordinal)
    return day.weekday() == 6 or cal.is_federal_holiday(day)


def _r_guardrails(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    p = ctx.p
    to = ctx.action.to
    if to:
        times = idx.num_times.get(to)
        if times:
            last = times[bisect_right(times, t) - 1] if bisect_right(times, t) else None
            if last is not None and t - last < p.gap:
                until = last + p.gap
                out.append(
                    _Fired(
                        "FREQ-07",
                        BLOCK,
                        f"last call to {to} at {_fmt(last, idx.zone)}: "
                        f"{p.gap.total_seconds() / 60:.0f} min gap until {_fmt(until, idx.zone)}",
                        until,
                    )
                )
            days = idx.num_days.get(to, _EMPTY)
            today = len(days) - bisect_left(days, d)
            if today + 1 > p.per_number_day:
                out.append(
                    _Fired(
                        "FREQ-07",
                        BLOCK,
                        f"{today} calls to {to} today: at most {p.per_number_day} per number per day",
                        idx.day_start(d + 1),
                    )
                )
    totals = idx.person_total.get(ctx.person_id, _EMPTY)
    covered, _ = _consent_info(ctx, t, d)
    own = 0 if (idx.is_excluded_recipient(ctx.person_id) or set(ctx.debt_ids) <= covered) else 1
    n = _count_since(totals, d - 6) if totals else 0
    if n + own > p.person_block:
        clear = _cap_clears(totals, p.person_block + 1 - own, 7)
        out.append(
            _Fired(
                "FREQ-07",
                BLOCK,
                f"{n} counted calls to this person in 7 days (all debts)",
                idx.day_start(clear),
            )
        )
    elif n + own > p.person_warn:
        out.append(_Fired("FREQ-07", WARN, f"{n + own} counted calls to this person in 7 days (all debts)"))
    if p.sunday != "off" and _holiday_or_sunday(d) and not set(ctx.debt_ids) <= covered:
        day = dt.date.fromordinal(d)
        what = "Sunday" if day.weekday() == 6 else f"federal holiday ({cal.federal_holidays(day.year)[day]})"
        if p.sunday == "block":
            clear = d + 1
            while _holiday_or_sunday(clear):
                clear += 1
            out.append(_Fired("FREQ-07", BLOCK, f"call on a {what}", idx.day_start(clear)))
        else:
            out.append(_Fired("FREQ-07", WARN, f"call on a {what}"))


def _r_messages(ctx: _Ctx, t, d, out) -> None:
    if ctx.action.template == "optout_confirmation":
        return
    idx = ctx.idx
    p = ctx.p
    ch = ctx.kind
    per_debt, per_day = (p.sms_debt, p.sms_day) if ch == "text" else (p.email_debt, p.email_day)
    for debt in ctx.debt_ids:
        dates = idx.msg_debt.get((ch, ctx.person_id, debt), _EMPTY)
        if dates:
            n = _count_since(dates, d - 6)
            if n + 1 > per_debt:
                clear = _cap_clears(dates, per_debt, 7)
                out.append(
                    _Fired(
                        "FREQ-09",
                        BLOCK,
                        f"{n} {ch}s about {debt} in 7 days (policy {per_debt})",
                        idx.day_start(clear),
                    )
                )
    dates = idx.msg_person.get((ch, ctx.person_id), _EMPTY)
    if dates:
        n = _count_since(dates, d)
        if n + 1 > per_day:
            out.append(
                _Fired(
                    "FREQ-09",
                    BLOCK,
                    f"{n} {ch}(s) to this person today (policy {per_day} a day)",
                    idx.day_start(d + 1),
                )
            )


_LCM_FORBIDDEN = re.compile(
    r"\b(hospital|medical|clinic|health|doctor|physician|bills?|billing|balance|debts?|collect\w*|account|owed?|"
    r"owes|overdue|past due|payments?|pay|amount|dollars?|credit|recovery|opt[- ]?out|unsubscribe|stop|"
    r"diagnos\w*|treatment|surgery)\b|\$",
    re.IGNORECASE,
)
_LCM_PHONE = re.compile(r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}")
_LCM_REPLY = re.compile(r"\b(call|reply|return|contact|reach)\b", re.IGNORECASE)


def _r_lcm(ctx: _Ctx, t, d, out) -> None:
    text = ctx.action.template_text
    if text is None:
        return
    problems = []
    bad = _LCM_FORBIDDEN.search(text)
    if bad:
        problems.append(f"mentions {bad.group(0)!r}")
    if not _LCM_PHONE.search(text):
        problems.append("no phone number to reply to")
    if re.search(r"\d{5,}", _LCM_PHONE.sub("", text)):
        problems.append("carries a number that is not a phone number")
    if not _LCM_REPLY.search(text):
        problems.append("no request to reply")
    if problems:
        out.append(_Fired("LCM-01", BLOCK, "not a limited-content message: " + "; ".join(problems)))


def _r_tcpa(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    to = ctx.action.to
    if not to or ctx.phone is None:
        return
    consents = [c for c in idx.auto_consents.get(to, ()) if not c.debts or set(ctx.debt_ids) <= set(c.debts)]
    latest_consent = max((c.at for c in consents), default=None)
    reassigned = [
        r for r in idx.reassigned.get(to, ())
        if latest_consent is None or r.disconnected is None
        or r.disconnected.toordinal() >= idx.ld(latest_consent)
    ]  # fmt: skip
    if not ctx.action.automated:
        if reassigned:
            out.append(
                _Fired("TCPA-03", WARN, f"{to} was reassigned: probably a wrong party; new consent needed")
            )
        return
    if ctx.kind == "text" and ctx.action.template == "optout_confirmation":
        revoked = idx.revocations.get(to)
        if revoked and not _confirmation_sent(ctx, max(revoked)):
            return  # the one confirmation of the opt-out
    revoked = idx.revocations.get(to)
    revoked_now = bool(revoked) and (latest_consent is None or max(revoked) > latest_consent)
    if revoked_now:
        out.append(
            _Fired(
                "TCPA-02", BLOCK, f"automated calls and texts to {to} revoked {_fmt(max(revoked), idx.zone)}"
            )
        )
    if reassigned:
        out.append(_Fired("TCPA-03", BLOCK, f"{to} disconnected/reassigned after its consent: consent void"))
    if ctx.phone.kind == "mobile" and (latest_consent is None or revoked_now or reassigned):
        out.append(
            _Fired("TCPA-01", BLOCK, f"no valid prior express consent for automated calls or texts to {to}")
        )


def _r_void(ctx: _Ctx, t, d, out) -> None:
    """CR-05: a medical debt furnished while the consumer lived in a state that voids it (NY, CA)."""
    idx = ctx.idx
    p = ctx.p
    for debt in ctx.debts:
        if not debt.medical:
            continue
        for _when, state in idx.reports.get(debt.id, ()):
            if state in p.void_states and state in p.state_bans:
                out.append(
                    _Fired(
                        "CR-05",
                        BLOCK,
                        f"{debt.id} was furnished while the consumer lived in {state}: the debt is void",
                    )
                )
                out.append(_Fired(f"ST-CR-{state}", BLOCK, f"{state} medical-debt reporting ban"))
                return


def _is_collection_letter(template: str) -> bool:
    return template not in NON_COLLECTION_LETTERS and template != "validation_notice"


def _r_letters(ctx: _Ctx, t, d, out) -> None:
    """VAL-01 (no collection letter before a validation notice) and DISP-01 (no overshadowing)."""
    idx = ctx.idx
    template = ctx.template
    if not _is_collection_letter(template):
        return
    for debt in ctx.debt_ids:
        if not idx.vn.get(debt):  # §15.2: "no earlier validation_notice letter"
            out.append(_Fired("VAL-01", BLOCK, f"no validation notice has been sent for {debt}"))
            continue
        end = idx.latest_vn_end(debt)
        deadline = ctx.action.payment_deadline
        if deadline is not None and end is not None and deadline < end:
            out.append(
                _Fired(
                    "DISP-01",
                    BLOCK,
                    f"payment deadline {deadline} is before the validation period of {debt} ends ({end})",
                )
            )
        if template == "remedy_notice" and end is not None and d <= end.toordinal():
            out.append(
                _Fired(
                    "DISP-01",
                    BLOCK,
                    f"notice of a remedy during the validation period of {debt} (ends {end})",
                    idx.day_start(end.toordinal() + 1),
                )
            )


def _dispute_pending(idx: _Index, debt: str, t: dt.datetime) -> tuple[str, int] | None:
    """DISP-02: a written dispute received within the validation period (or the next business day, C-14) and
    no verification sent since. Returns (rule, day received)."""
    for dispute, ld in idx.disputes.get(debt, _EMPTY):
        if not dispute.written:
            continue
        end = idx.latest_vn_end(debt, ld)
        if end is not None and ld > cal.next_business_day(end).toordinal():
            continue
        if any(v >= dispute.at for v in idx.verifications.get(debt, _EMPTY)):
            continue
        return "DISP-02", ld
    return None


def _oc_pending(idx: _Index, debt: str) -> int | None:
    for request, ld in idx.oc_requests.get(debt, _EMPTY):
        if not request.written:
            continue
        end = idx.latest_vn_end(debt, ld)
        if end is not None and ld > cal.next_business_day(end).toordinal():
            continue
        if any(sent >= request.at for sent in idx.oc_letters.get(debt, _EMPTY)):
            continue
        return ld
    return None


def _r_disputes(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    kind = ctx.kind
    exempt = kind == "debt_sale" or (kind == "letter" and ctx.template in _DISPUTE_EXEMPT_LETTERS)
    if not exempt:
        for debt in ctx.debt_ids:
            pending = _dispute_pending(idx, debt, t)
            if pending:
                out.append(
                    _Fired(
                        "DISP-02",
                        HOLD,
                        f"written dispute of {debt} received {_fmt_day(pending[1])} "
                        "within the validation period: hold until verification is sent",
                    )
                )
            oc = _oc_pending(idx, debt)
            if oc is not None:
                out.append(
                    _Fired(
                        "DISP-03",
                        HOLD,
                        f"written request for the original creditor of {debt} received "
                        f"{_fmt_day(oc)}: hold until it is sent",
                    )
                )
    if kind in ("credit_report", "legal_referral"):
        days = ctx.p.dispute_hold
        for debt in ctx.debt_ids:
            for _dispute, ld in idx.disputes.get(debt, _EMPTY):
                if ld <= d < ld + days:
                    out.append(
                        _Fired(
                            "DISP-04",
                            HOLD,
                            f"dispute of {debt} received {_fmt_day(ld)}: "
                            f"{days}-day hold, ends at the start of {_fmt_day(ld + days)}",
                            idx.day_start(ld + days),
                        )
                    )


def _r_credit(ctx: _Ctx, t, d, out) -> None:
    idx = ctx.idx
    p = ctx.p
    state = idx.state
    for debt in ctx.debts:
        first = idx.cr01_earliest(debt.id, ctx.cutoff_ord)
        if first is None:
            out.append(
                _Fired(
                    "CR-01",
                    BLOCK,
                    f"{debt.id}: no conversation and no message about it yet (passive collection)",
                )
            )
        elif d < first:
            out.append(
                _Fired(
                    "CR-01",
                    BLOCK,
                    f"{debt.id}: passive-collection wait until {_fmt_day(first)}",
                    idx.day_start(first),
                )
            )
        if debt.dofd is None:
            out.append(_Fired("CR-04", BLOCK, f"{debt.id}: no date of first delinquency"))
        if not debt.medical:
            continue
        if not p.cr_enabled:
            out.append(_Fired("CR-02", BLOCK, "medical credit reporting is off for this client (C-11)"))
        if debt.balance < p.cr_min:
            out.append(_Fired("CR-02", BLOCK, f"{debt.id}: initial balance {debt.balance} under {p.cr_min}"))
        if debt.balance > 0 and idx.paid.get(debt.id, Decimal(0)) >= debt.balance:
            out.append(_Fired("CR-02", BLOCK, f"{debt.id}: paid in full"))
        if debt.dofd is not None:
            allowed_from = debt.dofd.toordinal() + p.cr_delay
            if d < allowed_from:
                out.append(
                    _Fired(
                        "CR-02",
                        BLOCK,
                        f"{debt.id}: medical debt reportable from {_fmt_day(allowed_from)}"
                        " (1 year after first delinquency)",
                        idx.day_start(allowed_from),
                    )
                )
        if state in p.state_bans:
            out.append(_Fired("CR-05", BLOCK, f"{state} bans medical-debt credit reporting"))
            out.append(_Fired(f"ST-CR-{state}", BLOCK, f"{state} medical-debt reporting ban"))


def _r_501r(ctx: _Ctx, t, d, out) -> None:
    if not ctx.idx.client.nonprofit_501r:
        return
    if ctx.kind == "debt_sale" and ctx.action.sale_agreement:
        return  # R501-03: not an ECA with the four-item agreement
    idx = ctx.idx
    companion = "CR-06" if ctx.kind == "credit_report" else "LEG-04"
    held = []
    first, why = idx.eca_earliest(ctx.debts)
    if first is None:
        held.append(_Fired("R501-02", HOLD, f"501(r) reasonable efforts not complete: {why}"))
    elif d < first:
        held.append(_Fired("R501-02", HOLD, f"501(r): no ECA before {_fmt_day(first)}", idx.day_start(first)))
    for debt in ctx.debts:
        period_end = idx.application_period_end(debt)
        state = None
        submitted = None
        for app in idx.faps.get(debt.id, ()):
            if app.status in ("approved", "denied"):
                state, submitted = None, None
            else:
                if state is None:
                    submitted = idx.ld(app.at)
                state = app.status
        if state and (period_end is None or submitted <= period_end):
            rule = "R501-07" if state == "complete" else "R501-06"
            held.append(
                _Fired(
                    rule,
                    HOLD,
                    f"{debt.id}: financial-assistance application {state} since "
                    f"{_fmt_day(submitted)}: ECAs suspended until decided",
                )
            )
    if held:
        until = None if any(h.until is None for h in held) else max(h.until for h in held)
        out.extend(held)
        out.append(
            _Fired(
                companion, HOLD, f"{ctx.kind.replace('_', ' ')} is an extraordinary collection action", until
            )
        )


def _r_sol(ctx: _Ctx, t, d, out) -> None:
    """LEG-01: no suit, and no threat of suit, on a time-barred debt."""
    threat = ctx.template == "remedy_notice" and (ctx.action.remedy or "") in ("suit", "legal_referral")
    if ctx.kind in _LETTERS and not threat:
        return
    idx = ctx.idx
    years = idx.p.sol.get(idx.state or "")
    for debt in ctx.debts:
        if years is None or debt.dofd is None:
            out.append(
                _Fired(
                    "LEG-01",
                    WARN,
                    f"statute of limitations for {idx.state or 'this state'} not in the "
                    "table: counsel must confirm the debt is not time-barred",
                )
            )
            return
        barred = _years_after(debt.dofd, years)
        if d >= barred.toordinal():
            out.append(
                _Fired(
                    "LEG-01",
                    BLOCK,
                    f"{debt.id} time-barred since {barred} ({idx.state}: {years} years "
                    "from first delinquency)",
                )
            )


def _r_false_threat(ctx: _Ctx, t, d, out) -> None:
    """FALSE-01: a remedy notice may not announce credit reporting the desk cannot lawfully do."""
    if ctx.template != "remedy_notice" or (ctx.action.remedy or "") != "credit_report":
        return
    idx = ctx.idx
    p = ctx.p
    for debt in ctx.debts:
        if not debt.medical:
            continue
        if idx.state in p.state_bans:
            out.append(_Fired("FALSE-01", BLOCK, f"threatens credit reporting banned in {idx.state}"))
            out.append(_Fired("CR-05", BLOCK, f"{idx.state} bans medical-debt credit reporting"))
            out.append(_Fired(f"ST-CR-{idx.state}", BLOCK, f"{idx.state} medical-debt reporting ban"))
            return
        if not p.cr_enabled or debt.balance < p.cr_min:
            out.append(
                _Fired("FALSE-01", BLOCK, f"threatens credit reporting the desk will not do for {debt.id}")
            )
            return


def _r_states(ctx: _Ctx, t, d, out) -> None:  # noqa: C901, PLR0912
    idx = ctx.idx
    p = ctx.p
    kind = ctx.kind
    state = idx.state
    person = ctx.person_id
    covered, _ = _consent_info(ctx, t, d)
    # MA-01 (creditors) / MA-02 (licensed collectors), MA-04 (household members).
    if state == "MA" and kind in ("call", "voicemail", "text") and (kind != "text" or p.ma_texts):
        first_party = idx.client.kind == "first_party"
        if person == idx.consumer_id:
            rule = "MA-01" if first_party else "MA-02"
        elif ctx.person.relation in _FAMILY:
            rule = "MA-04"
        else:
            rule = None
        if rule and not (first_party and not p.ma_creditors):
            group = idx.ma_group(ctx.action.to)
            cap, window = p.ma_personal if group == "personal" else p.ma_other
            for debt in ctx.debt_ids:
                if debt in covered:
                    continue
                dates = idx.ma.get((person, debt, group), _EMPTY)
                n = _count_since(dates, d - window + 1) if dates else 0
                if n + 1 > cap:
                    clear = _cap_clears(dates, cap, window)
                    out.append(
                        _Fired(
                            rule,
                            BLOCK,
                            f"Massachusetts: {n} telephone contacts about {debt} to {group} "
                            f"numbers in {window} days · clears {_fmt_day(clear)}",
                            idx.day_start(clear),
                        )
                    )
            if rule == "MA-04" and kind in _CALLS:
                start, end, zone_name = p.ma_hours
                if not _window_open(t, zone_name, start, end, True):
                    opening = _next_opening(t, (zone_name,), start, end, True)
                    out.append(
                        _Fired(
                            "MA-04",
                            BLOCK,
                            f"household member: calls only {start:%H:%M}-{end:%H:%M} {zone_name}",
                            opening,
                        )
                    )
    # WA-01: licensed collection agencies; debtor and spouse together; replies neither counted nor limited.
    if state == "WA" and idx.client.kind in p.wa_applies_to and person in idx.household and kind in _COMMS:
        medium = _MEDIUM_OF[kind]
        pending = idx.wa_pending.get(medium) if medium in ("call", "text", "email") else None
        if not (pending is not None and d <= pending + 1):
            cap, window = p.wa_all
            n = _count_since(idx.wa_all, d - window + 1) if idx.wa_all else 0
            if n + 1 > cap:
                clear = _cap_clears(idx.wa_all, cap, window)
                out.append(
                    _Fired(
                        "WA-01",
                        BLOCK,
                        f"Washington: {n} communications with the debtor and spouse in {window} days",
                        idx.day_start(clear),
                    )
                )
            if kind in ("call", "voicemail", "text") and ctx.phone is not None and ctx.phone.kind == "work":
                cap, window = p.wa_work
                n = _count_since(idx.wa_work, d - window + 1) if idx.wa_work else 0
                if n + 1 > cap:
                    clear = _cap_clears(idx.wa_work, cap, window)
                    out.append(
                        _Fired(
                            "WA-01",
                            BLOCK,
                            f"Washington: {n} communications at the workplace in {window} days",
                            idx.day_start(clear),
                        )
                    )
    # NYC-01: every channel, per account; texts and emails need written consent.
    if (
        idx.locality == "NYC"
        and kind in _COMMS
        and idx.is_consumerish(person)
        and d >= p.nyc_effective.toordinal()
    ):
        cap, window = p.nyc_all
        for debt in ctx.debt_ids:
            dates = idx.nyc.get(debt, _EMPTY)
            n = _count_since(dates, d - window + 1) if dates else 0
            if n + 1 > cap:
                clear = _cap_clears(dates, cap, window)
                out.append(
                    _Fired(
                        "NYC-01",
                        BLOCK,
                        f"New York City: {n} contacts or attempts about {debt} in {window} days",
                        idx.day_start(clear),
                    )
                )
        if kind in ("text", "email") and p.nyc_e_consent:
            ok = any(
                c.written and (c.given_to == "collector" or idx.client.kind == "first_party")
                for c in idx.e_consents.get(ctx.action.to or "", ())
            )
            if not ok:
                out.append(
                    _Fired(
                        "NYC-01", BLOCK, f"New York City: no written consent to {kind}s at {ctx.action.to}"
                    )
                )
    # DC-01: calls per consumer.
    if state == "DC" and kind in _CALLS and not (ctx.debt_ids and set(ctx.debt_ids) <= covered):
        cap, window = p.dc_calls
        dates = idx.dc.get(person, _EMPTY)
        n = _count_since(dates, d - window + 1) if dates else 0
        if n + 1 > cap:
            clear = _cap_clears(dates, cap, window)
            out.append(
                _Fired(
                    "DC-01", BLOCK, f"District of Columbia: {n} calls in {window} days", idx.day_start(clear)
                )
            )


def _r_hipaa_family(ctx: _Ctx, t, d, out) -> None:
    if ctx.person_id != ctx.idx.consumer_id and ctx.person.relation in _FAMILY:
        out.append(
            _Fired(
                "HIPAA-05",
                WARN,
                f"family member ({ctx.person.relation}): disclose PHI only if involved "
                "in paying and the patient does not object",
            )
        )


def _r_vt_sale(ctx: _Ctx, t, d, out) -> None:
    if (
        ctx.idx.state == "VT"
        and not ctx.action.buyer_qualifying_nonprofit
        and any(x.medical for x in ctx.debts)
    ):
        out.append(
            _Fired("ST-CR-VT", BLOCK, "Vermont: medical debt may be sold only to a qualifying non-profit")
        )


_CALL_RULES = (
    _r_bankruptcy,
    _r_deceased,
    _r_time,
    _r_inconvenient,
    _r_place,
    _r_attorney,
    _r_cease,
    _r_medium,
    _r_third_party,
    _r_freq,
    _r_guardrails,
    _r_tcpa,
    _r_void,
    _r_disputes,
    _r_states,
    _r_hipaa_family,
)
_RULES_BY_ACTION = {
    "call": _CALL_RULES,
    "voicemail": (*_CALL_RULES, _r_lcm),
    "text": (_r_bankruptcy, _r_deceased, _r_time, _r_inconvenient, _r_attorney, _r_cease, _r_medium,
             _r_electronic, _r_third_party, _r_messages, _r_tcpa, _r_void, _r_disputes, _r_states,
             _r_hipaa_family),
    "email": (_r_bankruptcy, _r_deceased, _r_time, _r_inconvenient, _r_place, _r_attorney, _r_cease,
              _r_medium, _r_electronic, _r_third_party, _r_messages, _r_void, _r_disputes, _r_states,
              _r_hipaa_family),
    "letter": (_r_bankruptcy, _r_deceased, _r_attorney, _r_cease, _r_medium, _r_letters, _r_sol,
               _r_false_threat, _r_void, _r_disputes, _r_states),
    "credit_report": (_r_bankruptcy, _r_deceased, _r_credit, _r_501r, _r_disputes),
    "legal_referral": (_r_bankruptcy, _r_deceased, _r_sol, _r_501r, _r_disputes, _r_void),
    "debt_sale": (_r_bankruptcy, _r_deceased, _r_501r, _r_vt_sale, _r_void),
}  # fmt: skip
_RULES_BY_ACTION["settlement_offer"] = _RULES_BY_ACTION["letter"]


def _fire(ctx: _Ctx, t: dt.datetime) -> list[_Fired]:
    out: list[_Fired] = []
    d = ctx.idx.day(t)
    for rule in _RULES_BY_ACTION[ctx.kind]:
        rule(ctx, t, d, out)
    if out:
        _first_party_override(ctx, out)
    return out


def _first_party_override(ctx: _Ctx, out: list[_Fired]) -> None:
    """C-01: with regf.applies_to_first_party false, Regulation F rules on first-party accounts only warn,
    except for California consumers (CA-01)."""
    idx = ctx.idx
    if idx.client.kind != "first_party" or ctx.p.applies_to_first_party:
        return
    regf = [f for f in out if f.rule_id in REGF_RULES and f.effect != WARN]
    if not regf:
        return
    if idx.state == "CA":
        until = None if any(f.until is None for f in regf) else max(f.until for f in regf)
        out.append(
            _Fired(
                "CA-01",
                BLOCK,
                "California (Rosenthal Act): federal rules apply to first-party accounts",
                until,
            )
        )
        return
    for fired in regf:
        fired.effect = WARN
        fired.until = None
    out.append(
        _Fired("APP-02", WARN, "first-party account with the Regulation F override: review before acting")
    )


def _outcome(fired: Iterable[_Fired]) -> str:
    effects = {f.effect for f in fired}
    if HOLD in effects:
        return HOLD
    if BLOCK in effects:
        return BLOCK
    if WARN in effects:
        return WARN
    return ALLOW


def _search_next(ctx: _Ctx, fired: list[_Fired], at: dt.datetime) -> dt.datetime | None:
    """§15.5: jump to the latest instant any blocking rule names, re-evaluate just after it, repeat."""
    t = at
    current = fired
    exact = True  # `current` was evaluated at t itself (the first round), later just after t
    for _ in range(_MAX_SEARCH):
        blocking = [f for f in current if f.effect != WARN]
        if not blocking:
            return t
        if any(f.until is None for f in blocking):
            return None
        nxt = max(f.until for f in blocking)
        if nxt < t or (nxt == t and not exact):
            return None  # no progress: give up rather than loop
        t = nxt
        exact = False
        current = _fire(ctx, t + EPS)
    return None


def _to_reason(f: _Fired) -> Reason:
    return Reason(f.rule_id, f"{f.rule_id} · {f.message}", f.effect, f.until)


# --- public API ------------------------------------------------------------------------------------


def evaluate(facts: Facts, action: Action, at: dt.datetime) -> Decision:
    """Answer ``action`` at the aware instant ``at`` from the events of ``facts`` visible at ``at``."""
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    idx = _index(facts, at)
    ctx = _Ctx(idx, action, at)
    fired = _fire(ctx, at)
    outcome = _outcome(fired)
    next_allowed = _search_next(ctx, fired, at) if outcome in (HOLD, BLOCK) else None
    seen: set[tuple[str, str]] = set()
    reasons = []
    for f in fired:
        key = (f.rule_id, f.message)
        if key not in seen:
            seen.add(key)
            reasons.append(_to_reason(f))
    dates: dict[str, dt.date] = {}
    if action.kind in ECA_ACTIONS and idx.client.nonprofit_501r:
        first, _ = idx.eca_earliest(ctx.debts)
        if first is not None:
            dates["earliest_eca"] = dt.date.fromordinal(first)
    if action.kind in _LETTERS and len(ctx.debt_ids) == 1:
        end = idx.latest_vn_end(ctx.debt_ids[0])
        if end is not None:
            dates["validation_period_end"] = end
    return Decision(
        outcome=outcome,
        reasons=tuple(reasons),
        next_allowed=next_allowed.astimezone(UTC) if next_allowed else None,
        dates=MappingProxyType(dates),
        zones=ctx.zones,
    )


def evaluate_many(rows: Iterable[tuple[Facts, Action]], at: dt.datetime) -> list[Decision]:
    """Answer many (facts, action) pairs at one instant (a queue page). Indexes are cached per Facts."""
    return [evaluate(facts, action, at) for facts, action in rows]


def validation_period_end(sent: dt.date, settings: Mapping | None = None) -> dt.date:
    """VAL-04, algorithm 5.3, for a validation notice provided on ``sent``."""
    p = _compile(settings)
    return cal.validation_period_end(sent, receipt_days=p.vn_receipt_days, period_days=p.vn_period_days)


def _resolve_debts(idx: _Index, debts: Sequence[str]) -> tuple[Debt, ...]:
    unknown = [d for d in debts if d not in idx.debts]
    if unknown:
        raise ValueError(f"unknown debt {unknown[0]!r}")
    return tuple(idx.debts[d] for d in (debts or tuple(idx.debts)))


def _far_future() -> dt.datetime:
    return dt.datetime(9000, 1, 1, tzinfo=UTC)


def earliest_eca(facts: Facts, debts: Sequence[str], at: dt.datetime | None = None) -> dt.date | None:
    """Algorithm 5.4: the first local date an ECA covering ``debts`` may be taken (None: requirements
    missing)."""
    idx = _index(facts, at or _far_future())
    first, _ = idx.eca_earliest(_resolve_debts(idx, debts))
    return dt.date.fromordinal(first) if first is not None else None


def earliest_credit_report(
    facts: Facts, debts: Sequence[str], at: dt.datetime | None = None
) -> dt.date | None:
    """§15.6: the first local date every date-based gate for furnishing ``debts`` is met (CR-01, CR-02's delay
    for medical debt, the 501(r) earliest ECA), or None if one of them cannot be met from the events known."""
    idx = _index(facts, at or _far_future())
    resolved = _resolve_debts(idx, debts)
    result = 0
    for debt in resolved:
        first = idx.cr01_earliest(debt.id, idx.day(at) if at else 10**7)
        if first is None:
            return None
        result = max(result, first)
        if debt.medical:
            if debt.dofd is None:
                return None
            result = max(result, debt.dofd.toordinal() + idx.p.cr_delay)
    if idx.client.nonprofit_501r:
        first, _ = idx.eca_earliest(resolved)
        if first is None:
            return None
        result = max(result, first)
    return dt.date.fromordinal(result) if result else None
