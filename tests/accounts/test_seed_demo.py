"""`seed_demo` and `ledger_check`: a small seeded desk must be as true as the million-account one."""

from __future__ import annotations

import functools
import hashlib
import io
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import phonenumbers
import psycopg
import pytest
import time_machine
import zipcodes
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F, Q, Sum, Window

from accounts import demo
from accounts.demo import TABLES, ClientPlan, Ids, Plan, demo_plan, demo_rows, demo_seed
from accounts.models import Client, LedgerEntry, PatientAccount, Person
from accounts.selectors import account_ledger, account_timeline
from accounts.services import ledger_mismatches, ledger_post, ledger_reverse
from audit.models import AuditEvent
from collections_desk.lib.money import format_money
from collections_desk.lib.timezones import zone_for_zip
from contacts.models import Address, ContactAttempt, Email, Phone
from contacts.services import contact_attempt_log
from staff.models import Team, User

ACCOUNTS = 1000


@pytest.fixture(scope="module")
def desk(django_db_setup, django_db_blocker):
    """One seeded desk for the whole module (seeding is the slow part), rolled back at the end; each
    test runs in a savepoint inside it, so a test that changes data changes it for itself only."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield run_seed_demo(f"--accounts={ACCOUNTS}", "--seed=7")
        transaction.set_rollback(True)


def run_seed_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def scalar(sql: str, params: list | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def table_text(table: str) -> list[str]:
    """The table as COPY text lines, in id order: exactly what the generator would have written."""
    columns = ", ".join(f'"{column}"' for column in TABLES[table])
    sql = f'COPY (SELECT {columns} FROM "{table}" ORDER BY id) TO STDOUT'  # noqa: S608 - names from TABLES
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        return b"".join(bytes(block) for block in copy).decode().splitlines(keepends=True)


def offline_plan(seed: int) -> Plan:
    """A plan with made-up ids, for generating without a database."""

    def client(pk: int, agency: bool, team: int, share: int) -> ClientPlan:
        return ClientPlan(
            pk,
            agency,
            not agency,
            team,
            facility_ids=(pk, 10 + pk),
            share=share,
            number_prefix="T",
            code=f"client-{pk}",
        )

    return Plan(
        seed=seed,
        today=date(2026, 11, 1),
        clients=(client(1, False, 3, 35), client(2, True, 1, 40), client(3, True, 2, 25)),
        collectors_by_team={1: (4, 5), 2: (6, 7), 3: (8,)},
    )


def digest(plan: Plan, accounts: int) -> str:
    sha = hashlib.sha256()
    for chunk in demo_rows(plan, accounts=accounts):
        for table, lines in chunk.items():
            sha.update(table.encode())
            sha.update("".join(lines).encode())
    return sha.hexdigest()


# --- The desk ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creates_the_demo_logins_with_their_roles_and_teams(desk):

    assert set(Team.objects.values_list("name", flat=True)) == {"East", "West", "Early-out"}
    admin = User.objects.get(username="admin")
    assert (admin.role, admin.is_staff, admin.is_superuser) == ("admin", True, True)
    managers = User.objects.filter(role="manager")
    assert sorted(m.username for m in managers) == ["manager1", "manager2"]
    assert all(1 <= m.teams.count() <= 2 for m in managers)
    collectors = User.objects.filter(role="collector")
    assert sorted(c.username for c in collectors) == [f"collector{n}" for n in range(1, 9)]
    assert all(c.teams.count() == 1 for c in collectors)
    assert all(Team.objects.get(name=name).members.filter(role="collector").exists() for name in demo.TEAMS)
    for username, password in [
        ("admin", "demo-admin-2026"),
        ("manager2", "demo-manager-2026"),
        ("collector5", "demo-collector-2026"),
    ]:
        assert User.objects.get(username=username).check_password(password)
        assert username in desk
        assert password in desk


@pytest.mark.django_db
def test_clients_mix_agency_and_first_party_with_one_501r_hospital(desk):

    assert set(Client.objects.values_list("kind", flat=True)) == {"agency", "first_party"}
    assert Client.objects.filter(nonprofit_501r=True).count() == 1
    assert all(client.facilities.exists() for client in Client.objects.all())


@pytest.mark.django_db
def test_prints_the_row_counts_and_the_elapsed_time(desk):

    assert re.search(rf"Seeded {ACCOUNTS:,} accounts \(seed 7, today 2026-11-01\) in [0-9.]+ s", desk)
    assert re.search(rf"accounts_patientaccount +{ACCOUNTS:,}\n", desk)
    for table in TABLES:
        assert re.search(rf"{table} +[0-9,]+\n", desk)


@pytest.mark.django_db
def test_row_counts_are_plausible(desk):

    accounts = PatientAccount.objects.count()
    assert accounts == ACCOUNTS
    counts = {table: scalar(f'SELECT count(*) FROM "{table}"') for table in TABLES}  # noqa: S608
    per_account = {table: count / accounts for table, count in counts.items()}
    assert 4 <= per_account["accounts_ledgerentry"] <= 6
    assert 2.5 <= per_account["contacts_contactattempt"] <= 4
    assert per_account["contacts_contactattempt_accounts"] >= per_account["contacts_contactattempt"]
    assert 0.8 <= per_account["accounts_insurancecoverage"] <= 1.2
    assert 0.7 <= per_account["accounts_person"] <= 1.3
    assert 0.8 <= per_account["contacts_phone"] <= 1.4
    assert 0.1 <= per_account["contacts_email"] <= 0.5
    assert 4 <= per_account["audit_auditevent"] <= 8
    assert scalar("SELECT count(DISTINCT status) FROM accounts_patientaccount") >= 6
    assert PatientAccount.objects.filter(assigned_collector__isnull=False).exists()
    assert PatientAccount.objects.filter(next_action_at__isnull=False).exists()
    assert PatientAccount.objects.exclude(patient_relationship="self").exists()


@pytest.mark.django_db
def test_patients_are_born_before_their_care_and_guarantors_are_adults(desk):
    accounts = PatientAccount.objects.all()
    assert not accounts.filter(patient__date_of_birth__gte=F("service_date_from")).exists()
    assert not accounts.filter(
        guarantor__date_of_birth__gt=F("service_date_from") - timedelta(days=18 * 365)
    ).exists()
    children = accounts.filter(patient_relationship="child")
    assert children.exists()
    assert not children.filter(
        patient__date_of_birth__lt=F("service_date_from") - timedelta(days=18 * 365)
    ).exists()


# --- Money ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_balance_is_the_sum_of_its_ledger(desk):

    assert ledger_mismatches() == []
    out = io.StringIO()
    call_command("ledger_check", stdout=out)
    assert f"ledger ok: {ACCOUNTS:,} accounts checked" in out.getvalue()


@pytest.mark.django_db
def test_accounts_with_nothing_left_to_pay_are_closed_paid(desk):

    assert not PatientAccount.objects.filter(balance__lte=0).exclude(status="closed_paid").exists()
    assert not PatientAccount.objects.filter(status="closed_paid", balance__gt=0).exists()
    assert PatientAccount.objects.filter(status="closed_paid").exists()


@pytest.mark.django_db
def test_every_account_is_charged_and_reversals_negate_a_patient_payment_of_the_same_account(desk):

    assert not PatientAccount.objects.exclude(ledger_entries__kind="charge").exists()
    reversals = LedgerEntry.objects.filter(kind="reversal").select_related("reverses")
    assert reversals.exists()
    for reversal in reversals:
        assert reversal.reverses.kind == "patient_payment"
        assert reversal.reverses.account_id == reversal.account_id
        assert reversal.amount == -reversal.reverses.amount
        assert reversal.effective_date >= reversal.reverses.effective_date


@pytest.mark.django_db
def test_ledger_check_fails_when_a_cached_balance_was_tampered_with(desk):
    account_id = PatientAccount.objects.order_by("id").values_list("id", flat=True)[10]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_patientaccount SET balance = balance + 1 WHERE id = %s", [account_id])

    out = io.StringIO()
    with pytest.raises(CommandError, match=f"1 of {ACCOUNTS:,} accounts"):
        call_command("ledger_check", stdout=out)
    assert f"account {account_id}: " in out.getvalue()
    assert "off by $1.00" in out.getvalue()


# --- Contact data -----------------------------------------------------------------------------------


@functools.cache
def zip_records() -> dict[str, dict]:
    return {record["zip_code"]: record for record in zipcodes.list_all()}


@pytest.mark.django_db
def test_every_phone_is_a_valid_e164_number_of_its_address_area(desk):
    area_codes = {
        person: set(zip_records()[zip_code]["area_codes"])
        for person, zip_code in Address.objects.filter(is_primary=True).values_list("person_id", "zip_code")
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT person_id, number FROM contacts_phone")  # the stored text, not a PhoneNumber
        phones = cursor.fetchall()
    assert len(phones) >= ACCOUNTS * 0.8
    for person, e164 in phones:
        number = phonenumbers.parse(e164, None)
        assert phonenumbers.is_valid_number(number), e164
        assert e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert e164[2:5] in area_codes[person]
        assert e164[5:8] != "555"


@pytest.mark.django_db
def test_every_address_is_in_the_zone_city_and_state_of_its_zip(desk):
    for zip_code, zone, city, state in Address.objects.values_list("zip_code", "time_zone", "city", "state"):
        record = zip_records()[zip_code]
        assert zone == zone_for_zip(zip_code)
        assert (city, state) == (record["city"], record["state"])


@pytest.mark.django_db
def test_attempts_use_the_guarantors_own_contact_points_and_concern_their_accounts(desk):
    assert ContactAttempt.objects.count() > ACCOUNTS
    strangers_points = ContactAttempt.objects.exclude(
        Q(phone__person=F("person")) | Q(email__person=F("person")) | Q(address__person=F("person"))
    )
    assert not strangers_points.exists()
    assert not ContactAttempt.objects.filter(accounts__isnull=True).exists()
    assert not ContactAttempt.objects.exclude(accounts__guarantor=F("person")).exists()
    assert scalar(
        "SELECT count(*) FROM (SELECT contactattempt_id FROM contacts_contactattempt_accounts "
        "GROUP BY 1 HAVING count(*) > 1) AS shared"
    ), "no attempt concerns several accounts"


@pytest.mark.django_db
def test_accounts_are_worked_by_their_clients_desk(desk):
    plan, _ = demo_plan(seed=7)
    accounts = PatientAccount.objects.all()
    for client in plan.clients:
        assert not accounts.filter(client_id=client.id).exclude(team_id=client.team_id).exists()
    assert accounts.filter(assigned_collector__isnull=False).exists()
    assert (
        not accounts.filter(assigned_collector__isnull=False)
        .exclude(assigned_collector__teams=F("team"))
        .exists()
    )
    # Reg F itemization is a debt collector's duty: agency accounts only.
    assert not accounts.filter(client__kind="agency", itemization_date__isnull=True).exists()
    assert not accounts.filter(client__kind="first_party", itemization_date__isnull=False).exists()
    assert not accounts.filter(service_date_to__gte=F("placement_date")).exists()


# --- History in the audit log ------------------------------------------------------------------------

HISTORY = (
    "accounts.account.placed",
    "contacts.attempt.logged",
    "accounts.ledger.posted",
    "accounts.ledger.reversed",
)


def amounts(text: str) -> list[str]:
    return re.findall(r"-?\$[0-9,]+\.[0-9]{2}", text)


def history() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=HISTORY).order_by("id"))


def running_balances() -> dict[int, Decimal]:
    """Each entry's balance after it, as `account_ledger` computes it, for every account in one query."""
    entries = LedgerEntry.objects.annotate(
        running=Window(Sum("amount"), partition_by=[F("account_id")], order_by=["effective_date", "id"])
    )
    return dict(entries.values_list("id", "running"))


@pytest.mark.django_db
def test_every_attempt_account_pair_has_exactly_one_logged_event_like_the_service_writes(desk):
    logged = Counter()
    for event in AuditEvent.objects.filter(action="contacts.attempt.logged"):
        logged[event.data["attempt_id"], event.account_id] += 1
    pairs = Counter(
        ContactAttempt.accounts.through.objects.values_list("contactattempt_id", "patientaccount_id")
    )
    assert logged == pairs
    assert set(logged.values()) == {1}

    attempts = ContactAttempt.objects.in_bulk()
    for event in AuditEvent.objects.filter(action="contacts.attempt.logged").select_related("actor"):
        attempt = attempts[event.data["attempt_id"]]
        assert event.created_at == attempt.occurred_at
        assert event.actor_id == attempt.actor_id
        assert event.ip is None
        assert event.data == {
            "attempt_id": attempt.pk,
            "channel": attempt.channel,
            "disposition": attempt.disposition,
            "summary": f"{attempt.get_channel_display()}: {attempt.get_disposition_display()}",
        }


@pytest.mark.django_db
def test_every_desk_posting_has_its_event_with_the_balance_after_it(desk):
    """Entries dated on or after the placement date went through the desk: one event each, true to the
    ledger; what is dated before came with the account and is summed up in its placement event."""
    running = running_balances()
    entries = LedgerEntry.objects.select_related("account").in_bulk()
    posted = {}
    for event in AuditEvent.objects.filter(action__in=["accounts.ledger.posted", "accounts.ledger.reversed"]):
        entry = entries[event.data["entry_id"]]
        posted[entry.pk] = event
        assert event.account_id == entry.account_id
        assert event.created_at == entry.posted_at
        assert event.actor_id == entry.posted_by_id
        assert Decimal(event.data["balance"]) == running[entry.pk]
        assert event.data["amount"] == str(entry.amount)
        assert event.data["balance"] == str(running[entry.pk])  # "12.30", as str(Decimal) prints it
        if entry.kind == "reversal":
            assert event.action == "accounts.ledger.reversed"
            assert set(event.data) == {"entry_id", "reverses", "amount", "balance"}
            assert event.data["reverses"] == entry.reverses_id
        else:
            assert event.action == "accounts.ledger.posted"
            assert set(event.data) == {"entry_id", "kind", "amount", "balance", "summary"}
            assert event.data["kind"] == entry.kind
            assert amounts(event.data["summary"]) == [
                format_money(entry.amount),
                format_money(running[entry.pk]),
            ]
    at_the_desk = {pk for pk, e in entries.items() if e.effective_date >= e.account.placement_date}
    assert set(posted) == at_the_desk
    kinds = Counter(entries[pk].kind for pk in posted)
    assert kinds["patient_payment"] > ACCOUNTS / 2
    assert kinds["reversal"] > 0
    assert not {"charge"} & set(kinds)  # charges all come with the placement


@pytest.mark.django_db
def test_the_placement_opens_every_timeline_with_the_balance_placed(desk):
    running = running_balances()
    accounts = PatientAccount.objects.select_related("client").in_bulk()
    placed = {e.account_id: e for e in AuditEvent.objects.filter(action="accounts.account.placed")}
    assert set(placed) == set(accounts)
    assert AuditEvent.objects.filter(action="accounts.account.placed").count() == len(accounts)
    before = {}
    for entry in LedgerEntry.objects.order_by("effective_date", "id"):
        if entry.effective_date < accounts[entry.account_id].placement_date:
            count, _ = before.get(entry.account_id, (0, None))
            before[entry.account_id] = (count + 1, running[entry.pk])
    for account_id, event in placed.items():
        account = accounts[account_id]
        count, balance = before[account_id]
        assert event.created_at == account.created_at
        assert event.created_at.date() == account.placement_date
        assert 13 <= event.created_at.hour < 22  # UTC: office hours from New York to Los Angeles
        assert event.actor_id is None
        assert event.data == {
            "client_id": account.client_id,
            "entries": count,
            "balance": str(balance),
            "summary": f"placed by {account.client.code}, balance {format_money(balance)}",
        }
    # Nothing happens on the desk to an account before it is placed; ids follow time in each account.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM audit_auditevent e JOIN audit_auditevent p ON p.account_id = e.account_id "
            "AND p.action = 'accounts.account.placed' WHERE e.id <> p.id AND e.created_at <= p.created_at"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM (SELECT created_at, lag(created_at) OVER (PARTITION BY account_id "
            "ORDER BY id) AS previous FROM audit_auditevent WHERE account_id IS NOT NULL) t "
            "WHERE created_at < previous"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_the_last_balance_in_the_history_is_the_accounts_balance(desk):
    """What a user reads last in the timeline is the balance in the header."""
    last = {}
    for event in history():  # in id order, which is time order within an account
        if "balance" in event.data:
            last[event.account_id] = Decimal(event.data["balance"])
    assert last == dict(PatientAccount.objects.values_list("id", "balance"))


@pytest.mark.django_db
def test_the_timeline_shows_the_attempts_newest_first_and_the_payments_with_the_balance_after(desk):
    worked = (
        PatientAccount.objects.filter(
            ledger_entries__kind="patient_payment",
            ledger_entries__effective_date__gte=F("placement_date"),
            contact_attempts__actor__isnull=False,
        )
        .distinct()
        .order_by("id")[:40]
    )
    assert len(worked) == 40
    for account in worked:
        timeline = account_timeline(account=account)
        assert [item.at for item in timeline] == sorted((item.at for item in timeline), reverse=True)

        attempts = account.contact_attempts.select_related("actor").order_by("-occurred_at", "-id")
        shown = [item for item in timeline if item.action == "contacts.attempt.logged"]
        assert [(i.at, i.data["attempt_id"]) for i in shown] == [(a.occurred_at, a.pk) for a in attempts]
        for item, attempt in zip(shown, attempts, strict=True):
            assert item.text == f"{attempt.get_channel_display()}: {attempt.get_disposition_display()}"
            assert item.actor == (attempt.actor.get_full_name() if attempt.actor else "system")

        # A payment of $X on day D shows in the timeline with the balance the ledger shows after it.
        ledger = {row.entry.pk: row for row in account_ledger(account=account)}
        payments = [
            row
            for row in ledger.values()
            if row.entry.kind == "patient_payment" and row.entry.effective_date >= account.placement_date
        ]
        assert payments
        for row in payments:
            (item,) = [i for i in timeline if i.data.get("entry_id") == row.entry.pk]
            assert item.action == "accounts.ledger.posted"
            assert item.at == row.entry.posted_at
            assert item.at.date() == row.entry.effective_date
            assert Decimal(item.data["amount"]) == row.entry.amount < 0
            assert Decimal(item.data["balance"]) == row.running_balance
            assert amounts(item.text) == [format_money(row.entry.amount), format_money(row.running_balance)]

        assert timeline[-1].action == "accounts.account.placed"
        assert timeline[-1].actor == "system"
        assert timeline[-1].text.startswith(f"placed by {account.client.code}, balance $")


@pytest.mark.django_db
def test_the_history_goes_on_where_the_services_take_over(desk):
    """A payment, a reversal and a call logged through the services today write what the seeded events
    hold, and continue the account's history: balances carry on from the last seeded one."""
    account = (
        PatientAccount.objects.filter(
            contact_attempts__channel="call", contact_attempts__disposition="promise", balance__gt=20
        )
        .order_by("id")
        .first()
    )
    collector = account.team.members.filter(role="collector").order_by("id").first()
    seeded = account_timeline(account=account)
    last_balance = Decimal(next(i.data["balance"] for i in seeded if "balance" in i.data))
    seeded_events = AuditEvent.objects.order_by("id")
    seeded_call = seeded_events.filter(
        action="contacts.attempt.logged", data__channel="call", data__disposition="promise"
    ).first()
    seeded_payment = seeded_events.filter(
        action="accounts.ledger.posted", data__kind="patient_payment"
    ).first()
    seeded_reversal = seeded_events.filter(action="accounts.ledger.reversed").first()

    # At 19:00 UTC on a Friday after the seed: within every US zone's call window, so the call breaks
    # no rule and its event has exactly the seeded keys (a call that broke one would add "violations").
    with time_machine.travel(datetime(2026, 11, 20, 19, 0, tzinfo=UTC), tick=True):
        posting = ledger_post(
            account=account,
            kind="patient_payment",
            amount="10.00",
            effective_date=date(2026, 11, 1),
            actor=collector,
        )
        ledger_reverse(entry=posting.entry, actor=collector, effective_date=date(2026, 11, 1))
        contact_attempt_log(
            accounts=[account],
            channel="call",
            disposition="promise",
            actor=collector,
            phone=Phone.objects.filter(person=account.guarantor).first(),
        )

    now = account_timeline(account=account)
    call, reversed_, paid = now[:3]
    assert now[3:] == seeded
    for live, stored in [(call, seeded_call), (reversed_, seeded_reversal), (paid, seeded_payment)]:
        assert live.action == stored.action
        assert set(live.data) == set(stored.data)
        assert {k: type(v) for k, v in live.data.items()} == {k: type(v) for k, v in stored.data.items()}
        # The same words around other amounts: "Patient payment -$10.00, balance $49.42".
        assert re.sub(r"-?\$[0-9,]+\.[0-9]{2}", "$", live.text) == re.sub(
            r"-?\$[0-9,]+\.[0-9]{2}", "$", stored.data.get("summary", "")
        )
    assert call.text == seeded_call.data["summary"]
    assert Decimal(paid.data["balance"]) == last_balance - Decimal("10.00")
    assert Decimal(reversed_.data["balance"]) == last_balance
    for item in seeded:
        for key in ("amount", "balance"):
            if key in item.data:  # strings of Decimals with two places, as the services write them
                assert re.fullmatch(r"-?\d+\.\d\d", item.data[key])


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + list(value)
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.django_db
def test_the_history_holds_no_names_phones_addresses_or_emails(desk):
    names = set()
    for person in Person.objects.all():
        names.update((person.first_name, person.middle_name, person.last_name))
    names.discard("")
    streets = set(Address.objects.values_list("line1", flat=True))
    phones = {str(number)[2:] for number in Phone.objects.values_list("number", flat=True)}
    emails = set(Email.objects.values_list("address", flat=True))
    numbers = set(PatientAccount.objects.values_list("client_account_number", flat=True))
    assert all((names, streets, phones, emails, numbers))

    events = history()
    assert len(events) > 4 * ACCOUNTS
    assert {event.ip for event in events} == {None}
    texts = "\n".join(" ".join(_strings(event.data)) for event in events)
    assert not set(re.findall(r"[A-Za-z][A-Za-z'-]*", texts)) & names
    assert "@" not in texts
    assert not [part for part in streets | phones | numbers if part in texts]


# --- Determinism and ids ----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows(monkeypatch):
    monkeypatch.setattr(demo, "CHUNK_ACCOUNTS", 100)  # several chunks, each with its own stream

    first = digest(offline_plan(seed=1), accounts=450)
    # The digest covers every table, the audit history included.
    assert sum(len(chunk["audit_auditevent"]) for chunk in demo_rows(offline_plan(1), accounts=450)) > 450
    with time_machine.travel(datetime(2031, 2, 3, 4, 5, tzinfo=UTC)):  # the clock plays no part
        assert digest(offline_plan(seed=1), accounts=450) == first
    assert digest(offline_plan(seed=2), accounts=450) != first


@pytest.mark.django_db
def test_the_database_holds_exactly_the_generated_rows(desk):
    event = AuditEvent.objects.get(action="accounts.demo.seeded")
    plan, _ = demo_plan(seed=7)

    expected = {table: [] for table in TABLES}
    for chunk in demo_rows(plan, accounts=ACCOUNTS, ids=Ids(next=dict(event.data["first_ids"]))):
        for table, lines in chunk.items():
            expected[table].extend(lines)
    for table in TABLES:
        if table == "audit_auditevent":
            # Earlier events stay as they were; the load's own event comes right after the generated ones.
            first = event.data["first_ids"][table]
            *loaded, last = [line for line in table_text(table) if int(line.split("\t")[0]) >= first]
            assert loaded == expected[table], table
            assert last.startswith(f"{event.pk}\t")
            assert "\taccounts.demo.seeded\t" in last
        else:
            assert table_text(table) == expected[table], table
    assert event.data["rows"] == {table: len(lines) for table, lines in expected.items()}


@pytest.mark.django_db
def test_the_orm_inserts_after_the_seeded_rows(desk):
    highest = scalar("SELECT max(id) FROM accounts_person")

    person = Person.objects.create(first_name="New", last_name="Person")
    assert person.pk > highest


@pytest.mark.django_db
def test_refuses_a_database_with_accounts_unless_appending(desk):

    with pytest.raises(CommandError, match=f"already holds {ACCOUNTS:,} accounts; pass --append"):
        run_seed_demo("--accounts=100", "--seed=8")
    run_seed_demo("--accounts=100", "--seed=8", "--append")
    assert PatientAccount.objects.count() == ACCOUNTS + 100
    assert User.objects.filter(username="admin").count() == 1
    assert ledger_mismatches() == []


def _schema() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [list(TABLES)],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [list(TABLES)],
        )
        return indexes + cursor.fetchall()


@pytest.mark.django_db
def test_a_load_that_rebuilds_the_indexes_leaves_the_schema_exactly_as_migrated(desk):
    before = _schema()

    demo_seed(accounts=200, seed=3, append=True, rebuild_indexes=True)

    assert _schema() == before
    assert PatientAccount.objects.count() == ACCOUNTS + 200
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_a_load_that_fails_leaves_nothing_behind_not_even_dropped_indexes(desk, monkeypatch):
    before = _schema()
    generate = demo.Generator.chunk

    def chunk_with_a_positive_payment(self, index, count, ids):
        rows = generate(self, index, count, ids)
        rows["accounts_ledgerentry"][0] = rows["accounts_ledgerentry"][0].replace(
            "\tcharge\t", "\tpatient_payment\t"
        )
        return rows

    monkeypatch.setattr(demo.Generator, "chunk", chunk_with_a_positive_payment)
    with pytest.raises(psycopg.errors.CheckViolation, match="ledger_amount_sign_matches_kind"):
        demo_seed(accounts=200, seed=4, append=True, rebuild_indexes=True)

    assert _schema() == before
    assert PatientAccount.objects.count() == ACCOUNTS
    assert AuditEvent.objects.filter(action="accounts.demo.seeded").count() == 1
