"""Demo data for the desk: staff, clients and any number of realistic patient accounts, loaded fast.

`demo_seed` is the service behind `manage.py seed_demo`. It creates the small things (teams, clients,
facilities, logins) through the ORM, then streams the large tables into PostgreSQL with COPY.

* **Determinism.** Every random choice comes from `random.Random`, seeded per chunk of accounts from the
  user's seed, and every date is relative to a fixed reference day (`DEFAULT_TODAY`, or `--today`), never
  the clock: the same seed, day and starting ids give the same rows, byte for byte, on any machine and any
  day. Names and streets are picked from pools drawn once from a Faker with a fixed seed (Faker is far
  too slow to call per row).
* **Ids.** The generator numbers rows itself, from the table's current high-water mark (the larger of
  MAX(id) and the sequence), so a chunk can be written without a round trip; the sequences are moved past
  the loaded rows at the end, so later ORM inserts do not collide. Run it on a quiet database: a row
  inserted by someone else during the load would take an id the load is about to use.
* **Balances.** Amounts are integer cents while generating; an account's `balance` is the sum of the cents
  of the very ledger rows written for it, so `ledger_check` holds by construction (and the tests check).
* **Real-looking contact data.** ZIP, city, state and time zone come from the `zipcodes` package; phones
  use an area code of the ZIP and an exchange that `phonenumbers` accepts as valid (never 555); emails use
  the reserved example.com/.net/.org domains so a demo can never mail a real person.
* **History.** Each account's timeline is in `audit_auditevent`, as the services would have written it
  had the history happened through the desk: `accounts.account.placed` when the account arrived (with
  the balance of the ledger entries dated before the placement date: charges, insurance and discounts
  that came with the account are not desk postings, so they get no event each), one
  `contacts.attempt.logged` per attempt and account it concerned, and `accounts.ledger.posted` or
  `accounts.ledger.reversed` for every entry dated on or after the placement date, with the balance after
  it. Nothing on the desk happens before the account's placement time, so the placement opens every
  timeline. The data holds ids, codes and amounts, never a name, phone, address or email. It is written
  as text here, not by the services (far too slow), so the tests check the services still write the same.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from functools import cache, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import phonenumbers
import zipcodes
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import Client, Facility, LedgerEntry, PatientAccount
from audit.services import audit_record
from staff.models import Team, User

# A fixed "today": relative dates computed from the clock would change the data from one day to the next.
DEFAULT_TODAY = date(2026, 11, 1)
# Accounts per chunk: each chunk has its own random stream, so it can be generated anywhere, in any order.
CHUNK_ACCOUNTS = 5_000


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# Load order follows the foreign keys, and `TABLES` is the column order of each COPY line.
TABLES: dict[str, tuple[str, ...]] = {
    "accounts_person": _columns(
        "id first_name middle_name last_name date_of_birth ssn_last4 ssn_hash preferred_language "
        "deceased_date created_at"
    ),
    "contacts_address": _columns(
        "id person_id line1 line2 city state zip_code time_zone status source is_primary created_at"
    ),
    "contacts_phone": _columns(
        "id person_id number kind status source autodialer_consent autodialer_consent_at sms_consent "
        "sms_consent_at consent_revoked_at created_at"
    ),
    "contacts_email": _columns("id person_id address status source consent consent_at created_at"),
    "accounts_patientaccount": _columns(
        "id client_id client_account_number facility_id guarantor_id patient_id patient_relationship "
        "service_date_from service_date_to first_statement_date first_delinquency_date placement_date "
        "itemization_date itemization_date_type itemization_balance status status_changed_at team_id "
        "assigned_collector_id next_action_at balance created_at"
    ),
    "accounts_insurancecoverage": _columns(
        "id account_id payer_name payer_id member_id group_number order claim_status effective_from "
        "effective_to"
    ),
    "accounts_ledgerentry": _columns(
        "id account_id kind amount effective_date posted_at posted_by_id external_ref reverses_id memo"
    ),
    "contacts_contactattempt": _columns(
        "id person_id channel direction phone_id address_id email_id disposition note actor_id occurred_at"
    ),
    "contacts_contactattempt_accounts": _columns("id contactattempt_id patientaccount_id"),
    "audit_auditevent": _columns("id created_at actor_id action account_id data ip"),
}

# --- The desk: teams, clients, logins ---------------------------------------------------------------

TEAMS = ("East", "West", "Early-out")


@dataclass(frozen=True)
class ClientSpec:
    code: str
    name: str
    kind: str
    nonprofit_501r: bool
    credit_reporting: bool
    team: str  # the desk that works this client's accounts
    share: int  # percent of the generated accounts
    number_prefix: str
    facilities: tuple[tuple[str, str, str], ...]  # name, city, state


CLIENTS = (
    ClientSpec(
        "mercy-regional",
        "Mercy Regional Health System",
        Client.Kind.FIRST_PARTY,
        nonprofit_501r=True,
        credit_reporting=False,
        team="Early-out",
        share=35,
        number_prefix="MR",
        facilities=(
            ("Mercy Regional Medical Center", "Columbus", "OH"),
            ("Mercy North Hospital", "Westerville", "OH"),
            ("Mercy Urgent Care Riverside", "Dublin", "OH"),
        ),
    ),
    ClientSpec(
        "lakeside-community",
        "Lakeside Community Hospital",
        Client.Kind.AGENCY,
        nonprofit_501r=False,
        credit_reporting=False,
        team="East",
        share=25,
        number_prefix="LCH",
        facilities=(
            ("Lakeside Community Hospital", "Erie", "PA"),
            ("Lakeside Imaging Center", "Erie", "PA"),
        ),
    ),
    ClientSpec(
        "summit-emergency",
        "Summit Emergency Physicians",
        Client.Kind.AGENCY,
        nonprofit_501r=False,
        credit_reporting=True,
        team="West",
        share=25,
        number_prefix="SEP",
        facilities=(
            ("Summit ED Denver", "Denver", "CO"),
            ("Summit ED Aurora", "Aurora", "CO"),
            ("Summit ED Boulder", "Boulder", "CO"),
        ),
    ),
    ClientSpec(
        "valley-ortho",
        "Valley Orthopedic Associates",
        Client.Kind.AGENCY,
        nonprofit_501r=False,
        credit_reporting=False,
        team="West",
        share=15,
        number_prefix="VOA",
        facilities=(("Valley Orthopedic Surgery Center", "Fresno", "CA"),),
    ),
)

PASSWORDS = {
    User.Role.ADMIN: "demo-admin-2026",
    User.Role.MANAGER: "demo-manager-2026",
    User.Role.COLLECTOR: "demo-collector-2026",
}


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    teams: tuple[str, ...]


USERS = (
    UserSpec("admin", "Alex", "Admin", User.Role.ADMIN, ()),
    UserSpec("manager1", "Morgan", "Reyes", User.Role.MANAGER, ("East", "Early-out")),
    UserSpec("manager2", "Dana", "Whitfield", User.Role.MANAGER, ("West",)),
    UserSpec("collector1", "Casey", "Nguyen", User.Role.COLLECTOR, ("East",)),
    UserSpec("collector2", "Jordan", "Price", User.Role.COLLECTOR, ("East",)),
    UserSpec("collector3", "Riley", "Okafor", User.Role.COLLECTOR, ("East",)),
    UserSpec("collector4", "Taylor", "Brooks", User.Role.COLLECTOR, ("West",)),
    UserSpec("collector5", "Jamie", "Castillo", User.Role.COLLECTOR, ("West",)),
    UserSpec("collector6", "Avery", "Kim", User.Role.COLLECTOR, ("West",)),
    UserSpec("collector7", "Quinn", "Patel", User.Role.COLLECTOR, ("Early-out",)),
    UserSpec("collector8", "Skyler", "Jensen", User.Role.COLLECTOR, ("Early-out",)),
)


@dataclass(frozen=True)
class ClientPlan:
    """A client as the generator sees it: database ids and the knobs that shape its accounts."""

    id: int
    agency: bool
    nonprofit_501r: bool
    team_id: int
    facility_ids: tuple[int, ...]
    share: int
    number_prefix: str
    code: str  # named in the placement events: a code, not the client's name


@dataclass(frozen=True)
class Plan:
    """Everything the generator needs besides the ids to start from; the rows are a function of this."""

    seed: int
    today: date
    clients: tuple[ClientPlan, ...]
    collectors_by_team: dict[int, tuple[int, ...]]


# --- Reference data -----------------------------------------------------------------------------

_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
# N11 service codes, 555 (fiction and directory: phonenumbers falls back to area defaults on it) and the
# 950/958/959/976 special-use exchanges are never handed to a subscriber.
_SPECIAL_EXCHANGES = frozenset({555, 950, 958, 959, 976})


@cache
def exchange_pool(area_code: str) -> tuple[str, ...]:
    """Exchanges of `area_code` that `phonenumbers` accepts as valid numbers, tested once per process.

    A fixed sample per area code (not every exchange) keeps the check under a second for the whole
    country; each candidate is tried with two line numbers so a range that is only partly assigned is
    not taken.
    """
    sampler = random.Random(f"exchanges:{area_code}")
    candidates = [n for n in range(200, 1000) if n % 100 != 11 and n not in _SPECIAL_EXCHANGES]
    valid = []
    for nxx in sorted(sampler.sample(candidates, 16)):
        if all(
            phonenumbers.is_valid_number(
                phonenumbers.PhoneNumber(country_code=1, national_number=int(f"{area_code}{nxx}{line:04d}"))
            )
            for line in (sampler.randrange(10_000), sampler.randrange(10_000))
        ):
            valid.append(str(nxx))
    return tuple(valid)


@lru_cache(maxsize=1)
def zip_pool() -> tuple[tuple[str, str, str, str, tuple[str, ...]], ...]:
    """(zip, city, state, zone, area codes) of the active standard ZIPs of the states and DC whose area
    codes have valid exchanges, in ZIP order."""
    pool = []
    for record in zipcodes.list_all():
        if not (
            record["active"]
            and record["zip_code_type"] == "STANDARD"
            and record["timezone"]
            and record["state"] not in _TERRITORIES
        ):
            continue
        area_codes = tuple(ac for ac in sorted(set(record["area_codes"] or ())) if exchange_pool(ac))
        if area_codes:
            pool.append((record["zip_code"], record["city"], record["state"], record["timezone"], area_codes))
    pool.sort()
    return tuple(pool)


@dataclass(frozen=True)
class NamePools:
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    streets: tuple[str, ...]


def _clean(values: list[str]) -> tuple[str, ...]:
    # COPY text format: a tab, newline or backslash would need escaping; Faker's en_US lists have none,
    # and dropping such a name is cheaper than escaping every field of every row.
    return tuple(v for v in values if v and not any(ch in v for ch in "\t\n\r\\"))


@cache
def name_pools() -> NamePools:
    """Names and streets drawn once from a Faker with a fixed seed (≈100 µs a call: never per row); the
    demo seed picks from them. Faker draws names by frequency, so common names recur in the pools."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(2026)
    return NamePools(
        female=_clean([fake.first_name_female() for _ in range(900)]),
        male=_clean([fake.first_name_male() for _ in range(900)]),
        last=_clean([fake.last_name() for _ in range(1800)]),
        streets=_clean([fake.street_name() for _ in range(700)]),
    )


def _weighted(*pairs: tuple[object, int]) -> tuple:
    """A tuple to pick from uniformly that repeats each value by its weight (faster than choices())."""
    return tuple(value for value, weight in pairs for _ in range(weight))


CHARGE_LINES = (
    ("Emergency dept visit, level 4 (99284)", 6.7),
    ("Emergency dept visit, level 5 (99285)", 7.2),
    ("Office visit, established patient (99214)", 5.3),
    ("CT head without contrast (70450)", 7.0),
    ("CT abdomen and pelvis with contrast (74177)", 7.6),
    ("MRI knee without contrast (73721)", 7.4),
    ("X-ray chest, 2 views (71046)", 5.5),
    ("Complete blood count (85025)", 3.9),
    ("Comprehensive metabolic panel (80053)", 4.3),
    ("Electrocardiogram (93000)", 4.6),
    ("Observation care (G0378)", 7.3),
    ("Room and board, semi-private", 8.0),
    ("Pharmacy", 5.8),
    ("Arthroscopy, knee (29881)", 8.4),
    ("Physical therapy evaluation (97161)", 5.2),
    ("Ultrasound, abdomen complete (76700)", 6.4),
)

COMMERCIAL_PAYERS = (
    ("Aetna", "60054", "W", 9),
    ("UnitedHealthcare", "87726", "", 9),
    ("Cigna", "62308", "U", 8),
    ("Humana", "61101", "H", 8),
    ("Blue Cross Blue Shield", "", "XOF", 9),
    ("Anthem Blue Cross", "", "YRK", 9),
    ("Kaiser Permanente", "", "", 8),
    ("Molina Healthcare", "", "", 11),
    ("UMR", "39026", "", 9),
    ("Oscar Health", "", "OSC", 8),
    ("Ambetter from Centene", "68069", "U", 9),
    ("TRICARE East", "", "", 10),
)
MEDICARE_ADVANTAGE = (
    ("Humana Medicare Advantage", "61101", "H", 8),
    ("AARP Medicare Advantage (UnitedHealthcare)", "87726", "", 9),
    ("Aetna Medicare", "60054", "W", 9),
)
# Medicare Beneficiary Identifier letters: never S, L, O, I, B or Z.
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"

CLAIM_STATUS = _weighted(("paid", 80), ("denied", 10), ("pending", 4), ("appealed", 3), ("billed", 3))
SECONDARY_STATUS = _weighted(("paid", 65), ("billed", 20), ("denied", 15))
LINE_COUNTS = _weighted((1, 30), (2, 30), (3, 22), (4, 18))
PAYMENT_COUNTS = _weighted((1, 40), (2, 22), (3, 15), (4, 10), (5, 7), (6, 6))
GROUP_SIZES = _weighted((1, 74), (2, 18), (3, 6), (4, 2))
RELATIONSHIPS = _weighted(("self", 72), ("child", 18), ("spouse", 8), ("other", 2))
ATTEMPT_COUNTS = _weighted((0, 6), (1, 10), (2, 16), (3, 20), (4, 18), (5, 13), (6, 9), (7, 5), (8, 3))
WORKING_STATUS = _weighted(
    ("active", 52),
    ("in_arrangement", 12),
    ("on_hold", 6),
    ("escalated", 6),
    ("closed_returned", 12),
    ("closed_written_off", 7),
)
PHONE_STATUS = _weighted(("good", 35), ("unverified", 55), ("bad", 10))
PHONE_SOURCE = _weighted(("placement", 80), ("skip_trace", 15), ("consumer", 5))
CALL_DISPOSITION = _weighted(
    ("no_answer", 34),
    ("voicemail", 14),
    ("lcm", 15),
    ("busy", 5),
    ("not_in_service", 3),
    ("dropped", 1),
    ("wrong_party", 4),
    ("third_party", 3),
    ("conversation", 9),
    ("promise", 7),
    ("refused", 3),
    ("dispute", 1),
    ("cease", 1),
)
INBOUND_DISPOSITION = _weighted(
    ("conversation", 45), ("promise", 30), ("dispute", 8), ("refused", 7), ("attorney", 2), ("third_party", 8)
)
NOTES = {
    "conversation": (
        "Guarantor verified; asked for an itemized statement.",
        "Guarantor verified; says insurance should have paid, will call the payer.",
        "Guarantor verified; discussed payment options, will call back after payday.",
    ),
    "promise": (
        "Guarantor verified; promised a payment on Friday.",
        "Guarantor verified; agreed to a monthly plan.",
        "Guarantor verified; will pay in full by the end of the month.",
    ),
    "refused": ("Guarantor verified; refused to pay.",),
    "dispute": ("Guarantor disputes the debt; validation requested.",),
    "cease": ("Guarantor asked us to stop calling.",),
    "attorney": ("Guarantor is represented by counsel; took the attorney's details.",),
    "third_party": ("Spoke with a household member; left no details.",),
    "wrong_party": ("Person reached does not know the guarantor.",),
}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: nobody receives these
_HOLD_DISPOSITIONS = frozenset({"dispute", "cease", "attorney"})
_CLOSED = frozenset({"closed_paid", "closed_returned", "closed_written_off"})
_N = "\\N"  # NULL in COPY text format
# Seconds after midnight UTC at which accounts arrive on their placement day (09:53 in New York in
# summer): the account row, its placement event and an agency's placement-file entries all carry it, and
# desk work on that day is drawn after it, so a timeline never shows work on an account not yet placed.
_PLACED_AT = 50_000
# Local time from which an account is worked on its placement day: 10:00 at UTC-4, the easternmost offset
# of the generated zones, is 14:00 UTC, after `_PLACED_AT`; every other zone is later still.
_PLACEMENT_DAY_LOCAL = 36_000
_KIND_LABELS = dict(LedgerEntry.Kind.choices)


def _money(cents: int) -> str:
    if cents < 0:
        cents = -cents
        return f"-{cents // 100}.{cents % 100:02d}"
    return f"{cents // 100}.{cents % 100:02d}"


def _dollars(cents: int) -> str:
    """$1,234.56, as `collections_desk.lib.money.format_money` shows an amount."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"


# --- The generator ------------------------------------------------------------------------------


@dataclass
class Ids:
    """The next id of each table. The generator advances it; the loader starts it from the database."""

    next: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 1))


_DAY0 = date(1925, 1, 1).toordinal()  # before any birth date the generator draws


@lru_cache(maxsize=4)
def _formatted_dates(end: int) -> tuple[str, ...]:
    return tuple(date.fromordinal(o).isoformat() for o in range(_DAY0, end))


@cache
def _formatted_clock() -> tuple[str, ...]:
    """' HH:MM:SS+00' for every second of a day: the time part of a UTC timestamp in COPY text."""
    return tuple(f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86_400))


class Generator:
    """Turns a Plan into COPY text, one chunk of accounts at a time. Pure: no database, no clock."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.today = plan.today.toordinal()
        self.zips = zip_pool()
        self.names = name_pools()
        self.clients = _weighted(*((c, c.share) for c in plan.clients))
        # Dates and times are formatted once, then looked up: formatting is most of the generator's time.
        self.day0 = _DAY0
        self.dates = _formatted_dates(self.today + 400)
        self.clock = _formatted_clock()
        self.offsets: dict[tuple[str, int], int] = {}
        # Account numbers look random but are a bijection of the id (mod 10⁹), so they never collide.
        self.number_salt = random.Random(f"numbers:{plan.seed}").randrange(10**9)
        self.attempt_data = _attempt_data()

    def chunk(self, index: int, count: int, ids: Ids) -> dict[str, list[str]]:
        """COPY lines, per table, of `count` accounts drawn from chunk `index`'s own random stream;
        takes its ids from `ids` and advances it."""
        return _Chunk(self, index, ids).build(count)

    def date(self, ordinal: int) -> str:
        return self.dates[ordinal - self.day0]

    def stamp(self, ordinal: int, seconds: int) -> str:
        """A UTC timestamp, `seconds` after midnight UTC of the day."""
        return self.dates[ordinal - self.day0] + self.clock[seconds]

    def local_stamp(self, zone: str, ordinal: int, local_seconds: int) -> str:
        """The UTC timestamp of a wall-clock time in `zone` (at noon's offset: a call placed at 9:00 local
        time stays at 9:00 local time, DST or not)."""
        key = (zone, ordinal)
        offset = self.offsets.get(key)
        if offset is None:
            noon = datetime.combine(date.fromordinal(ordinal), dtime(12), ZoneInfo(zone))
            offset = self.offsets[key] = int(noon.utcoffset().total_seconds())
        seconds = local_seconds - offset
        if seconds >= 86_400:
            ordinal, seconds = ordinal + 1, seconds - 86_400
        elif seconds < 0:
            ordinal, seconds = ordinal - 1, seconds + 86_400
        return self.dates[ordinal - self.day0] + self.clock[seconds]


def _attempt_data() -> dict[tuple[str, str], tuple[str, str]]:
    """The `data` of a `contacts.attempt.logged` event per (channel, disposition), as COPY text split
    around the attempt id, with the summary `contact_attempt_log` writes.

    The keys are in jsonb's own order (by length, then bytewise) so that the text read back from the
    database is the text written. The labels come from the model's choices through the app registry
    (the choices `get_FOO_display` reads): contacts sits above accounts, which must not import it.
    """
    fields = apps.get_model("contacts", "ContactAttempt")._meta
    data = {}
    for channel, channel_label in fields.get_field("channel").choices:
        for disposition, disposition_label in fields.get_field("disposition").choices:
            head = (
                f'{{"channel": {json.dumps(channel)}, '
                f'"summary": {json.dumps(f"{channel_label}: {disposition_label}")}, "attempt_id": '
            )
            tail = f', "disposition": {json.dumps(disposition)}}}'
            if any(ch in head + tail for ch in "\t\n\r\\"):  # pragma: no cover - a label to escape
                raise ValueError(f"{head}{tail} would need escaping in COPY text")
            data[channel, disposition] = (head, tail)
    return data


class _Guarantor:
    __slots__ = (
        "id",
        "first",
        "last",
        "birth",
        "female",
        "deceased",
        "zone",
        "state",
        "created",
        "first_placed",
        "first_service",
    )


class _ContactPoints:
    __slots__ = ("address", "old_address", "phones", "mobiles", "email")


class _Account:
    __slots__ = (
        "id",
        "client",
        "placed",
        "placement",
        "statement",
        "delinquent",
        "service_from",
        "service_to",
        "patient",
        "relationship",
        "itemization",
        "balance",
        "last_entry",
        "dispositions",
    )


class _Attempt(NamedTuple):
    day: int
    seconds: int  # after local midnight
    channel: str
    direction: str
    phone: int | str  # an id, or _N
    address: int | str
    email: int | str
    disposition: str
    note: str
    actor: int | str
    account: _Account


class _Chunk:
    """One chunk being built: its random stream, its rows and the ids it hands out."""

    def __init__(self, generator: Generator, index: int, ids: Ids) -> None:
        self.g = generator
        self.today = generator.today
        self.ids = ids.next
        self.rows: dict[str, list[str]] = {table: [] for table in TABLES}
        # The audit events of the guarantor group being built: (created_at, order, the rest of the line).
        self.events: list[tuple[str, int, str]] = []
        self.rng = random.Random(f"demo:{generator.plan.seed}:{index}")
        rand = self.rand = self.rng.random

        # random's own choice() and randint() cost ~1 µs a call in Python; these cost a fifth of that.
        def choice(seq):
            return seq[int(rand() * len(seq))]

        def randint(low: int, high: int) -> int:
            return low + int(rand() * (high - low + 1))

        self.choice, self.randint = choice, randint

    def new_id(self, table: str) -> int:
        ids = self.ids
        value = ids[table]
        ids[table] = value + 1
        return value

    def build(self, count: int) -> dict[str, list[str]]:
        while count:
            size = min(self.choice(GROUP_SIZES), count)
            count -= size
            self.guarantor_group(size)
        return self.rows

    def guarantor_group(self, size: int) -> None:
        """One guarantor with `size` accounts (most of them from one client), then the contact attempts
        about them, then the accounts' rows (their status depends on what the attempts found)."""
        rand, choice = self.rand, self.choice
        client = choice(self.g.clients)
        accounts = []
        for _ in range(size):
            if rand() >= 0.9:
                client = choice(self.g.clients)
            accounts.append(self.account_dates(client))
        guarantor = self.guarantor(accounts)
        points = self.contact_points(guarantor)
        attempts = []
        family: dict[str, tuple[int, int]] = {}
        for account in accounts:
            self.patient(account, guarantor, family)
            self.ledger(account, self.coverages(account, guarantor))
            attempts.extend(self.attempts_about(account, points))
        self.attempts_write(guarantor, accounts, attempts)
        for account in accounts:
            self.account_write(account, guarantor)
        self.events_write()

    def account_dates(self, client: ClientPlan) -> _Account:
        randint, today = self.randint, self.today
        account = _Account()
        account.id = self.new_id("accounts_patientaccount")
        account.client = client
        account.placed = placed = today - min(int(self.rng.expovariate(1 / 220)), 1_000)
        account.placement = self.g.stamp(placed, _PLACED_AT)
        if client.agency:
            account.delinquent = placed - randint(60, 330)
            account.statement = statement = account.delinquent - 30
        else:
            # Early-out: the hospital hands the account over around its first statements.
            account.statement = statement = placed - randint(0, 45)
            account.delinquent = statement + 30 if statement + 30 <= today else None
        account.service_to = statement - randint(14, 75)
        account.service_from = account.service_to - (0 if self.rand() < 0.7 else randint(1, 9))
        account.dispositions = set()
        return account

    def guarantor(self, accounts: list[_Account]) -> _Guarantor:
        rand, choice, randint, g = self.rand, self.choice, self.randint, self.g
        names = g.names
        person = _Guarantor()
        person.id = self.new_id("accounts_person")
        person.female = rand() < 0.52
        given = names.female if person.female else names.male
        person.first, person.last = choice(given), choice(names.last)
        middle = choice(given) if rand() < 0.45 else ""
        person.first_service = min(a.service_from for a in accounts)
        person.birth = person.first_service - randint(19 * 365, 85 * 365)
        last_service = max(a.service_to for a in accounts)
        person.deceased = None
        if rand() < 0.002:
            person.deceased = randint(max(last_service, self.today - 400) + 1, self.today - 1)
        person.first_placed = min(a.placed for a in accounts)
        person.created = g.stamp(person.first_placed, randint(30_000, 80_000))
        self.rows["accounts_person"].append(
            f"{person.id}\t{person.first}\t{middle}\t{person.last}\t{g.date(person.birth)}\t"
            f"{randint(1, 9999):04d}\t\t{'es' if rand() < 0.1 else 'en'}\t"
            f"{_N if person.deceased is None else g.date(person.deceased)}\t{person.created}\n"
        )
        return person

    def contact_points(self, person: _Guarantor) -> _ContactPoints:
        """A primary address, sometimes an old one with returned mail, 0–3 phones and maybe an email."""
        rand, choice, randint, g = self.rand, self.choice, self.randint, self.g
        streets, created = g.names.streets, person.created
        points = _ContactPoints()
        zip_code, city, state, zone, area_codes = choice(g.zips)
        person.zone, person.state = zone, state
        line2 = "" if rand() >= 0.15 else f"{choice(('Apt', 'Unit', 'Apt', '#'))} {randint(1, 40)}"
        points.address = self.new_id("contacts_address")
        addresses = self.rows["contacts_address"]
        addresses.append(
            f"{points.address}\t{person.id}\t{randint(1, 9899)} {choice(streets)}\t{line2}\t{city}\t{state}\t"
            f"{zip_code}\t{zone}\tgood\tplacement\tt\t{created}\n"
        )
        points.old_address = None
        if rand() < 0.08:
            old_zip, old_city, old_state, old_zone, _ = choice(g.zips)
            points.old_address = self.new_id("contacts_address")
            addresses.append(
                f"{points.old_address}\t{person.id}\t{randint(1, 9899)} {choice(streets)}\t\t{old_city}\t"
                f"{old_state}\t{old_zip}\t{old_zone}\treturned\tplacement\tf\t{created}\n"
            )

        points.phones, points.mobiles = [], []
        r = rand()
        wanted = 0 if r < 0.06 else 1 if r < 0.6 else 2 if r < 0.9 else 3
        numbers: set[str] = set()
        phones = self.rows["contacts_phone"]
        while len(numbers) < wanted:
            area = choice(area_codes)
            number = f"+1{area}{choice(exchange_pool(area))}{randint(0, 9999):04d}"
            if number in numbers:
                continue
            numbers.add(number)
            phone = self.new_id("contacts_phone")
            if points.phones:
                kind = choice(("mobile", "home", "work"))
            else:
                kind = "mobile" if rand() < 0.65 else "home"
            source = choice(PHONE_SOURCE)
            dialer = sms = revoked = _N
            if kind == "mobile":
                points.mobiles.append(phone)
                # TCPA consent comes with the placement for some mobiles; a few were revoked since.
                if source == "placement" and rand() < 0.45:
                    dialer = created
                    if rand() < 0.55:
                        sms = created
                    if rand() < 0.03:
                        revoked = g.stamp(min(self.today, person.first_placed + randint(5, 200)), 50_000)
            phones.append(
                f"{phone}\t{person.id}\t{number}\t{kind}\t{choice(PHONE_STATUS)}\t{source}\t"
                f"{'f' if dialer == _N else 't'}\t{dialer}\t{'f' if sms == _N else 't'}\t{sms}\t{revoked}\t"
                f"{created}\n"
            )
            points.phones.append(phone)

        points.email = None
        if rand() < 0.4:
            local = "".join(ch for ch in f"{person.first}.{person.last}".lower() if ch.isalnum() or ch == ".")
            if rand() < 0.6:
                local += str(randint(1, 99))
            consented = rand() < 0.3
            points.email = self.new_id("contacts_email")
            self.rows["contacts_email"].append(
                f"{points.email}\t{person.id}\t{local}@{choice(EMAIL_DOMAINS)}\t"
                f"{'good' if consented else 'unverified'}\tplacement\t{'t' if consented else 'f'}\t"
                f"{created if consented else _N}\t{created}\n"
            )
        return points

    def patient(self, account: _Account, guarantor: _Guarantor, family: dict[str, tuple[int, int]]) -> None:
        """Usually the guarantor; else a child, spouse or other (`family` keeps them for the guarantor's
        other accounts). Dates are checked against the group's first service, since they are shared."""
        rand, choice, randint, names = self.rand, self.choice, self.randint, self.g.names
        account.relationship = relationship = choice(RELATIONSHIPS)
        if relationship == "self":
            account.patient = (guarantor.id, guarantor.birth)
            return
        known = family.get(relationship)
        if known is not None and (relationship == "spouse" or rand() < 0.7):
            account.patient = known
            return
        first_service = guarantor.first_service
        if relationship == "child":
            # A minor at the service, born when the guarantor was an adult.
            birth = randint(max(guarantor.birth + 18 * 365, first_service - 17 * 365), first_service - 30)
            given = names.female if rand() < 0.5 else names.male
            last = guarantor.last
        else:
            birth = min(guarantor.birth + randint(-2500, 2500), first_service - 19 * 365)
            given = names.male if guarantor.female else names.female
            last = guarantor.last if relationship == "spouse" and rand() < 0.7 else choice(names.last)
        person = self.new_id("accounts_person")
        self.rows["accounts_person"].append(
            f"{person}\t{choice(given)}\t\t{last}\t{self.g.date(birth)}\t{randint(1, 9999):04d}\t\ten\t{_N}\t"
            f"{guarantor.created}\n"
        )
        account.patient = family[relationship] = (person, birth)

    def coverages(self, account: _Account, guarantor: _Guarantor) -> tuple[str | None, str | None]:
        """0–2 insurance coverages; returns the primary's and the secondary's claim status."""
        rand, choice, randint = self.rand, self.choice, self.randint
        r = rand()
        count = 0 if r < 0.09 else 1 if r < 0.92 else 2
        senior = account.service_from - account.patient[1] >= 65 * 365
        year = date.fromordinal(account.service_from).year
        statuses: list[str | None] = [None, None]
        for order in range(1, count + 1):
            if order == 1:
                if senior:
                    payer = None if rand() < 0.75 else choice(MEDICARE_ADVANTAGE)
                else:
                    payer = "medicaid" if rand() < 0.16 else choice(COMMERCIAL_PAYERS)
                status = choice(CLAIM_STATUS)
            else:
                payer = "medicaid" if senior and rand() < 0.5 else choice(COMMERCIAL_PAYERS)
                status = choice(SECONDARY_STATUS)
            statuses[order - 1] = status
            group_number = ""
            if payer is None:
                payer_name, payer_id = "Medicare Part B", ""
                letters = [choice(_MBI_LETTERS) for _ in range(5)]
                member = (
                    f"{randint(1, 9)}{letters[0]}{letters[1]}{randint(0, 9)}{letters[2]}{letters[3]}"
                    f"{randint(0, 9)}{letters[4]}{choice(_MBI_LETTERS)}{randint(10, 99)}"
                )
            elif payer == "medicaid":
                payer_name, payer_id, member = (
                    f"{guarantor.state} Medicaid",
                    "",
                    str(randint(10**9, 10**10 - 1)),
                )
            else:
                payer_name, payer_id, prefix, digits = payer
                member = prefix + str(randint(10 ** (digits - 1), 10**digits - 1))
                group_number = str(randint(100_000, 9_999_999)) if rand() < 0.8 else ""
            ends = f"{year}-12-31" if rand() < 0.2 else _N
            self.rows["accounts_insurancecoverage"].append(
                f"{self.new_id('accounts_insurancecoverage')}\t{account.id}\t{payer_name}\t{payer_id}\t{member}\t"
                f"{group_number}\t{order}\t{status}\t{year}-01-01\t{ends}\n"
            )
        return statuses[0], statuses[1]

    def ledger(self, account: _Account, claims: tuple[str | None, str | None]) -> None:
        """Charges, then what insurance paid and wrote off, discounts, the guarantor's payments and now
        and then a returned payment. Integer cents throughout: the balance is their exact sum."""
        rand, choice, randint, today = self.rand, self.choice, self.randint, self.today
        client, placed, statement = account.client, account.placed, account.statement
        service_to = account.service_to
        entries: list[tuple] = []  # (day, order, kind, cents, memo, index of the entry reversed)

        charged = 0
        for _ in range(choice(LINE_COUNTS)):
            memo, mu = choice(CHARGE_LINES)
            cents = max(2_500, min(int(self.rng.lognormvariate(mu, 0.6) * 100), 9_000_000))
            charged += cents
            day = account.service_from if rand() < 0.5 else service_to
            entries.append((day, len(entries), "charge", cents, memo, None))
        owed = charged

        primary, secondary = claims
        adjudicated = service_to + randint(14, max(14, statement - service_to - 1))
        if primary == "paid" and charged > 5_000:
            owed = max(2_500, min(int(self.rng.lognormvariate(10.4, 0.9)), charged // 2))
            covered = charged - owed
            contractual = max(1, int(covered * (0.15 + 0.4 * rand())))
            paid = covered - contractual
            if paid > 0:
                entries.append((adjudicated, len(entries), "insurance_payment", -paid, "", None))
                entries.append(
                    (adjudicated, len(entries), "adjustment", -contractual, "Contractual adjustment", None)
                )
            else:
                owed = charged
            if secondary == "paid" and owed > 5_000:
                cents = int(owed * (0.3 + 0.5 * rand()))
                owed -= cents
                day = min(adjudicated + randint(10, 40), statement)
                entries.append((day, len(entries), "insurance_payment", -cents, "", None))
        elif primary is None and rand() < 0.55:
            cents = int(charged * (0.2 + 0.25 * rand()))
            owed -= cents
            entries.append((service_to, len(entries), "adjustment", -cents, "Self-pay discount", None))
        if client.nonprofit_501r and rand() < 0.07:
            cents = int(owed * (0.3 + 0.45 * rand()))
            if cents:
                owed -= cents
                memo = "Financial assistance (FAP) discount"
                entries.append((statement + randint(5, 40), len(entries), "adjustment", -cents, memo, None))

        last_payment_before_placement = None
        if rand() < 0.42:
            count = choice(PAYMENT_COUNTS)
            # Some paid the hospital before placement, never in full: a paid account is not placed.
            before_placement = client.agency and rand() < 0.25
            if before_placement:
                low, high = statement + 7, placed - 1
            else:
                low, high = (placed if client.agency else statement) + 3, today
            total = owed if not before_placement and rand() < 0.3 else int(owed * (0.1 + 0.6 * rand()))
            part = total // count
            if high - low >= count and part:
                step = min(31, (high - low) // count)  # monthly, or closer when time is short
                day = low + randint(0, high - low - step * (count - 1))
                payments = []
                for n in range(count):
                    payments.append(len(entries))
                    cents = part if n < count - 1 else total - part * n
                    entries.append((day, len(entries), "patient_payment", -cents, "", None))
                    if day < placed:
                        last_payment_before_placement = day
                    day += step
                owed -= total
                if rand() < 0.08:
                    returned = entries[choice(payments)]
                    day = min(today, returned[0] + randint(3, 12))
                    memo = "Returned payment (NSF)" if rand() < 0.7 else "Card chargeback"
                    entries.append((day, len(entries), "reversal", -returned[3], memo, returned[1]))
                    owed -= returned[3]

        entries.sort()
        g, rows, events = self.g, self.rows["accounts_ledgerentry"], self.events
        collectors = g.plan.collectors_by_team[client.team_id]
        balance = opening = opened_with = 0
        last_day = last_seconds = 0
        ids: dict[int, int] = {}
        for day, order, kind, cents, memo, reverses in entries:
            entry = ids[order] = self.new_id("accounts_ledgerentry")
            balance += cents
            amount = _money(cents)
            if client.agency and day < placed:
                posted = account.placement  # came in with the placement file
            else:
                # Entries of a day are posted in id order, the order their balances assume; on the
                # placement day, after the account arrived.
                seconds = randint(_PLACED_AT + 60, 86_000) if day == placed else randint(46_800, 86_000)
                if day == last_day and seconds < last_seconds:
                    seconds = last_seconds
                last_day, last_seconds = day, seconds
                posted = g.stamp(day, seconds)
            poster = _N
            if kind == "insurance_payment":
                ref = f"EFT{entry:010d}"
            elif kind == "patient_payment" and rand() < 0.7:
                ref = f"PMT{entry:010d}"
            else:
                ref = _N
                if kind == "patient_payment" and day >= placed:
                    poster = choice(collectors)  # a check taken over the phone is keyed by the collector
            rows.append(
                f"{entry}\t{account.id}\t{kind}\t{amount}\t{g.date(day)}\t{posted}\t{poster}\t{ref}\t"
                f"{_N if reverses is None else ids[reverses]}\t{memo}\n"
            )
            # What arrived with the account is in its placement event; what the desk posted since, each
            # in its own event, with the `data` that ledger_post and ledger_reverse write (jsonb's key
            # order), the actor being the poster.
            if day < placed:
                opening, opened_with = balance, opened_with + 1
            elif reverses is None:
                summary = f"{_KIND_LABELS[kind]} {_dollars(cents)}, balance {_dollars(balance)}"
                events.append(
                    (
                        posted,
                        len(events),
                        f'{poster}\taccounts.ledger.posted\t{account.id}\t{{"kind": "{kind}", "amount": '
                        f'"{amount}", "balance": "{_money(balance)}", "summary": "{summary}", '
                        f'"entry_id": {entry}}}\t{_N}\n',
                    )
                )
            else:
                events.append(
                    (
                        posted,
                        len(events),
                        f'{poster}\taccounts.ledger.reversed\t{account.id}\t{{"amount": "{amount}", '
                        f'"balance": "{_money(balance)}", "entry_id": {entry}, "reverses": {ids[reverses]}}}'
                        f"\t{_N}\n",
                    )
                )
        if balance != owed:  # pragma: no cover - the arithmetic above is wrong
            raise AssertionError(f"account {account.id}: ledger {balance} != owed {owed}")
        account.balance = balance
        events.append(
            (
                account.placement,
                len(events),
                f'{_N}\taccounts.account.placed\t{account.id}\t{{"balance": "{_money(opening)}", "entries": '
                f'{opened_with}, "summary": "placed by {client.code}, balance {_dollars(opening)}", '
                f'"client_id": {client.id}}}\t{_N}\n',
            )
        )
        account.last_entry = entries[-1][0]

        # The Reg F itemization date (agency accounts only: a first party is not a debt collector).
        account.itemization = None
        if client.agency:
            r = rand()
            if r < 0.12 and last_payment_before_placement is not None:
                day, kind = last_payment_before_placement, "last_payment"
            elif r < 0.22:
                day, kind = min(account.delinquent + randint(90, 180), placed - 1), "charge_off"
            elif r < 0.3:
                day, kind = service_to, "transaction"
            else:
                day, kind = max(statement, placed - randint(7, 45)), "last_statement"
            account.itemization = (day, kind, sum(e[3] for e in entries if e[0] <= day))

    def attempts_about(self, account: _Account, points: _ContactPoints) -> list[_Attempt]:
        """This account's contact attempts, in calling hours; an agency mails the validation notice first."""
        rand, choice, randint, today = self.rand, self.choice, self.randint, self.today
        client, placed = account.client, account.placed
        collectors = self.g.plan.collectors_by_team[client.team_id]
        age = today - placed
        count = choice(ATTEMPT_COUNTS)
        if age < 30:
            count = min(count, 1 + age // 7)
        attempts = []
        for n in range(count):
            if n == 0 and client.agency:
                day = min(today, placed + randint(1, 5))
                seconds = randint(_PLACEMENT_DAY_LOCAL if day == placed else 32_400, 61_200)
                if points.old_address is not None:
                    attempt = ("letter", "outbound", _N, points.old_address, _N, "returned", "", _N)
                else:
                    attempt = ("letter", "outbound", _N, points.address, _N, "sent", "Validation notice", _N)
                attempts.append(_Attempt(day, seconds, *attempt, account))
                continue
            day = placed + randint(1, age) if age > 0 else today
            # Within calling hours, local time.
            seconds = randint(_PLACEMENT_DAY_LOCAL if day == placed else 8 * 3600, 20 * 3600 + 3000)
            r = rand()
            if points.phones and r < 0.66:
                if rand() < 0.1:
                    direction, disposition = "inbound", choice(INBOUND_DISPOSITION)
                else:
                    direction, disposition = "outbound", choice(CALL_DISPOSITION)
                note = choice(NOTES[disposition]) if disposition in NOTES else ""
                phone = choice(points.phones)
                attempt = ("call", direction, phone, _N, _N, disposition, note, choice(collectors))
            elif points.mobiles and r < 0.74:
                disposition = "sent" if rand() < 0.95 else "returned"
                attempt = ("text", "outbound", choice(points.mobiles), _N, _N, disposition, "", _N)
            elif points.email is not None and r < 0.82:
                disposition = "sent" if rand() < 0.92 else "returned"
                attempt = ("email", "outbound", _N, _N, points.email, disposition, "", _N)
            elif r < 0.995:
                attempt = ("letter", "outbound", _N, points.address, _N, "sent", "", _N)
            else:
                disposition = "conversation" if rand() < 0.4 else "no_answer"
                attempt = ("visit", "outbound", _N, points.address, _N, disposition, "", choice(collectors))
            attempts.append(_Attempt(day, seconds, *attempt, account))
        return attempts

    def attempts_write(
        self, guarantor: _Guarantor, accounts: list[_Account], attempts: list[_Attempt]
    ) -> None:
        """In time order; some calls concern all of the guarantor's accounts placed by then. Each
        (attempt, account) pair gets the `contacts.attempt.logged` event that contact_attempt_log writes."""
        g, rand, events, data = self.g, self.rand, self.events, self.g.attempt_data
        rows, links = self.rows["contacts_contactattempt"], self.rows["contacts_contactattempt_accounts"]
        attempts.sort(key=lambda a: (a.day, a.seconds))
        for a in attempts:
            attempt = self.new_id("contacts_contactattempt")
            occurred = g.local_stamp(guarantor.zone, a.day, a.seconds)
            rows.append(
                f"{attempt}\t{guarantor.id}\t{a.channel}\t{a.direction}\t{a.phone}\t{a.address}\t{a.email}\t"
                f"{a.disposition}\t{a.note}\t{a.actor}\t{occurred}\n"
            )
            concerned = [a.account]
            if len(accounts) > 1 and a.channel == "call" and rand() < 0.35:
                # Placed before the call, to the second (both are UTC in COPY text, which sorts as time).
                concerned = [other for other in accounts if other is a.account or other.placement < occurred]
            head, tail = data[a.channel, a.disposition]
            for account in concerned:
                links.append(f"{self.new_id('contacts_contactattempt_accounts')}\t{attempt}\t{account.id}\n")
                account.dispositions.add(a.disposition)
                events.append(
                    (
                        occurred,
                        len(events),
                        f"{a.actor}\tcontacts.attempt.logged\t{account.id}\t{head}{attempt}{tail}\t{_N}\n",
                    )
                )

    def events_write(self) -> None:
        """The group's audit events, numbered in time order as the database would have numbered them."""
        events = self.events
        events.sort()
        rows, ids = self.rows["audit_auditevent"], self.ids
        event = ids["audit_auditevent"]
        for created, _, rest in events:
            rows.append(f"{event}\t{created}\t{rest}")
            event += 1
        ids["audit_auditevent"] = event
        events.clear()

    def account_write(self, account: _Account, guarantor: _Guarantor) -> None:
        """The account row, with a status that fits its balance and what the attempts found."""
        rand, choice, randint, g, today = self.rand, self.choice, self.randint, self.g, self.today
        client, placed, dispositions = account.client, account.placed, account.dispositions
        age = today - placed
        if account.balance <= 0:
            status = "closed_paid"
        elif guarantor.deceased is not None:
            status = "on_hold"
        elif dispositions & _HOLD_DISPOSITIONS:
            status = "on_hold" if rand() < 0.7 else "escalated"
        elif (age < 14 and rand() < 0.7) or (age < 30 and not dispositions):
            status = "new"
        elif "promise" in dispositions and rand() < 0.5:
            status = "in_arrangement"
        else:
            status = choice(WORKING_STATUS)
        collectors = g.plan.collectors_by_team[client.team_id]
        if status == "new":
            changed = account.placement
            collector = choice(collectors) if rand() < 0.1 else _N
        elif status == "closed_paid":
            changed = g.stamp(max(account.last_entry, placed), randint(46_800, 86_000))
            collector = choice(collectors) if rand() < 0.3 else _N
        else:
            changed = g.stamp(placed + randint(1, age) if age > 0 else today, randint(46_800, 86_000))
            collector = choice(collectors) if rand() < (0.3 if status in _CLOSED else 0.55) else _N
        next_action = _N
        if status not in _CLOSED and rand() < 0.35:
            next_action = g.local_stamp(guarantor.zone, today + randint(-3, 21), randint(9 * 3600, 17 * 3600))
        if account.itemization is None:
            item_day, item_type, item_balance = _N, "", _N
        else:
            day, item_type, cents = account.itemization
            item_day, item_balance = g.date(day), _money(cents)
        number = f"{client.number_prefix}{(account.id * 738_253_511 + g.number_salt) % 10**9:09d}"
        delinquent = _N if account.delinquent is None else g.date(account.delinquent)
        self.rows["accounts_patientaccount"].append(
            f"{account.id}\t{client.id}\t{number}\t{choice(client.facility_ids)}\t{guarantor.id}\t"
            f"{account.patient[0]}\t{account.relationship}\t{g.date(account.service_from)}\t"
            f"{g.date(account.service_to)}\t{g.date(account.statement)}\t{delinquent}\t{g.date(placed)}\t"
            f"{item_day}\t{item_type}\t{item_balance}\t{status}\t{changed}\t{client.team_id}\t{collector}\t"
            f"{next_action}\t{_money(account.balance)}\t{account.placement}\n"
        )


def demo_rows(plan: Plan, *, accounts: int, ids: Ids | None = None) -> Iterator[dict[str, list[str]]]:
    """The COPY lines of `accounts` accounts, chunk by chunk (no database: the tests digest this)."""
    generator = Generator(plan)
    ids = ids or Ids()
    for index, start in enumerate(range(0, accounts, CHUNK_ACCOUNTS)):
        yield generator.chunk(index, min(CHUNK_ACCOUNTS, accounts - start), ids)


# --- Loading --------------------------------------------------------------------------------------


class DemoRefused(Exception):
    """The database already holds accounts and appending was not asked for."""


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    teams: tuple[str, ...]


@dataclass(frozen=True)
class SeedSummary:
    accounts: int
    seed: int
    today: date
    rows: dict[str, int]
    logins: tuple[Login, ...]
    seconds: float


def demo_desk_ensure() -> tuple[dict[str, Team], dict[str, tuple[Client, tuple[int, ...]]], dict[str, User]]:
    """Teams, clients with their facilities, and the demo logins; existing ones (by name, code and
    username) are kept as they are, so `--append` never resets a password someone changed.

    Passwords are hashed once per role: Argon2 is slow on purpose, and eleven hashes would take seconds.
    """
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
    clients = {}
    for spec in CLIENTS:
        client, _ = Client.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "nonprofit_501r": spec.nonprofit_501r,
                "credit_reporting_enabled": spec.credit_reporting,
            },
        )
        facilities = tuple(
            Facility.objects.get_or_create(client=client, name=name, defaults={"city": city, "state": state})[
                0
            ].pk
            for name, city, state in spec.facilities
        )
        clients[spec.code] = (client, facilities)
    hashes = {role: make_password(password) for role, password in PASSWORDS.items()}
    users = {}
    for spec in USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@example.com",
                "role": spec.role,
                "is_staff": spec.role == User.Role.ADMIN,
                "is_superuser": spec.role == User.Role.ADMIN,
                "password": hashes[spec.role],
            },
        )
        if created and spec.teams:
            user.teams.set([teams[name] for name in spec.teams])
        users[spec.username] = user
    return teams, clients, users


def demo_plan(*, seed: int, today: date = DEFAULT_TODAY) -> tuple[Plan, tuple[Login, ...]]:
    """The generator's Plan for the demo desk in this database (created first if missing), and the logins."""
    teams, clients, users = demo_desk_ensure()
    collectors: dict[int, list[int]] = {team.pk: [] for team in teams.values()}
    for spec in USERS:
        if spec.role == User.Role.COLLECTOR:
            for name in spec.teams:
                collectors[teams[name].pk].append(users[spec.username].pk)
    plan = Plan(
        seed=seed,
        today=today,
        clients=tuple(
            ClientPlan(
                id=clients[spec.code][0].pk,
                agency=spec.kind == Client.Kind.AGENCY,
                nonprofit_501r=spec.nonprofit_501r,
                team_id=teams[spec.team].pk,
                facility_ids=clients[spec.code][1],
                share=spec.share,
                number_prefix=spec.number_prefix,
                code=spec.code,
            )
            for spec in CLIENTS
        ),
        collectors_by_team={team: tuple(ids) for team, ids in collectors.items()},
    )
    logins = tuple(Login(s.username, PASSWORDS[s.role], s.role, s.teams) for s in USERS)
    return plan, logins


def _copy_statement(table: str) -> str:
    columns = ", ".join(f'"{column}"' for column in TABLES[table])
    return f'COPY "{table}" ({columns}) FROM STDIN'


class _CopyWriter(threading.Thread):
    """Sends chunks to PostgreSQL while the main thread generates the next ones.

    psycopg releases the GIL while it waits on the socket, so generating (Python, one core) and loading
    (the PostgreSQL backend, the other core) overlap. The queue is short: memory stays at a few chunks.
    """

    def __init__(self, raw_connection) -> None:
        super().__init__(name="seed-demo-copy", daemon=True)
        self.raw_connection = raw_connection
        self.chunks: queue.Queue[list[tuple[str, bytes]] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None

    def run(self) -> None:
        with self.raw_connection.cursor() as cursor:
            while (chunk := self.chunks.get()) is not None:
                if self.error is not None:
                    continue  # drain, so the producer never blocks on a dead writer
                try:
                    for table, data in chunk:
                        with cursor.copy(_copy_statement(table)) as copy:
                            copy.write(data)
                except BaseException as exc:  # re-raised in the main thread
                    self.error = exc

    def put(self, chunk: list[tuple[str, bytes]]) -> None:
        if self.error is not None:
            raise self.error
        self.chunks.put(chunk)

    def close(self) -> None:
        """Wait for the last chunk; raise what went wrong in the writer, if anything did."""
        self.chunks.put(None)
        self.join()
        if self.error is not None:
            raise self.error


def _next_ids(cursor) -> Ids:
    """Start each table after both its highest id and the last id its sequence handed out."""
    ids = Ids()
    for table in TABLES:
        # Names from TABLES and from the catalog, never from input.
        sequence = _sequence(cursor, table)
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}")  # noqa: S608
        handed_out = cursor.fetchone()[0]
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        ids.next[table] = max(handed_out, cursor.fetchone()[0]) + 1
    return ids


@dataclass(frozen=True)
class _Structures:
    """Secondary indexes, unique constraints and foreign keys of the loaded tables, as PostgreSQL
    itself prints them, so that putting them back recreates exactly what the migrations made."""

    indexes: list[tuple[str, str]]  # (index, CREATE INDEX statement)
    uniques: list[tuple[str, str, str]]  # (table, constraint, definition)
    foreign_keys: list[tuple[str, str, str]]


def _structures_drop(cursor) -> _Structures:
    """Drop what makes a bulk load slow: every index but the primary keys (maintained row by row, they
    cost five times the COPY itself) and the foreign keys (checked row by row at commit).

    Only inside the load's transaction: DDL is transactional in PostgreSQL, so a failed load restores
    them with everything else. Indexes that a foreign key depends on are kept.
    """
    tables = list(TABLES)
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
        [tables],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'u' AND c.conrelid = ANY(%s::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid) ORDER BY 1, 2",
        [tables],
    )
    uniques = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _ in foreign_keys + uniques:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for index, _ in indexes:
        cursor.execute(f"DROP INDEX {index}")
    return _Structures(indexes=indexes, uniques=uniques, foreign_keys=foreign_keys)


def _structures_restore(cursor, structures: _Structures) -> None:
    """Rebuild the indexes (one sort each, not millions of inserts), then check each foreign key with
    one join: a dangling reference or a duplicate fails here and rolls the whole load back."""
    for _, statement in structures.indexes:
        cursor.execute(statement)
    for table, name, definition in structures.uniques + structures.foreign_keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _sequence(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


def _sequences_advance(cursor, ids: Ids) -> None:
    """Move each sequence to the last id loaded, so the ORM's next insert gets a fresh one."""
    for table, next_id in ids.next.items():
        cursor.execute(
            "SELECT setval(%s, %s, %s)", [_sequence(cursor, table), max(next_id - 1, 1), next_id > 1]
        )


def demo_seed(
    *,
    accounts: int,
    seed: int,
    today: date = DEFAULT_TODAY,
    append: bool = False,
    rebuild_indexes: bool | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> SeedSummary:
    """Create the demo desk and `accounts` patient accounts with their people, contact points,
    coverages, ledgers, contact attempts and audit history, in one transaction (all or nothing).

    Refuses (DemoRefused) when accounts exist already, unless `append`. Deterministic for a given seed,
    day and starting ids. `rebuild_indexes` (default: from 20,000 accounts on) drops the secondary
    indexes and foreign keys for the load and rebuilds them after (the audit table's too: with its
    indexes in place its rows take 3.5 times as long to COPY); it locks the tables involved, the staff
    and client tables included, until the load commits. Writes one more audit event, with the counts.
    """
    started = time.monotonic()
    if not append and PatientAccount.objects.exists():
        raise DemoRefused(
            f"The database already holds {PatientAccount.objects.count():,} accounts; "
            "pass --append to add more, or seed an empty database."
        )
    if rebuild_indexes is None:
        rebuild_indexes = accounts >= 20_000
    rows = dict.fromkeys(TABLES, 0)
    with transaction.atomic():
        plan, logins = demo_plan(seed=seed, today=today)
        progress("Reference data: ZIP codes, phone exchanges, names…")
        generator = Generator(plan)
        with connection.cursor() as cursor:
            # The desk rows just inserted have deferred foreign-key checks pending, and PostgreSQL refuses
            # to alter a table that has some: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            ids = _next_ids(cursor)
            first_ids = dict(ids.next)
            structures = _structures_drop(cursor) if rebuild_indexes else None

        connection.ensure_connection()
        writer = _CopyWriter(connection.connection)
        writer.start()
        try:
            done = 0
            for index, start in enumerate(range(0, accounts, CHUNK_ACCOUNTS)):
                count = min(CHUNK_ACCOUNTS, accounts - start)
                payload = []
                for table, lines in generator.chunk(index, count, ids).items():
                    rows[table] += len(lines)
                    if lines:
                        payload.append((table, "".join(lines).encode()))
                writer.put(payload)
                done += count
                if index % 20 == 19 or done == accounts:
                    progress(f"{done:,} / {accounts:,} accounts ({time.monotonic() - started:.0f} s)")
        except BaseException:
            # Let the writer finish its COPY (the connection is unusable mid-COPY), then report the
            # original error, not a follow-up one; the transaction rolls everything back.
            writer.chunks.put(None)
            writer.join()
            raise
        writer.close()

        with connection.cursor() as cursor:
            if structures is not None:
                progress(
                    f"Loaded ({time.monotonic() - started:.0f} s); rebuilding {len(structures.indexes)} "
                    f"indexes and {len(structures.uniques)} unique constraints, checking "
                    f"{len(structures.foreign_keys)} foreign keys…"
                )
                _structures_restore(cursor, structures)
            _sequences_advance(cursor, ids)
        audit_record(
            action="accounts.demo.seeded",
            actor=None,
            data={"seed": seed, "today": today.isoformat(), "rows": rows, "first_ids": first_ids},
        )
        progress(f"Committing ({time.monotonic() - started:.0f} s)…")
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'ANALYZE "{table}"')
    progress(f"Analyzed ({time.monotonic() - started:.0f} s).")
    return SeedSummary(
        accounts=accounts,
        seed=seed,
        today=today,
        rows=rows,
        logins=logins,
        seconds=time.monotonic() - started,
    )
