"""What makes a claim dearer than the raw SKIP LOCKED loop of bench/claim_concurrency.py: the raw loop
against simplified claims that add one part of the real one at a time, each in one statement on copies
of the lease and audit tables (made here, dropped at the end), 32 processes, same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/claim_anatomy.py
    … bench/claim_anatomy.py raw lease lease+audit+fk       # only these variants

Variants (a cycle is one claim; the raw loop's is its claim and its release, as in claim_concurrency):
  raw        the raw loop
  history    the raw loop, its claim also appending a row to a table with only a primary key
  lease      one statement: close the collector's open lease, free its priority row, take the top free
             row (SKIP LOCKED) and insert its lease, on a copy of desk_lease with its four indexes
  +audit     … and an audit event, on a copy of audit_auditevent with its indexes
  +exists    … the candidate's account checked (team and status), as the real claim does
  +fk        … with the lease's and the event's foreign keys (deferred, as Django makes them)
  +async     … committed asynchronously, as the real claim is
  +lockfirst … the candidate locked by a SELECT and marked held by a later CTE, as the real claim does
Suffixes combine: lease+audit+exists+fk+async. BENCH_SECONDS (default 15, after 3 s of warm-up),
BENCH_ROUNDS (default 1), BENCH_TEAM (default 1, the team id). The collectors are the bench_claim_*
users of claim_concurrency (run it once first). Not the issue's figure: a map of where a claim's cost is.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time

import psycopg

DEFAULT = ["raw", "history", "lease", "lease+audit", "lease+audit+exists", "lease+audit+exists+fk+async"]
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
TEAM = int(os.environ.get("BENCH_TEAM", "1"))
WORKERS = 32

PICK = """UPDATE desk_accountpriority SET held_until = now() + interval '15 minutes'
 WHERE account_id = (SELECT account_id FROM desk_accountpriority
        WHERE team_id = %(team)s AND workable AND (held_until IS NULL OR held_until <= now()){exists}
        ORDER BY score DESC, account_id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING account_id"""
EXISTS = """
        AND EXISTS (SELECT 1 FROM accounts_patientaccount a WHERE a.id = desk_accountpriority.account_id
                       AND a.team_id = %(team)s AND a.status IN ('new', 'active', 'in_arrangement'))"""
# +lockfirst: the candidate locked by a SELECT and marked held by a later CTE, as the real claim does
# (it needs the lease's id for the row's pointer; the pointer itself is left out here, since the copy's
# ids are not desk_lease's).
LOCK_PICK = """SELECT account_id FROM desk_accountpriority
        WHERE team_id = %(team)s AND workable AND (held_until IS NULL OR held_until <= now()){exists}
        ORDER BY score DESC, account_id LIMIT 1 FOR UPDATE SKIP LOCKED"""
HELD = """,
held AS (UPDATE desk_accountpriority p SET held_until = now() + interval '15 minutes' FROM lease
          WHERE p.account_id = lease.account_id)"""
RELEASE = "UPDATE desk_accountpriority SET held_until = NULL WHERE account_id = %s"
HISTORY = """WITH c AS ({pick})
INSERT INTO bench_history (account_id, holder_id) SELECT account_id, %(me)s FROM c RETURNING account_id"""
# The lease is closed and its row freed first (priority row, then lease: the real claim's lock order).
LEASE = """WITH mine AS (SELECT p.account_id FROM desk_accountpriority p
                JOIN bench_lease l ON l.account_id = p.account_id
              WHERE l.holder_id = %(me)s AND l.released_at IS NULL FOR UPDATE OF p),
released AS (UPDATE bench_lease SET released_at = now(), release_reason = 'next', released_by_id = %(me)s
              WHERE holder_id = %(me)s AND released_at IS NULL AND (SELECT count(*) FROM mine) >= 0
              RETURNING id, account_id),
unheld AS (UPDATE desk_accountpriority p SET held_until = NULL FROM released r
            WHERE p.account_id = r.account_id),
picked AS ({pick}),
lease AS (INSERT INTO bench_lease (account_id, holder_id, claimed_at, expires_at, release_reason,
                                   skip_reason, note)
           SELECT account_id, %(me)s, now(), now() + interval '15 minutes', '', '', '' FROM picked
            WHERE (SELECT count(*) FROM released) >= 0 RETURNING id, account_id){held}{audit}
SELECT account_id FROM lease{commit}"""
AUDIT = """,
audit AS (INSERT INTO bench_audit (created_at, actor_id, action, account_id, data)
           SELECT now(), %(me)s, 'desk.lease.claimed', account_id, jsonb_build_object('lease_id', id)
             FROM lease)"""
ASYNC = ", (SELECT set_config('synchronous_commit', 'off', true)) s"


def statement(variant: str) -> str:
    parts = set(variant.split("+"))
    pick = PICK.format(exists=EXISTS if "exists" in parts else "")
    if "raw" in parts:
        return pick
    if "history" in parts:
        return HISTORY.format(pick=pick)
    if "lockfirst" in parts:
        pick = LOCK_PICK.format(exists=EXISTS if "exists" in parts else "")
    return LEASE.format(
        pick=pick,
        held=HELD if "lockfirst" in parts else "",
        audit=AUDIT if "audit" in parts else "",
        commit=ASYNC if "async" in parts else "",
    )


def worker(variant: str, me: int, start: float, out: mp.Queue) -> None:
    sql, cycles, errors = statement(variant), 0, 0
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn, conn.cursor() as cur:
        while time.time() < start:
            time.sleep(0.001)
        counting_from, end = start + 3, start + 3 + SECONDS
        while (now := time.time()) < end:
            try:
                cur.execute(sql, {"team": TEAM, "me": me}, prepare=True)
            except psycopg.errors.DeadlockDetected:
                errors += 1
                continue
            row = cur.fetchone()
            if row is None:
                continue
            if variant in ("raw", "history"):
                cur.execute(RELEASE, [row[0]], prepare=True)
            cycles += now >= counting_from
    out.put((cycles, errors))


def phase(variant: str, users: list[int]) -> tuple[float, int]:
    out: mp.Queue = mp.Queue()
    start = time.time() + 1
    procs = [mp.Process(target=worker, args=(variant, me, start, out)) for me in users]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results) / SECONDS, sum(r[1] for r in results)


# What each variant's claims leave held: the copies' open leases, and priority rows held without a lease
# of desk_lease (the real leases always name theirs).
FREE_LEASES = "UPDATE bench_lease SET released_at = now(), release_reason = 'next' WHERE released_at IS NULL"
FREE_ROWS = "UPDATE desk_accountpriority SET held_until = NULL WHERE held_until > now() AND lease_id IS NULL"
FOREIGN_KEYS = (
    ("bench_lease", "account_id", "accounts_patientaccount"),
    ("bench_lease", "holder_id", "staff_user"),
    ("bench_lease", "released_by_id", "staff_user"),
    ("bench_audit", "actor_id", "staff_user"),
)
COPIES = (("bench_lease", "desk_lease"), ("bench_audit", "audit_auditevent"))


def _make_tables(conn: psycopg.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS bench_history, bench_lease, bench_audit")
    conn.execute("DROP SEQUENCE IF EXISTS bench_lease_seq, bench_audit_seq")
    conn.execute("CREATE TABLE bench_history (id bigserial PRIMARY KEY, account_id bigint, holder_id int)")
    for copy, real in COPIES:
        conn.execute(
            f"CREATE TABLE {copy} (LIKE {real} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
        conn.execute(f"CREATE SEQUENCE {copy}_seq OWNED BY {copy}.id")
        conn.execute(f"ALTER TABLE {copy} ALTER id SET DEFAULT nextval('{copy}_seq')")


def _prepare(conn: psycopg.Connection, *, foreign_keys: bool) -> None:
    """Before each phase: the foreign keys only if the variant has them (deferred, as Django declares
    them), nothing left held, the tables vacuumed and a checkpoint (as claim_concurrency does)."""
    for table, column, target in FOREIGN_KEYS:
        name = f"{table}_{column}_fk"
        conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        if foreign_keys:
            conn.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
                f"REFERENCES {target}(id) DEFERRABLE INITIALLY DEFERRED"
            )
    for sql in [FREE_LEASES, FREE_ROWS, "VACUUM desk_accountpriority", "VACUUM bench_lease", "CHECKPOINT"]:
        conn.execute(sql)


def main() -> None:
    variants = sys.argv[1:] or DEFAULT
    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT id FROM staff_user WHERE username LIKE 'bench_claim_%' ORDER BY id")
        users = [row[0] for row in found]
        if len(users) < WORKERS:
            raise SystemExit("run bench/claim_concurrency.py once first: it makes the bench_claim_* users")
        _make_tables(conn)
    try:
        for _ in range(int(os.environ.get("BENCH_ROUNDS", "1"))):
            for variant in variants:
                with psycopg.connect(url, autocommit=True) as conn:
                    _prepare(conn, foreign_keys="fk" in variant.split("+"))
                rate, errors = phase(variant, users[:WORKERS])
                print(f"{variant:32s} {rate:9.1f} cycles/s  ({errors} deadlocks retried)", flush=True)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_history, bench_lease, bench_audit")
            conn.execute(FREE_ROWS)


if __name__ == "__main__":
    main()
