"""One collector claiming in a loop by the bare claim statement, no contention: the CPU a claim costs
its PostgreSQL backend (from /proc) and the client, to compare versions of the statement or of the
schema (constraints, indexes) with less noise than 32 collectors give.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/claim_one.py

BENCH_CLAIMS per repetition (default 4000) after 300 of warm-up, BENCH_REPS repetitions (default 4);
BENCH_SQL_FILE: a file holding a variant of the statement (write the real one with BENCH_WRITE_SQL=path).
It claims as bench_claim_01 (made by bench/claim_concurrency.py) from "My queue", and gives the last
account back at the end.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
os.environ.setdefault("DEBUG", "0")


def main() -> None:
    from claim_concurrency import _connect, _django, bare_claimer
    from cpu_split import process_ticks

    _django()
    from desk.selectors import queue_choice_get
    from desk.services import _claim_sql, lease_release_on_logout
    from staff.models import User

    user = User.objects.get(username="bench_claim_01")
    choice = queue_choice_get(user=user, queue_id=None)
    if path := os.environ.get("BENCH_WRITE_SQL"):
        Path(path).write_bytes(_claim_sql(choice=choice, now=datetime.now(UTC), alone=True))
        return
    variant = Path(os.environ["BENCH_SQL_FILE"]).read_bytes() if os.environ.get("BENCH_SQL_FILE") else None
    one_claim = bare_claimer(user, choice, variant)
    conn = _connect()
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    hz = os.sysconf("SC_CLK_TCK")

    def backend_seconds() -> float:
        return process_ticks(pid)[1] / hz

    def claim(n: int) -> None:
        with conn.cursor() as cur:
            for _ in range(n):
                one_claim(cur)

    claim(300)
    n = int(os.environ.get("BENCH_CLAIMS", "4000"))
    rows = []
    for _ in range(int(os.environ.get("BENCH_REPS", "4"))):
        b0, c0, w0 = backend_seconds(), time.process_time(), time.perf_counter()
        claim(n)
        b1, c1, w1 = backend_seconds(), time.process_time(), time.perf_counter()
        rows.append((1000 * (b1 - b0) / n, 1000 * (c1 - c0) / n, 1000 * (w1 - w0) / n))
    conn.close()
    lease_release_on_logout(user=user)
    for name, i in (("backend", 0), ("client", 1), ("wall", 2)):
        print(f"{name:8s} ms per claim: " + " ".join(f"{r[i]:.3f}" for r in rows))


if __name__ == "__main__":
    main()
