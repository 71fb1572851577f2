"""Claim-next under contention on the 1M-account data: 32 collectors (processes, each with its own
connection) doing "work next account", against a raw SKIP LOCKED loop on the same table in the same run;
then the lease history is checked with SQL for double claims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/claim_concurrency.py

Each service claim is `lease_claim_next`, which first releases the collector's previous lease (reason
"next"), what the "Work next account" button does; the button also reads the queue's shared rows (for
the accounts callable now, desk.queue_cache) and tells the team's queue pages, which is not measured
here. The last lease is finished at the end. The raw loop is one UPDATE … WHERE account_id = (SELECT …
FOR UPDATE SKIP LOCKED) RETURNING to claim and one UPDATE to release, autocommitted, on
desk_accountpriority. Targets ([queue] issue): 0 double claims, service claims/s >= 50% of raw cycles/s.

The two alternate in BENCH_ROUNDS rounds of BENCH_SECONDS each (default 3 x 20 s: 60 s of claiming),
each phase after a CHECKPOINT: where both are bound by WAL flushes (bench/README.md, fourth pass), a
checkpoint landing in one phase only (its page writes compete with the WAL's, and the first change of
each page after it writes the whole page to the WAL) moved the ratio of one 60 s pair by a third. Each
phase then runs BENCH_WARMUP seconds (default 5) before it counts: right after a checkpoint every page a
loop touches costs a whole-page image in the WAL once, and a claim touches a dozen structures where a
raw cycle touches one; a production server checkpoints every 5 minutes, not every 20 s. The figure is
claims over cycles summed over all rounds; the WAL written per claim and per cycle (after the warm-up)
is reported, and so is the machine's CPU over the counted seconds: per claim and per cycle, and the busy
share, which says whether a phase was bound by the CPU (near 1) or waited on the disk; and how the
workers' claims were planned (PostgreSQL should keep the generic plan after each connection's first
five: desk.models.AccountPriority, prio_callback_pending). The tables both
loops write are vacuumed before each phase, as autovacuum would between them on a production server: the
project machine's PostgreSQL runs with autovacuum off (its CI configuration), and the dead lease
versions of earlier runs (660k of them) would otherwise be walked by every claim.
BENCH_WORKERS (default 32), BENCH_TEAM (default East), BENCH_RAW_ASYNC (see RAW_ASYNC), BENCH_PROCESSES
(see PROCESSES), BENCH_QUEUE (see QUEUE), BENCH_STATEMENT_ONLY (see STATEMENT_ONLY).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
# As in production: with DEBUG on, Django formats and keeps every query it runs.
os.environ.setdefault("DEBUG", "0")

RAW_CLAIM = """
UPDATE desk_accountpriority SET held_until = now() + interval '15 minutes'
 WHERE account_id = (
       SELECT account_id FROM desk_accountpriority
        WHERE team_id = %s AND workable AND (held_until IS NULL OR held_until <= now())
        ORDER BY score DESC, account_id LIMIT 1
          FOR UPDATE SKIP LOCKED)
RETURNING account_id
"""
RAW_RELEASE = "UPDATE desk_accountpriority SET held_until = NULL WHERE account_id = %s"
# The service's claims commit asynchronously (desk.services._claim_next); with BENCH_RAW_ASYNC=1 the raw
# loop's commits do too, to see how much of the ratio that choice accounts for.
RAW_ASYNC = os.environ.get("BENCH_RAW_ASYNC") == "1"
# The processes the workers of each phase run in: by default one each. BENCH_PROCESSES=N spreads them
# over N processes as threads, each worker still with its own connection, as N web workers would serve
# the 32 collectors (the Dockerfile's gunicorn runs 4 on a 2-core host); both phases alike.
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "0"))
# The queue the collectors claim from: "My queue" by default, else the saved queue of this id (of
# BENCH_TEAM), to measure the claims of a filtered queue.
QUEUE = int(os.environ["BENCH_QUEUE"]) if os.environ.get("BENCH_QUEUE") else None
# With BENCH_STATEMENT_ONLY=1 the claims are the service's claim statement sent by plain psycopg, with
# the parameters _claim_next gives it, in place of lease_claim_next: what the claim costs without Django
# and the service's Python around it.
STATEMENT_ONLY = os.environ.get("BENCH_STATEMENT_ONLY") == "1"
# Seconds each phase runs before it counts (see the module's docstring).
WARMUP = float(os.environ.get("BENCH_WARMUP", "5"))

# Two leases of one account whose [claimed_at, released_at) intervals meet: a double claim.
OVERLAPS = """
SELECT count(*) FROM desk_lease a JOIN desk_lease b
  ON a.account_id = b.account_id AND a.id < b.id
 AND tstzrange(a.claimed_at, coalesce(a.released_at, a.expires_at))
  && tstzrange(b.claimed_at, coalesce(b.released_at, b.expires_at))
 WHERE a.claimed_at >= %s AND b.claimed_at >= %s
"""

# How a connection's claims were planned (desk.models.AccountPriority, prio_callback_pending).
PLANS = (
    "SELECT coalesce(sum(generic_plans), 0)::int, coalesce(sum(custom_plans), 0)::int "
    "FROM pg_prepared_statements WHERE statement LIKE 'WITH mine%'"
)


def cpu_seconds() -> tuple[float, float]:
    """The whole machine's busy and total CPU seconds so far (/proc/stat): whether a phase was bound by
    the CPU (busy near total) or waited on the disk, and what each claim or cycle cost in CPU."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def _django() -> None:
    import django

    django.setup()


def _connect() -> Any:
    """A plain psycopg connection to the benchmark's database, autocommitted (Django set up)."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    )


def _start(start_at: float, seconds: float) -> tuple[float, float]:
    """Wait for the phase to start; when its counting starts (after the warm-up) and when it ends."""
    while time.time() < start_at:
        time.sleep(0.001)
    return start_at + WARMUP, start_at + WARMUP + seconds


def raw_worker(team_id: int, seconds: float, start_at: float, out: mp.Queue) -> None:
    _django()
    conn = _connect()
    if RAW_ASYNC:
        conn.execute("SET synchronous_commit = off")
    cycles = 0
    counting_from, deadline = _start(start_at, seconds)
    with conn.cursor() as cur:
        while (now := time.time()) < deadline:
            cur.execute(RAW_CLAIM, [team_id])
            row = cur.fetchone()
            if row is None:
                continue
            cur.execute(RAW_RELEASE, [row[0]])
            cycles += now >= counting_from
    conn.close()
    out.put(cycles)


def service_worker(user_id: int, seconds: float, start_at: float, out: mp.Queue) -> None:
    _django()
    from django.db import connection

    from desk.selectors import queue_choice_get
    from desk.services import lease_claim_next, lease_finish
    from staff.models import User

    user = User.objects.get(pk=user_id)
    choice = queue_choice_get(user=user, queue_id=QUEUE)
    claims = empty = 0
    lease = None
    counting_from, deadline = _start(start_at, seconds)
    while (now := time.time()) < deadline:
        lease = lease_claim_next(user=user, choice=choice)
        if lease is None:
            empty += now >= counting_from
        else:
            claims += now >= counting_from
    if lease is not None:
        lease_finish(lease_id=lease.pk, user=user)
    with connection.cursor() as cursor:
        cursor.execute(PLANS)
        plans = cursor.fetchone()
    out.put((claims, empty, *plans))


def bare_claimer(user: Any, choice: Any, sql: bytes | None = None) -> Any:
    """One claim by the service's statement alone (or `sql`, a variant of it) on a psycopg cursor, with
    the parameters _claim_next gives it: what STATEMENT_ONLY and bench/claim_one.py run. The function
    returns the new lease's id, or None when nothing was left to claim."""
    from desk.selectors import lease_duration
    from desk.services import _claim_sql

    sql = sql or _claim_sql(choice=choice, now=datetime.now(UTC), alone=True)
    params = {"user": user.pk, "queue": choice.id, "ip": None}
    duration = lease_duration()

    def claim(cur: Any) -> int | None:
        params["now"] = at = datetime.now(UTC)
        params["expires"] = at + duration
        cur.execute(sql, params, prepare=True)
        return cur.fetchone()[0]

    return claim


def statement_worker(user_id: int, seconds: float, start_at: float, out: mp.Queue) -> None:
    """The claim statement alone (STATEMENT_ONLY), on a connection of its own."""
    _django()
    from desk.selectors import queue_choice_get
    from desk.services import lease_release_on_logout
    from staff.models import User

    user = User.objects.get(pk=user_id)
    claim = bare_claimer(user, queue_choice_get(user=user, queue_id=QUEUE))
    conn = _connect()
    claims = empty = 0
    counting_from, deadline = _start(start_at, seconds)
    with conn.cursor() as cur:
        while (now := time.time()) < deadline:
            if claim(cur) is None:
                empty += now >= counting_from
            else:
                claims += now >= counting_from
        cur.execute(PLANS)
        plans = cur.fetchone()
    conn.close()
    lease_release_on_logout(user=user)
    out.put((claims, empty, *plans))


def _workers(target, args_list: list[tuple], seconds: float, start_at: float, out: mp.Queue) -> None:
    """Several workers in one process, as threads (Django gives each thread its own connection)."""
    threads = [threading.Thread(target=target, args=(*a, seconds, start_at, out)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run(target, args_list: list[tuple], seconds: float, counting=None, ending=None) -> tuple[list, float]:
    """Run `target` once per args tuple, in its own process (or in PROCESSES processes as threads);
    `counting` is called when the warm-up ends, `ending` when the counted seconds do (before the
    workers give their last leases back and exit)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # every process connected and set up before the clock starts
    if PROCESSES:
        groups = [args_list[i::PROCESSES] for i in range(PROCESSES)]
        procs = [ctx.Process(target=_workers, args=(target, g, seconds, start_at, out)) for g in groups]
    else:
        procs = [ctx.Process(target=target, args=(*a, seconds, start_at, out)) for a in args_list]
    for p in procs:
        p.start()
    if counting is not None:
        time.sleep(max(0.0, start_at + WARMUP - time.time()))
        counting()
    if ending is not None:
        time.sleep(max(0.0, start_at + WARMUP + seconds - time.time()))
        ending()
    results = [out.get() for _ in args_list]
    for p in procs:
        p.join()
    return results, seconds


def main() -> None:
    _django()
    from django.db import connection

    from desk.models import Lease
    from staff.models import Team, User
    from tests.factories import password_hash

    workers = int(os.environ.get("BENCH_WORKERS", "32"))
    seconds = float(os.environ.get("BENCH_SECONDS", "20"))
    team = Team.objects.get(name=os.environ.get("BENCH_TEAM", "East"))
    users = []
    for i in range(1, workers + 1):
        user, _ = User.objects.get_or_create(
            username=f"bench_claim_{i:02d}",
            defaults={
                "role": User.Role.COLLECTOR,
                "first_name": "Bench",
                "last_name": f"Collector {i}",
                "password": password_hash(),
            },
        )
        user.teams.set([team])
        users.append(user)
    # Leftovers of an interrupted run: give their accounts back.
    from desk.services import lease_release_on_logout

    for user in users:
        lease_release_on_logout(user=user)
    connection.close()  # no connection may be shared with the forked workers

    started = time.time()
    since = datetime.fromtimestamp(started, UTC)

    def phase(target, args_list: list[tuple]) -> tuple[list, int]:
        """One phase after a vacuum and a checkpoint, and the WAL bytes it wrote after its warm-up."""
        with connection.cursor() as cursor:
            for table in ("desk_lease", "desk_accountpriority", "audit_auditevent"):
                cursor.execute(f"VACUUM {table}")
            cursor.execute("CHECKPOINT")
        connection.close()  # no connection may be shared with the forked workers
        lsn, cpu = [], []

        def counting() -> None:
            cpu.append(cpu_seconds())
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()")
                lsn.append(cursor.fetchone()[0])

        results, _ = run(target, args_list, seconds, counting, lambda: cpu.append(cpu_seconds()))
        busy, total = (after - before for after, before in zip(cpu[1], cpu[0], strict=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [lsn[0]])
            wal = int(cursor.fetchone()[0])
        return results, wal, (busy, total)

    rounds = []
    raw: list[int] = []
    service: list[tuple[int, int, int, int]] = []
    wal = {"raw": 0, "service": 0}
    cpu = {"raw": [0.0, 0.0], "service": [0.0, 0.0]}  # busy and total CPU seconds
    for _ in range(int(os.environ.get("BENCH_ROUNDS", "3"))):
        raw_round, raw_wal, raw_cpu = phase(raw_worker, [(team.pk,)] * workers)
        claimer = statement_worker if STATEMENT_ONLY else service_worker
        service_round, service_wal, service_cpu = phase(claimer, [(u.pk,) for u in users])
        raw += raw_round
        service += service_round
        wal["raw"] += raw_wal
        wal["service"] += service_wal
        for kind, (busy, total) in (("raw", raw_cpu), ("service", service_cpu)):
            cpu[kind][0] += busy
            cpu[kind][1] += total
        cycles, claims = sum(raw_round), sum(r[0] for r in service_round)
        rounds.append(
            {
                "raw_cycles_per_s": round(cycles / seconds, 1),
                "service_claims_per_s": round(claims / seconds, 1),
                "ratio": round(claims / cycles, 3) if cycles else None,
            }
        )

    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS, [since, since])
        overlaps = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*), count(DISTINCT account_id), count(*) FILTER (WHERE released_at IS NULL) "
            "FROM desk_lease WHERE claimed_at >= %s AND holder_id = ANY(%s)",
            [since, [u.pk for u in users]],
        )
        leases, accounts, still_open = cursor.fetchone()
        # The raw loop's marks are released as it goes; clear any a killed run left behind.
        cursor.execute(
            "UPDATE desk_accountpriority SET held_until = NULL WHERE lease_id IS NULL AND held_until > now()"
        )
    raw_total = sum(raw)
    claims = sum(r[0] for r in service)
    summary = {
        "workers": workers,
        "processes": PROCESSES or workers,
        "seconds_per_phase": seconds,
        "warmup_seconds": WARMUP,
        "team": team.name,
        "queue": QUEUE,
        "claims": "statement only" if STATEMENT_ONLY else "lease_claim_next",
        "raw_synchronous_commit": "off" if RAW_ASYNC else "on",
        "rounds": rounds,
        "raw_skip_locked_cycles": raw_total,
        "raw_cycles_per_s": round(raw_total / seconds / len(rounds), 1),
        "service_claims": claims,
        "service_empty_claims": sum(r[1] for r in service),
        # How each worker's claims were planned, warm-up included: the first five of a connection are
        # planned for their own values, then PostgreSQL keeps the generic plan if it reckons it no dearer.
        "claim_generic_plans": sum(r[2] for r in service),
        "claim_custom_plans": sum(r[3] for r in service),
        "service_claims_per_s": round(claims / seconds / len(rounds), 1),
        "ratio": round(claims / raw_total, 3) if raw_total else None,
        "wal_bytes_per_raw_cycle": round(wal["raw"] / raw_total) if raw_total else None,
        "wal_bytes_per_claim": round(wal["service"] / claims) if claims else None,
        # The whole machine's CPU over the counted seconds (workers, PostgreSQL, the rest).
        "cpu_ms_per_raw_cycle": round(cpu["raw"][0] * 1000 / raw_total, 3) if raw_total else None,
        "cpu_ms_per_claim": round(cpu["service"][0] * 1000 / claims, 3) if claims else None,
        "cpu_busy_share_raw": round(cpu["raw"][0] / cpu["raw"][1], 3) if cpu["raw"][1] else None,
        "cpu_busy_share_service": round(cpu["service"][0] / cpu["service"][1], 3)
        if cpu["service"][1]
        else None,
        "leases_written": leases,
        "distinct_accounts": accounts,
        "leases_still_open": still_open,
        "overlapping_lease_pairs": overlaps,
        "open_leases_total": Lease.objects.filter(released_at__isnull=True).count(),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
