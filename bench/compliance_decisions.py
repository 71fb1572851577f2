"""Queue annotation by the compliance engine on the 1M-account data: "may I call now?" for the 50 rows
of a queue page, with their histories read from the database, in batch.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/compliance_decisions.py

For BENCH_PAGES (default 40) different pages of BENCH_TEAM's accounts (50 accounts each, taken in
priority order from row BENCH_OFFSET on, so every page has new guarantors and nothing is cached between
them in Python; a new BENCH_OFFSET also reads rows PostgreSQL has not cached yet):
the time of `compliance.selectors.call_decisions` (facts: 11 queries; the phones to dial: 1; the engine)
and, separately, of the engine alone on the same facts. Target ([compliance] issue): >= 1,000
decisions/s, i.e. 50 rows with their histories in <= 50 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
# As in production: with DEBUG on, Django formats and keeps every query it runs.
os.environ.setdefault("DEBUG", "0")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from compliance import facts as F
    from compliance.engine import evaluate_many
    from compliance.selectors import call_decisions, facts_for_guarantors, phone_id
    from staff.models import Team

    team = Team.objects.get(name=os.environ.get("BENCH_TEAM", "East"))
    pages = int(os.environ.get("BENCH_PAGES", "40"))
    offset = int(os.environ.get("BENCH_OFFSET", "0"))  # another range: rows PostgreSQL has not cached
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, a.guarantor_id, a.client_id FROM desk_accountpriority p"
            " JOIN accounts_patientaccount a ON a.id = p.account_id"
            " WHERE p.workable AND p.team_id = %s ORDER BY p.score DESC, p.account_id LIMIT %s OFFSET %s",
            [team.pk, 50 * (pages + 1), offset],
        )
        rows = cursor.fetchall()
    batches = [rows[i * 50 : (i + 1) * 50] for i in range(pages + 1)]
    now = timezone.now()
    call_decisions(batches[0], now=now)  # warm: imports, prepared statements, zone caches
    whole, engine_only, attempts, blocked = [], [], [], 0
    for batch in batches[1:]:
        start = time.perf_counter()
        decisions = call_decisions(batch, now=now)
        whole.append(time.perf_counter() - start)
        blocked += sum(1 for d in decisions.values() if not d.allowed)
        facts = facts_for_guarantors((g for _, g, _ in batch), now=now)
        asked = [
            (facts[(g, c)], F.Action(kind="call", debts=(str(a),), to=phone_id(d.phone_id)))
            for a, g, c in batch
            if (d := decisions[a]).phone_id is not None and (g, c) in facts
        ]
        attempts.append(sum(sum(1 for e in f.events if e.type == "attempt") for f, _ in asked))
        start = time.perf_counter()
        evaluate_many(asked, now)
        engine_only.append((time.perf_counter() - start, len(asked)))
    ms = sorted(t * 1000 for t in whole)
    engine_rate = sum(n for _, n in engine_only) / sum(t for t, _ in engine_only)
    print(
        json.dumps(
            {
                "team": team.name,
                "offset": offset,
                "pages": pages,
                "rows_per_page": 50,
                "attempt_events_per_page_median": statistics.median(attempts),
                "not_callable_rows": blocked,
                "page_ms_median": round(statistics.median(ms), 2),
                "page_ms_p95": round(ms[int(len(ms) * 0.95) - 1], 2),
                "decisions_per_s_with_reads": round(50 * len(ms) / (sum(ms) / 1000)),
                "engine_only_decisions_per_s": round(engine_rate),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
