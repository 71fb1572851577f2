"""The daily arrangements sweep (late/broken plans and the day's reminder rows) on 1M accounts with 200k
active plans, against the equivalent set-based SQL written by hand, same data, same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/arrangements_sweep.py

On the first run it adds the plans to the 1M-account database (set-based, ~1 minute): 200k accounts with a
balance of $60 or more get a six-month plan whose first installment fell due between 130 days ago and 20
days ahead; 92% of the installments already due are paid; accounts are in_arrangement. Then the sweep of
the day before is applied once, so each measured run does one day's work. Every measured run is in a
transaction rolled back afterwards, so the two alternate on the same rows. Target ([arrangements] issue):
the sweep <= 3x the SQL. BENCH_ROUNDS (default 3), BENCH_PLANS (default 200000).
"""

from __future__ import annotations

import datetime as dt
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

SETUP = [
    """
    INSERT INTO arrangements_paymentplan (account_id, total, down_payment, frequency, first_due_date,
        installment_count, settlement_discount_pct, state, outside_policy, decision_reason, broken_reason,
        created_at, state_changed_at)
    SELECT a.id, a.balance, 0, 'monthly', %(today)s - (a.id %% 150)::int + 20, 6, 0, 'active', '[]', '', '',
           now(), now()
      FROM accounts_patientaccount a
     WHERE a.balance >= 60 AND a.status IN ('new', 'active')
       AND NOT EXISTS (SELECT 1 FROM arrangements_paymentplan p WHERE p.account_id = a.id)
     ORDER BY a.id LIMIT %(plans)s
    """,
    """
    INSERT INTO arrangements_installment (plan_id, seq, due_date, amount, paid, state)
    SELECT p.id, s, (p.first_due_date + make_interval(months => s - 1))::date,
           CASE WHEN s < 6 THEN trunc(p.total / 6, 2) ELSE p.total - 5 * trunc(p.total / 6, 2) END, 0, 'open'
      FROM arrangements_paymentplan p CROSS JOIN generate_series(1, 6) s
     WHERE NOT EXISTS (SELECT 1 FROM arrangements_installment i WHERE i.plan_id = p.id)
    """,
    """
    UPDATE arrangements_installment SET paid = amount, state = 'paid'
     WHERE due_date < %(today)s AND state = 'open' AND (id * 2654435761 %% 100) < 92
    """,
    """
    UPDATE accounts_patientaccount a SET status = 'in_arrangement'
      FROM arrangements_paymentplan p WHERE p.account_id = a.id AND p.state = 'active'
       AND a.status IN ('new', 'active')
    """,
]

# The same day's work written directly: missed installments, broken plans and their accounts, late and
# active again, the audit rows of each change, the day's reminder rows.
BASELINE = [
    """
    UPDATE arrangements_installment i SET state = 'missed'
      FROM arrangements_paymentplan p JOIN accounts_patientaccount a ON a.id = p.account_id
      LEFT JOIN arrangements_planpolicy pp ON pp.client_id = a.client_id
     WHERE i.plan_id = p.id AND p.state IN ('active', 'late') AND i.state = 'open'
       AND i.due_date + coalesce(pp.grace_days, 5) < %(today)s
    """,
    """
    CREATE TEMP TABLE broke ON COMMIT DROP AS
    SELECT p.id, p.account_id, p.state AS old_state FROM arrangements_paymentplan p
     WHERE p.state IN ('active', 'late')
       AND EXISTS (SELECT 1 FROM arrangements_installment i WHERE i.plan_id = p.id AND i.state = 'missed')
    """,
    """
    UPDATE arrangements_paymentplan p SET state = 'broken', state_changed_at = %(now)s,
           broken_reason = 'installment missed' FROM broke b WHERE p.id = b.id
    """,
    """
    UPDATE accounts_patientaccount a SET status = 'active', status_changed_at = %(now)s
      FROM broke b WHERE a.id = b.account_id AND a.status = 'in_arrangement'
    """,
    """
    INSERT INTO audit_auditevent (created_at, action, account_id, data)
    SELECT %(now)s, 'arrangements.plan.state_changed', account_id,
           jsonb_build_object('plan_id', id, 'from', old_state, 'to', 'broken') FROM broke
    UNION ALL
    SELECT %(now)s, 'accounts.status.changed', account_id,
           jsonb_build_object('from', 'in_arrangement', 'to', 'active') FROM broke
    """,
    """
    WITH late AS (
        UPDATE arrangements_paymentplan p SET state = 'late', state_changed_at = %(now)s
         WHERE p.state = 'active' AND EXISTS (
             SELECT 1 FROM arrangements_installment i
              WHERE i.plan_id = p.id AND i.state <> 'paid' AND i.due_date < %(today)s)
        RETURNING p.id, p.account_id)
    INSERT INTO audit_auditevent (created_at, action, account_id, data)
    SELECT %(now)s, 'arrangements.plan.state_changed', account_id,
           jsonb_build_object('plan_id', id, 'from', 'active', 'to', 'late') FROM late
    """,
    """
    INSERT INTO arrangements_send (key, kind, account_id, installment_id, due_date, amount, channel, state,
                                   send_after, reasons, created_at, updated_at)
    SELECT 'reminder:' || i.id || ':' || i.due_date, 'reminder', p.account_id, i.id, i.due_date,
           i.amount - i.paid, '', 'pending', %(now)s, '[]', %(now)s, %(now)s
      FROM arrangements_installment i JOIN arrangements_paymentplan p ON p.id = i.plan_id
     WHERE p.state IN ('active', 'late') AND i.state = 'open'
       AND i.due_date BETWEEN %(today)s AND %(today)s + 3
    ON CONFLICT (key) DO NOTHING
    """,
]


def main() -> None:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from arrangements.models import PaymentPlan, Send
    from arrangements.sends import arrangements_sweep

    today = timezone.localdate()
    now = timezone.now()
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    plans = int(os.environ.get("BENCH_PLANS", "200000"))
    if PaymentPlan.objects.count() < plans:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in SETUP:
                cursor.execute(sql, {"today": today, "plans": plans})
            cursor.execute("ANALYZE arrangements_paymentplan; ANALYZE arrangements_installment")
        # Yesterday's sweep, kept: today's runs then do one day's work.
        arrangements_sweep(today=today - dt.timedelta(days=1), now=now - dt.timedelta(days=1), deliver=False)
        print(f"setup: {time.perf_counter() - started:.1f} s", file=sys.stderr)  # noqa: T201

    def ours() -> dict:
        return arrangements_sweep(today=today, now=now, deliver=False)

    def baseline() -> dict:
        with connection.cursor() as cursor:
            for sql in BASELINE:
                cursor.execute(sql, {"today": today, "now": now})
        return {}

    timings: dict[str, list[float]] = {"sweep": [], "sql": []}
    outcome = {}
    for _ in range(rounds):
        for name, run in (("sweep", ours), ("sql", baseline)):
            with transaction.atomic():
                start = time.perf_counter()
                result = run()
                timings[name].append(time.perf_counter() - start)
                if name == "sweep":
                    outcome = result | {"send_rows_after": Send.objects.count()}
                transaction.set_rollback(True)
    sweep, sql = statistics.median(timings["sweep"]), statistics.median(timings["sql"])
    print(  # noqa: T201
        json.dumps(
            {
                "plans": PaymentPlan.objects.count(),
                "active_or_late": PaymentPlan.objects.filter(state__in=["active", "late"]).count(),
                "today": today.isoformat(),
                "sweep_outcome": outcome,
                "sweep_s": [round(t, 3) for t in timings["sweep"]],
                "sql_s": [round(t, 3) for t in timings["sql"]],
                "ratio_median": round(sweep / sql, 2),
            },
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
