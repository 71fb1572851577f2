"""The machine's CPU per process name while another benchmark runs, per row it writes: how a claim's cost
splits between PostgreSQL and the Python that sends it, under contention.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/cpu_split.py &
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/claim_concurrency.py

It waits until more than five connections last ran a statement starting with BENCH_QUERY (default
"WITH mine", the claim; "UPDATE desk_accountpriority SET held_until" for the raw loop, whose cycle is
two updates), lets BENCH_WARMUP seconds pass (default 6), then over BENCH_SECONDS (default 10) sums
utime + stime of every process from /proc by command name and divides by the rows BENCH_TABLE (default
desk_lease, n_tup_ins; with BENCH_COUNT=upd, n_tup_upd) gained.
"""

from __future__ import annotations

import os
import time

import psycopg

QUERY = os.environ.get("BENCH_QUERY", "WITH mine")
TABLE = os.environ.get("BENCH_TABLE", "desk_lease")
COUNT = "n_tup_upd" if os.environ.get("BENCH_COUNT") == "upd" else "n_tup_ins"
ROWS = {
    "n_tup_ins": "SELECT n_tup_ins FROM pg_stat_all_tables WHERE relname = %s",
    "n_tup_upd": "SELECT n_tup_upd FROM pg_stat_all_tables WHERE relname = %s",
}[COUNT]


def value(conn: psycopg.Connection, statement: str, *params: object) -> int:
    conn.execute("SELECT pg_stat_clear_snapshot()")  # statistics as of now, not the transaction's start
    return int(conn.execute(statement, params).fetchone()[0])


def process_ticks(pid: int | str) -> tuple[str, int]:
    """A process's command name and CPU so far, utime + stime in clock ticks (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return stat[stat.index("(") + 1 : stat.rindex(")")], int(fields[11]) + int(fields[12])


def ticks() -> dict[str, tuple[str, int]]:
    """utime + stime of every process, by pid: (command name, ticks)."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            out[pid] = process_ticks(pid)
        except OSError:
            continue
    return out


def main() -> None:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cd_bench")
    conn = psycopg.connect(url, autocommit=True)
    active = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s"
    while value(conn, active, QUERY + "%") <= 5:
        time.sleep(0.3)
    time.sleep(float(os.environ.get("BENCH_WARMUP", "6")))
    rows_before, before = value(conn, ROWS, TABLE), ticks()
    time.sleep(float(os.environ.get("BENCH_SECONDS", "10")))
    written, after = value(conn, ROWS, TABLE) - rows_before, ticks()
    hz = os.sysconf("SC_CLK_TCK")
    by_name: dict[str, int] = {}
    for pid, (name, t) in after.items():
        if pid in before:
            by_name[name] = by_name.get(name, 0) + t - before[pid][1]
    print(f"{written} rows ({COUNT} of {TABLE})")
    for name, t in sorted(by_name.items(), key=lambda item: -item[1])[:6]:
        print(f"{name:20s} {t / hz:6.2f} s  {1000 * t / hz / max(written, 1):.3f} ms per row")


if __name__ == "__main__":
    main()
