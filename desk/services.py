"""Writes for the desk: the materialized priority, claim-next leases, weights and queues. Each service owns
its transaction and writes its audit event inside it. Two exceptions, on purpose: the rescore writes no
event (it derives numbers from facts other services already audited, and a million "rescored" events
would drown the log), and claim-next writes its events from its own single SQL statement, in the shape
audit_record writes them, because one round trip per claim is what lets 32 collectors claim at once."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from psycopg import sql as pg_sql

from accounts.models import PatientAccount
from accounts.selectors import accounts_visible_to
from audit.context import current_ip
from audit.services import audit_record
from collections_desk.lib.rows import instance_written
from desk.models import (
    QUEUE_FIELDS,
    WORKABLE_STATUSES,
    Lease,
    PriorityWeights,
    Queue,
    QueueOrder,
    ReleaseReason,
)
from desk.queue_cache import teams_changed
from desk.scoring import FACTOR_NAMES, RPC_RESET_DISPOSITIONS, callback_dominance_gap
from desk.selectors import (
    ORDER_SQL,
    QueueChoice,
    call_mark_key,
    can_manage,
    due_column,
    lease_duration,
    queue_filter_sql,
    queue_order,
    team_filter_sql,
    weights_for,
    weights_resolved,
)
from staff.models import Team


class LeaseLost(Exception):
    """The lease is no longer the caller's: it expired, was released or was broken."""


# --- The score -------------------------------------------------------------------------------------

# The facts and points of a range of account ids, as the rows desk_accountpriority stores. Must agree
# with desk.scoring.factor_points (a test holds them to it).
_FACTS_SQL = """
WITH w (team_id, callback_due, promise_due, new_placement, balance, days_since_placement,
        days_since_contact, attempts_without_rpc) AS (VALUES {weights}),
att AS (
    SELECT account_id, max(occurred_at) AS last_at, count(*) FILTER (WHERE rpc_seen = 0) AS no_rpc
    FROM (
        SELECT l.patientaccount_id AS account_id, c.occurred_at,
               count(*) FILTER (WHERE c.disposition = ANY(%(rpc)s)) OVER (
                   PARTITION BY l.patientaccount_id ORDER BY c.occurred_at DESC, c.id DESC
                   ROWS UNBOUNDED PRECEDING) AS rpc_seen
        FROM contacts_contactattempt_accounts l
        JOIN contacts_contactattempt c ON c.id = l.contactattempt_id
        WHERE l.patientaccount_id BETWEEN %(lo)s AND %(hi)s
    ) s
    GROUP BY account_id
),
f AS (
    SELECT a.id AS account_id, a.team_id, a.client_id, a.status, a.status = ANY(%(workable)s) AS workable,
           a.balance, a.placement_date, a.next_action_at, coalesce(ad.state, '') AS state,
           att.last_at, coalesce(att.no_rpc, 0) AS no_rpc,
           coalesce(a.next_action_at <= %(now)s, false) AS callback_due,
           -- a promise due today or earlier, or a promise or plan broken since the last attempt
           (EXISTS (SELECT 1 FROM arrangements_promise pr
                     WHERE pr.account_id = a.id AND pr.state = 'pending'
                       AND pr.due_date <= (%(now)s AT TIME ZONE 'UTC')::date)
            OR EXISTS (SELECT 1 FROM arrangements_promise pr
                        WHERE pr.account_id = a.id AND pr.state = 'broken'
                          AND (att.last_at IS NULL OR att.last_at < pr.state_changed_at))
            OR EXISTS (SELECT 1 FROM arrangements_paymentplan pl
                        WHERE pl.account_id = a.id AND pl.state = 'broken'
                          AND (att.last_at IS NULL OR att.last_at < pl.state_changed_at))) AS promise_due,
           att.account_id IS NULL AS new_placement,
           greatest(0, (%(now)s AT TIME ZONE 'UTC')::date - a.placement_date) AS placed_days,
           greatest(0, floor(extract(epoch FROM %(now)s - att.last_at) / 86400))::int AS contact_days
    FROM accounts_patientaccount a
    LEFT JOIN att ON att.account_id = a.id
    LEFT JOIN contacts_address ad ON ad.person_id = a.guarantor_id AND ad.is_primary
    WHERE a.id BETWEEN %(lo)s AND %(hi)s AND (%(team)s::bigint IS NULL OR a.team_id = %(team)s::bigint)
),
p AS (
    SELECT f.*,
           CASE WHEN f.callback_due THEN w.callback_due ELSE 0 END AS p_callback_due,
           CASE WHEN f.promise_due THEN w.promise_due ELSE 0 END AS p_promise_due,
           CASE WHEN f.new_placement THEN w.new_placement ELSE 0 END AS p_new_placement,
           round(w.balance * least(greatest(f.balance, 0), 10000) / 1000)::int AS p_balance,
           round(w.days_since_placement * least(f.placed_days, 365)::numeric / 30)::int
               AS p_days_since_placement,
           coalesce(round(w.days_since_contact * least(f.contact_days, 91)::numeric / 7)::int, 0)
               AS p_days_since_contact,
           w.attempts_without_rpc * least(f.no_rpc, 10)::int AS p_attempts_without_rpc
    FROM f JOIN w ON w.team_id = f.team_id
)
SELECT account_id, team_id, client_id, status, workable, balance, placement_date, state, next_action_at,
       CASE WHEN next_action_at > %(now)s THEN next_action_at END AS callback_pending_at,
       last_at AS last_attempt_at, no_rpc AS attempts_without_rpc,
       p_callback_due + p_promise_due + p_new_placement + p_balance + p_days_since_placement
           + p_days_since_contact + p_attempts_without_rpc AS score,
       jsonb_strip_nulls(jsonb_build_object(
           'callback_due', nullif(p_callback_due, 0), 'promise_due', nullif(p_promise_due, 0),
           'new_placement', nullif(p_new_placement, 0), 'balance', nullif(p_balance, 0),
           'days_since_placement', nullif(p_days_since_placement, 0),
           'days_since_contact', nullif(p_days_since_contact, 0),
           'attempts_without_rpc', nullif(p_attempts_without_rpc, 0))) AS factors,
       %(now)s::timestamptz AS computed_at
FROM p
"""

_COLUMNS = (
    "account_id, team_id, client_id, status, workable, balance, placement_date, state, next_action_at, "
    "callback_pending_at, last_attempt_at, attempts_without_rpc, score, factors, computed_at"
)

# Rows whose numbers did not change are not rewritten, so a periodic run mostly reads. Lease columns
# are never touched here: they belong to the lease services.
_UPSERT_SQL = (
    f"INSERT INTO desk_accountpriority AS d ({_COLUMNS}) {{source}} "
    """
ON CONFLICT (account_id) DO UPDATE SET
    team_id = EXCLUDED.team_id, client_id = EXCLUDED.client_id, status = EXCLUDED.status,
    workable = EXCLUDED.workable, balance = EXCLUDED.balance, placement_date = EXCLUDED.placement_date,
    state = EXCLUDED.state, next_action_at = EXCLUDED.next_action_at,
    callback_pending_at = EXCLUDED.callback_pending_at, last_attempt_at = EXCLUDED.last_attempt_at,
    attempts_without_rpc = EXCLUDED.attempts_without_rpc, score = EXCLUDED.score,
    factors = EXCLUDED.factors, computed_at = EXCLUDED.computed_at
WHERE (d.team_id, d.client_id, d.status, d.workable, d.balance, d.placement_date, d.state, d.next_action_at,
       d.callback_pending_at, d.last_attempt_at, d.attempts_without_rpc, d.score, d.factors)
      IS DISTINCT FROM
      (EXCLUDED.team_id, EXCLUDED.client_id, EXCLUDED.status, EXCLUDED.workable, EXCLUDED.balance,
       EXCLUDED.placement_date, EXCLUDED.state, EXCLUDED.next_action_at, EXCLUDED.callback_pending_at,
       EXCLUDED.last_attempt_at, EXCLUDED.attempts_without_rpc, EXCLUDED.score, EXCLUDED.factors)
"""
)


def _facts_sql(
    *, lo: int, hi: int, now: datetime, weights: dict[int, dict[str, int]], team_id: int | None
) -> tuple[str, dict[str, Any]]:
    # Weights are integers from our own table, inlined as a VALUES list (psycopg cannot bind a list of
    # rows); int() makes sure nothing else gets in.
    values = ", ".join(
        "(" + ", ".join(str(int(v)) for v in (team, *(w[n] for n in FACTOR_NAMES))) + ")"
        for team, w in weights.items()
    )
    params = {
        "lo": lo,
        "hi": hi,
        "now": now,
        "team": team_id,
        "rpc": list(RPC_RESET_DISPOSITIONS),
        "workable": [s.value for s in WORKABLE_STATUSES],
    }
    return _FACTS_SQL.format(weights=values), params


def _rescore_range(
    *, lo: int, hi: int, now: datetime, weights: dict[int, dict[str, int]], team_id: int | None = None
) -> int:
    if not weights:
        return 0
    sql, params = _facts_sql(lo=lo, hi=hi, now=now, weights=weights, team_id=team_id)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_SQL.format(source=sql), params)
        return cursor.rowcount


def account_rescore(*, account_id: int, now: datetime | None = None) -> None:
    """Recompute one account's priority now. Call it after anything that changes a factor (an attempt
    logged, a callback scheduled, a payment, a status change) so queues see it at once."""
    with transaction.atomic():
        _rescore_range(lo=account_id, hi=account_id, now=now or timezone.now(), weights=weights_resolved())
    # What changed may change whether the guarantor can be called: the queue asks the engine again.
    cache.delete(call_mark_key(account_id))
    teams_changed(PatientAccount.objects.filter(pk=account_id).values_list("team_id", flat=True))


def queue_rescore(
    *, team_id: int | None = None, chunk_size: int = 50_000, now: datetime | None = None
) -> int:
    """Recompute every account's priority (or one team's), set-based. Returns the rows written.

    The facts are computed in one pass into a temporary table (each source table is read once), then
    written in chunks of account ids, one short transaction each, so claimers are never held up by a
    lock on the whole table (SKIP LOCKED only passes over the chunk being written).
    """
    now = now or timezone.now()
    weights = weights_resolved()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM accounts_patientaccount")
        lo, hi = cursor.fetchone()
    if lo is None or not weights:
        return 0
    sql, params = _facts_sql(lo=lo, hi=hi, now=now, weights=weights, team_id=team_id)
    written = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # A batch job: room to sort the attempts in memory instead of on disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("DROP TABLE IF EXISTS desk_rescore")
            cursor.execute(f"CREATE TEMP TABLE desk_rescore AS {sql}", params)  # noqa: S608 - our SQL
            cursor.execute("CREATE INDEX ON desk_rescore (account_id)")
            cursor.execute("ANALYZE desk_rescore")
        for start in range(lo, hi + 1, chunk_size):
            with transaction.atomic(), connection.cursor() as cursor:
                source = f"SELECT {_COLUMNS} FROM desk_rescore WHERE account_id BETWEEN %s AND %s"  # noqa: S608
                cursor.execute(_UPSERT_SQL.format(source=source), [start, start + chunk_size - 1])
                written += cursor.rowcount
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS desk_rescore")
    teams_changed([team_id] if team_id else Team.objects.values_list("id", flat=True))
    if written > (hi - lo + 1) // 20:
        # Fresh statistics right away: with stale ones the planner reads the small pending-callback
        # index as if it were large and the queue page goes from 1 ms to 200 ms.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE desk_accountpriority")
    return written


# --- Leases ----------------------------------------------------------------------------------------


def _compact(sql: str) -> str:
    """The statement without its comments and the spaces around punctuation. Under 4 KB psycopg caches
    its conversion of the named placeholders (a regex pass over the text) instead of redoing it on every
    claim. Safe here because no string literal in these statements has a space in it."""
    sql = re.sub(r"\s+", " ", re.sub(r"--[^\n]*", "", sql))
    return re.sub(r" ?([,()=<>]) ?", r"\1", sql).strip()


# "Work next account" in one statement, so a claim costs one round trip (plus commit):
#  * mine/released/unheld: release the caller's open lease (locking its priority row first: the lock order
#    everywhere is priority row, then lease). Every CTE reads the same snapshot, so the account just
#    released is not handed straight back.
#  * due/top: two candidates, each locked with SKIP LOCKED: the earliest callback that fell due after the
#    last rescore (its stored score lacks the callback points, added here from its team's weights) and
#    the top stored score; the higher effective score wins (the loser's lock lasts until commit).
#    Both check the account itself: a team the caller sees (choice.team_ids comes from
#    team_ids_visible_to, the rule of accounts_visible_to) and a workable status, so a stale priority
#    row is passed over rather than handed out.
#  * expired/lease/held: close the picked account's expired lease (if any) at its expiry, insert the
#    new lease (reading `expired` and `released` first, so the old leases have left the partial unique
#    indexes before the new row is checked against them), and mark the priority row held.
#  * audit: as audit_record writes them, one event per "work next": desk.lease.claimed, with the lease
#    it released (`released`) if any; desk.lease.released only when nothing was left to claim;
#    desk.lease.expired for someone else's lapsed lease it closed. (The lease rows keep the whole
#    history; a second event per claim was a quarter of its WAL.)
# `held_until <= now` also means "ended no later than now" for a released row (see _release), and the
# lease starts at that same `now`: the history can never show two holds of an account overlapping.
# The account handed out: in priority order the higher score (a due callback carries its weight); in
# the other orders a due callback first, else the first row in the queue's order.
_PICKED = _compact("""picked AS (
    SELECT account_id, eff FROM (SELECT * FROM due UNION ALL SELECT * FROM top) c
     ORDER BY {pick} LIMIT 1
),""")
# With a list of preferred accounts (those the compliance engine says may be called now, in queue
# order): the first of them nobody holds, else as above.
_PICKED_PREFERRED = _compact("""preferred AS (
    SELECT p.account_id, p.score AS eff FROM desk_accountpriority p
     WHERE p.account_id = ANY(%(prefer)s::bigint[]) AND p.workable AND {teams}
       AND (p.held_until IS NULL OR p.held_until <= %(now)s){filters}
       AND EXISTS (SELECT 1 FROM accounts_patientaccount a WHERE a.id = p.account_id
                      AND a.team_id = ANY({team_list}) AND a.status = ANY({workable}))
     ORDER BY array_position(%(prefer)s::bigint[], p.account_id)
     LIMIT 1
       FOR UPDATE OF p SKIP LOCKED
),
picked AS (
    SELECT account_id, eff FROM (
        (SELECT account_id, eff, 0 AS rank FROM preferred)
        UNION ALL
        (SELECT account_id, eff, 1 FROM (SELECT * FROM due UNION ALL SELECT * FROM top) c
          ORDER BY {pick} LIMIT 1)
    ) candidates
     ORDER BY rank LIMIT 1
),""")

# Tries of a claim that meets another claim of the same collector at the one-open-lease-per-holder index
# (see lease_claim_next); each meeting means that other claim went through.
_CLAIM_TRIES = 5
# In the claim's own transaction it commits asynchronously (see _claim_next); the setting is made by the
# claim statement itself, since a statement of its own would cost a round trip.
_ASYNC_COMMIT = "set_config('synchronous_commit','off',true)"

_CLAIM_SQL = _compact("""
WITH mine AS (
    SELECT p.account_id FROM desk_accountpriority p
      JOIN desk_lease l ON l.account_id = p.account_id AND l.id = p.lease_id
     WHERE l.holder_id = %(user)s AND l.released_at IS NULL
       FOR UPDATE OF p
),
released AS (
    UPDATE desk_lease l
       -- never before the claim: a claim that waited for this user's previous one has an older `now`
       SET released_at = greatest(l.claimed_at, least(%(now)s, l.expires_at)),
           release_reason = CASE WHEN l.expires_at < %(now)s THEN 'expired' ELSE 'next' END,
           released_by_id = %(user)s
     WHERE l.holder_id = %(user)s AND l.released_at IS NULL AND (SELECT count(*) FROM mine) >= 0
    RETURNING l.id, l.account_id, l.release_reason, l.released_at
),
unheld AS (
    UPDATE desk_accountpriority p SET lease_id = NULL, held_until = r.released_at
      FROM released r
     WHERE p.account_id = r.account_id AND p.lease_id = r.id
),
due AS (
    SELECT p.account_id, 0 AS half, p.score + coalesce(
               -- the team's own weight, else the global one, else the default
               (SELECT w.callback_due FROM desk_priorityweights w
                 WHERE w.team_id = p.team_id OR w.team_id IS NULL ORDER BY w.team_id NULLS LAST LIMIT 1),
               {default_callback}) AS eff
      FROM desk_accountpriority p
     WHERE p.{due} <= %(now)s AND p.workable AND {teams}
       AND (p.held_until IS NULL OR p.held_until <= %(now)s){filters}
       AND EXISTS (SELECT 1 FROM accounts_patientaccount a WHERE a.id = p.account_id
                      AND a.team_id = ANY({team_list}) AND a.status = ANY({workable}))
     ORDER BY p.{due}, p.account_id
     LIMIT 1
       FOR UPDATE OF p SKIP LOCKED
),
top AS (
    SELECT p.account_id, 1 AS half, p.score AS eff
      FROM desk_accountpriority p
     WHERE p.workable AND {teams} AND (p.held_until IS NULL OR p.held_until <= %(now)s){filters}
       AND EXISTS (SELECT 1 FROM accounts_patientaccount a WHERE a.id = p.account_id
                      AND a.team_id = ANY({team_list}) AND a.status = ANY({workable}))
     ORDER BY {order}
     LIMIT 1
       FOR UPDATE OF p SKIP LOCKED
),
{picked}
expired AS (
    UPDATE desk_lease l SET released_at = l.expires_at, release_reason = 'expired'
      FROM picked
     WHERE l.account_id = picked.account_id AND l.released_at IS NULL AND l.expires_at <= %(now)s
    RETURNING l.id, l.account_id, l.holder_id
),
lease AS (
    INSERT INTO desk_lease (account_id, holder_id, queue_id, claimed_at, expires_at, release_reason,
                            skip_reason, note)
    SELECT picked.account_id, %(user)s, %(queue)s::bigint, %(now)s, %(expires)s, '', '', ''
      FROM picked
     WHERE (SELECT count(*) FROM expired) + (SELECT count(*) FROM released) >= 0
    RETURNING id, account_id, expires_at
),
held AS (
    UPDATE desk_accountpriority p SET lease_id = lease.id, held_until = lease.expires_at
      FROM lease
     WHERE p.account_id = lease.account_id
),
audit AS (
    INSERT INTO audit_auditevent (created_at, actor_id, action, account_id, data, ip)
    SELECT %(now)s, %(user)s, 'desk.lease.released', r.account_id,
           jsonb_build_object('lease_id', r.id, 'reason', r.release_reason, 'skip_reason', '',
                              'holder_id', %(user)s), %(ip)s::inet
      FROM released r
     WHERE NOT EXISTS (SELECT 1 FROM lease)
    UNION ALL
    SELECT %(now)s, NULL, 'desk.lease.expired', e.account_id,
           jsonb_build_object('lease_id', e.id, 'holder_id', e.holder_id), %(ip)s::inet
      FROM expired e
    UNION ALL
    SELECT %(now)s, %(user)s, 'desk.lease.claimed', l.account_id,
           -- the lease it gave back, if any: {id, account_id, release_reason, released_at}
           jsonb_strip_nulls(jsonb_build_object('lease_id', l.id, 'queue_id', %(queue)s::bigint,
                                                'score', picked.eff, 'released', to_jsonb(r))),
           %(ip)s::inet
      FROM lease l CROSS JOIN picked LEFT JOIN released r ON TRUE
)
-- (Data-modifying CTEs run to completion whether or not this reads them.)
SELECT lease.id, lease.account_id FROM (SELECT {commit}) one LEFT JOIN lease ON TRUE
""")


def _literal(value: Any) -> str:
    # Quoted by psycopg; a '%' in the text would read to psycopg as a placeholder.
    return pg_sql.Literal(value).as_string(None).replace("%", "%%")


def _with_literals(sql: str, params: Sequence[Any]) -> str:
    """A fragment's %s placeholders replaced by its parameters, written as literals."""
    return sql.replace("%s", "{}").format(*(_literal(v) for v in params))


def _claim_sql(*, choice: QueueChoice, now: datetime, prefer: bool = False, alone: bool = False) -> bytes:
    """The claim statement for this queue (see _CLAIM_SQL); its parameters are the claim's own."""
    filters_sql = ""
    if choice.queue is not None:
        filters_sql, filters_params = queue_filter_sql(choice.queue, today=now.astimezone(UTC).date())
        # A saved queue's filters are written into the statement as literals: as parameters, their
        # unknown values made PostgreSQL reckon the generic plan 4-15 times dearer than a custom one, and
        # plan every claim of a filtered queue afresh (2.1 ms a claim against 1.0: bench/README.md, sixth
        # pass). Each saved queue then has a prepared statement of its own on each connection.
        filters_sql = _with_literals(filters_sql, filters_params)
    return _claim_statement(choice.team_ids, filters_sql, queue_order(choice.queue), prefer, alone)


@functools.lru_cache(maxsize=1024)
def _claim_statement(
    team_ids: tuple[int, ...], filters_sql: str, order: str, prefer: bool, alone: bool
) -> bytes:
    # Built once per queue and kept, as bytes: under 32 collectors every microsecond of Python a claim
    # spends costs it about three (bench/README.md, ninth pass), and psycopg hashes the text of a statement
    # on each run to find its conversion and its prepared statement (a bytes object keeps its hash).
    # The queue's teams and the workable statuses are literals too: nothing for psycopg to adapt on
    # every claim (two arrays were half of its work on the parameters).
    literals = {
        "teams": _with_literals(*team_filter_sql(team_ids)),
        "filters": filters_sql,
        "team_list": _literal(list(team_ids)),
        "workable": _literal([s.value for s in WORKABLE_STATUSES]),
    }
    pick = "eff DESC" if order == QueueOrder.PRIORITY else "half"
    sql = _CLAIM_SQL.format(
        **literals,
        order=ORDER_SQL[order],
        due=due_column(order),
        picked=(_PICKED_PREFERRED if prefer else _PICKED).format(**literals, pick=pick),
        commit=_ASYNC_COMMIT if alone else "1",
        default_callback=_literal(PriorityWeights._meta.get_field("callback_due").default),
    )
    return sql.encode()


def _release(
    *, lease: Lease, reason: str, actor: Any, now: datetime, skip_reason: str = "", note: str = ""
) -> bool:
    # Lock order everywhere: the priority row first, then the lease. The claimer takes them in this order
    # too, so a release racing a claim of the same (expired) lease cannot deadlock.
    with connection.cursor() as cursor:
        cursor.execute(
            # held_until keeps the moment the hold ended: a claimer only takes a row whose held_until
            # is at or before its own "now", so no lease can appear to start before the last one ended.
            "UPDATE desk_accountpriority SET lease_id = NULL, held_until = least(%s, %s) "
            "WHERE account_id = %s AND lease_id = %s RETURNING team_id",
            [now, lease.expires_at, lease.account_id, lease.pk],
        )
        teams_changed(team_id for (team_id,) in cursor.fetchall())
        # A lease released after it expired ended at its expiry: the history must not claim a hold the
        # collector no longer had (someone else could have taken the account in between).
        cursor.execute(
            """
            UPDATE desk_lease
               SET released_at = least(%s, expires_at),
                   release_reason = CASE WHEN expires_at < %s THEN 'expired' ELSE %s END,
                   skip_reason = %s, note = %s, released_by_id = %s
             WHERE id = %s AND released_at IS NULL
            RETURNING release_reason
            """,
            [now, now, str(reason), skip_reason, note, getattr(actor, "pk", None), lease.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    audit_record(
        action=f"desk.lease.{'broken' if reason == Lease.ReleaseReason.BROKEN else 'released'}",
        actor=actor,
        account_id=lease.account_id,
        data={
            "lease_id": lease.pk,
            "reason": row[0],
            "skip_reason": skip_reason,
            "holder_id": lease.holder_id,
        },
    )
    return True


def lease_claim_next(
    *, user: Any, choice: QueueChoice, now: datetime | None = None, prefer: Sequence[int] = ()
) -> Lease | None:
    """Release the user's current lease (reason "next") and lease the highest-priority account of the
    queue that nobody holds, for DESK_LEASE_MINUTES. Returns None when the queue has nothing left.
    `prefer`: accounts to hand out first, in that order, if one of them is free (the views pass those
    the compliance engine says may be called now, as the queue page lists them).

    One statement (see _CLAIM_SQL) in one transaction, audited as desk.lease.claimed (naming the lease
    it released), .released when nothing was left, .expired for a lapsed lease it closed. A callback
    that fell due after the last rescore is found through the small callback_pending_at index and
    counted with its team's callback weight, so it comes first at its time, not at the next rescore.
    Concurrent claimers skip each other's rows (SKIP LOCKED); the partial unique indexes on desk_lease
    are the backstop. Two claims of one collector at once (a double click) can both start before either
    commits: the later then meets the one-open-lease-per-holder index and is tried again, and then sees
    the other's lease and releases it.
    """
    for _ in range(_CLAIM_TRIES - 1):
        try:
            return _claim_next(user=user, choice=choice, now=now, prefer=prefer)
        except IntegrityError:
            continue
    return _claim_next(user=user, choice=choice, now=now, prefer=prefer)


def _claim_next(
    *, user: Any, choice: QueueChoice, now: datetime | None, prefer: Sequence[int]
) -> Lease | None:
    now = now or timezone.now()
    if not choice.team_ids:
        lease_release_on_logout(user=user, now=now, reason=Lease.ReleaseReason.NEXT)
        return None
    # In its own transaction (no caller's atomic block), the claim commits asynchronously: it returns
    # before its WAL reaches the disk. A crash in the next ~0.6 s (3 x wal_writer_delay) can lose the
    # claim whole (lease, priority mark and its event together; never half of it), which leaves the
    # account unheld and the collector's lease bar saying so. It cannot lose a claim whose account was
    # then shown: the page's view event commits synchronously, and that flushes every earlier commit's
    # WAL with it. Claims write 7-10x the WAL of the raw loop they are measured against, and waiting for
    # its flush was their bottleneck (bench/README.md, fourth pass). Inside a caller's transaction the
    # setting would cover the caller's own writes too, so there it is not made.
    alone = connection.get_autocommit()  # (connects if need be)
    sql = _claim_sql(choice=choice, now=now, prefer=bool(prefer), alone=alone)
    expires = now + lease_duration()
    params = {"now": now, "expires": expires, "user": user.pk, "queue": choice.id, "ip": current_ip.get()}
    if prefer:
        params["prefer"] = list(prefer)
    # A prepared statement: after five runs PostgreSQL keeps its generic plan, which it reckons cheaper
    # than planning this 13-step statement again (~0.6 ms) because the due-callback indexes end with
    # the account (models.AccountPriority). One statement, so one round trip and no pipeline: with a
    # statement before it (to set plan_cache_mode and take a per-collector lock), 32 collectors made a
    # sixth fewer claims per second (1,290 against 1,530-1,542: bench/README.md, sixth pass).
    try:
        # A savepoint inside a caller's transaction, so that a claim that met its double can be tried
        # again there too.
        with transaction.atomic() if not alone else nullcontext():
            cursor = _claim_cursor(connection.connection)
            cursor.execute(sql, params, prepare=True)
            lease_id, account_id = cursor.fetchone()
    except psycopg.errors.UniqueViolation as e:
        raise IntegrityError(str(e)) from e
    if lease_id is None:
        return None
    return instance_written(
        Lease,
        connection.alias,
        id=lease_id,
        account_id=account_id,
        holder_id=user.pk,
        queue_id=choice.id,
        claimed_at=now,
        expires_at=expires,
    )


def _claim_cursor(pg: psycopg.Connection) -> psycopg.Cursor:
    """The cursor the claims of this database connection go through, made once: making one per claim (its
    adapters, its caches) was 0.01 of the claim's 0.075 ms of Python in one process, and more under
    contention (bench/README.md, ninth pass). Kept on the connection, so it goes with it when Django
    closes it; a connection is one thread's."""
    cursor = getattr(pg, "_desk_claim_cursor", None)
    if cursor is None:
        cursor = pg._desk_claim_cursor = psycopg.Cursor(pg)  # type: ignore[attr-defined]
    return cursor


def lease_renew(*, lease_id: int, user: Any, now: datetime | None = None) -> Lease:
    """Extend the user's open lease to DESK_LEASE_MINUTES from now. Raises LeaseLost if it is not theirs
    or no longer open (expired, released, broken). Audited as desk.lease.renewed."""
    now = now or timezone.now()
    with transaction.atomic():
        lease = Lease.objects.filter(pk=lease_id, holder_id=user.pk).first()
        if lease is None:
            raise LeaseLost
        expires = now + lease_duration()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE desk_accountpriority SET held_until = %s "
                "WHERE account_id = %s AND lease_id = %s AND held_until > %s",
                [expires, lease.account_id, lease.pk, now],
            )
        updated = Lease.objects.filter(pk=lease.pk, released_at__isnull=True, expires_at__gt=now).update(
            expires_at=expires
        )
        if not updated:
            raise LeaseLost
        audit_record(
            action="desk.lease.renewed",
            actor=user,
            account_id=lease.account_id,
            data={"lease_id": lease.pk, "expires_at": expires.isoformat()},
        )
        lease.expires_at = expires
        return lease


def lease_finish(*, lease_id: int, user: Any, now: datetime | None = None) -> bool:
    """The collector is done with the account. False if the lease was no longer open."""
    with transaction.atomic():
        lease = Lease.objects.filter(pk=lease_id, holder_id=user.pk).first()
        if lease is None:
            return False
        return _release(
            lease=lease, reason=Lease.ReleaseReason.FINISHED, actor=user, now=now or timezone.now()
        )


def lease_skip(*, lease_id: int, user: Any, reason: str, note: str = "", now: datetime | None = None) -> bool:
    """Give the account back without working it, with a reason from Lease.SkipReason (and free text,
    required for "other"). Raises ValidationError for a missing reason."""
    if reason not in Lease.SkipReason.values:
        raise ValidationError("Choose why you are skipping this account.", code="skip_reason")
    note = note.strip()
    if reason == Lease.SkipReason.OTHER and not note:
        raise ValidationError("Say why you are skipping this account.", code="skip_note")
    with transaction.atomic():
        lease = Lease.objects.filter(pk=lease_id, holder_id=user.pk).first()
        if lease is None:
            return False
        return _release(
            lease=lease,
            reason=Lease.ReleaseReason.SKIPPED,
            actor=user,
            now=now or timezone.now(),
            skip_reason=reason,
            note=note[:200],
        )


def lease_release_on_logout(
    *, user: Any, now: datetime | None = None, reason: str = ReleaseReason.LOGOUT
) -> int:
    """Release whatever the user holds when they log out, so their account goes back to the queue."""
    with transaction.atomic():
        return sum(
            _release(lease=lease, reason=reason, actor=user, now=now or timezone.now())
            for lease in Lease.objects.filter(holder_id=user.pk, released_at__isnull=True)
        )


def lease_break(*, lease_id: int, actor: Any, now: datetime | None = None) -> bool:
    """A manager (of the account's team) or an admin takes a lease away from its holder. Raises Http404
    for a lease the actor may not see and PermissionDenied for a collector. Audited as desk.lease.broken."""
    with transaction.atomic():
        lease = Lease.objects.filter(pk=lease_id).first()
        if lease is None or not accounts_visible_to(actor).filter(pk=lease.account_id).exists():
            raise Http404("No such lease")
        if not can_manage(actor):
            raise PermissionDenied
        return _release(
            lease=lease, reason=Lease.ReleaseReason.BROKEN, actor=actor, now=now or timezone.now()
        )


# --- Weights and queues ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightsChange:
    weights: PriorityWeights
    changed: dict[str, tuple[int, int]]


def weights_update(*, team: Any | None, actor: Any, values: dict[str, int]) -> WeightsChange:
    """Set the weights of a team (or the global default when `team` is None; admins only), audit the
    change as desk.weights.changed, and rescore the affected accounts after commit (a Celery task: a team
    can hold hundreds of thousands of accounts). A due callback must keep outranking every other
    combination of factors, so weights that break that are refused with a ValidationError."""
    from desk.tasks import queue_rescore as queue_rescore_task

    if not can_manage(actor) or (team is None and not actor.is_admin_role):
        raise PermissionDenied
    if team is not None and not actor.is_admin_role and not actor.teams.filter(pk=team.pk).exists():
        raise Http404("No such team")
    new = {name: int(values[name]) for name in FACTOR_NAMES}
    gap = callback_dominance_gap(new)
    if gap <= 0:
        raise ValidationError(
            "“Callback due” must weigh more than all other factors together (at least %(need)s), so that a "
            "due callback always comes first.",
            code="callback_dominance",
            params={"need": new["callback_due"] - gap + 1},
        )
    with transaction.atomic():
        weights = weights_for(team=team)
        before = {name: getattr(weights, name) for name in FACTOR_NAMES}
        for name, value in new.items():
            setattr(weights, name, value)
        weights.updated_at, weights.updated_by = timezone.now(), actor
        weights.save()
        changed = {n: (before[n], new[n]) for n in FACTOR_NAMES if before[n] != new[n]}
        audit_record(
            action="desk.weights.changed",
            actor=actor,
            data={"team_id": getattr(team, "pk", None), "changed": {n: list(v) for n, v in changed.items()}},
        )
        queue_rescore_task.delay_on_commit(team_id=getattr(team, "pk", None))
    return WeightsChange(weights=weights, changed=changed)


def _check_may_manage_team(actor: Any, team: Any) -> None:
    if not can_manage(actor):
        raise PermissionDenied
    if not actor.is_admin_role and not actor.teams.filter(pk=team.pk).exists():
        raise Http404("No such team")


def queue_create(*, actor: Any, team: Any, name: str, **filters: Any) -> Queue:
    """A manager (of `team`) or an admin saves a queue. Audited as desk.queue.created."""
    _check_may_manage_team(actor, team)
    with transaction.atomic():
        queue = Queue(team=team, name=name.strip(), created_by=actor, **filters)
        queue.full_clean()
        queue.save()
        teams_changed([team.pk], queues=True)
        audit_record(
            action="desk.queue.created",
            actor=actor,
            data={"queue_id": queue.pk, "team_id": team.pk},
        )
    return queue


def queue_update(*, actor: Any, queue_id: int, **changes: Any) -> Queue:
    """A manager of the queue's team (and of the new team, if it moves) or an admin edits a saved queue:
    its filters, its order, or whether it is active (an inactive queue disappears from the pickers and
    its URL answers 404 to collectors; nothing else changes). Audited as desk.queue.updated with the
    names of the fields that changed."""
    unknown = set(changes) - set(QUEUE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown queue fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        queue = Queue.objects.select_for_update().filter(pk=queue_id).first()
        if queue is None:
            raise Http404("No such queue")
        _check_may_manage_team(actor, queue.team)
        old_team = queue.team_id
        if "team" in changes and changes["team"].pk != queue.team_id:
            _check_may_manage_team(actor, changes["team"])
        changed = [name for name, value in changes.items() if getattr(queue, name) != value]
        for name in changed:
            setattr(queue, name, changes[name])
        if "name" in changed:
            queue.name = queue.name.strip()
        if not changed:
            return queue
        queue.full_clean()
        queue.save()
        teams_changed({old_team, queue.team_id}, queues=True)
        audit_record(
            action="desk.queue.updated",
            actor=actor,
            data={"queue_id": queue.pk, "team_id": queue.team_id, "changed": sorted(changed)},
        )
    return queue
