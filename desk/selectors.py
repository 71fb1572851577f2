"""Reads for the desk: queues, their rows with the reasons for each row's place, weights, leases and the
manager's desk view. Accounts are reached through `accounts_visible_to` like everywhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus
from collections_desk.lib.jsonb import jsonb_object
from collections_desk.lib.rows import instance_reader
from compliance.selectors import call_decisions
from contacts.models import RIGHT_PARTY_DISPOSITIONS, ContactAttempt
from desk.models import Lease, PriorityWeights, Queue, QueueOrder
from desk.scoring import FACTOR_NAMES, factor_phrase
from staff.models import Team, User


def workspace_url(account_id: int) -> str:
    """Where a collector lands after claiming an account: the account workspace."""
    return reverse("workspace:account", args=[account_id])


def lease_duration() -> timedelta:
    return timedelta(minutes=settings.DESK_LEASE_MINUTES)


def can_manage(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and (user.is_admin_role or user.is_manager_role)


def team_ids_visible_to(user: Any) -> list[int]:
    """The teams whose accounts `accounts_visible_to(user)` returns: all for admins, their own else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if not user.is_admin_role:
        return user.member_team_ids()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Team._meta.db_table} ORDER BY id")  # noqa: S608 - our names
        return [team_id for (team_id,) in cursor.fetchall()]


# --- Weights ---------------------------------------------------------------------------------------


def _as_dict(w: PriorityWeights) -> dict[str, int]:
    return {name: getattr(w, name) for name in FACTOR_NAMES}


def weights_defaults() -> dict[str, int]:
    return _as_dict(PriorityWeights())


def weights_resolved() -> dict[int, dict[str, int]]:
    """Every team's effective weights: its own row, else the global row, else the model defaults."""
    rows = {w.team_id: _as_dict(w) for w in PriorityWeights.objects.all()}
    default = rows.get(None) or weights_defaults()
    return {team_id: rows.get(team_id, default) for team_id in Team.objects.values_list("id", flat=True)}


def weights_for(*, team: Team | None) -> PriorityWeights:
    """The row a manager edits: the team's override, or an unsaved copy of the global weights."""
    if team is not None:
        own = PriorityWeights.objects.filter(team=team).first()
        if own is not None:
            return own
    base = PriorityWeights.objects.filter(team__isnull=True).first() or PriorityWeights()
    return PriorityWeights(team=team, **_as_dict(base)) if team is not None else base


# --- Queues ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueChoice:
    """A queue as a user sees it: the implicit "My queue" (id None) or a saved one."""

    id: int | None
    name: str
    team_ids: tuple[int, ...]
    queue: Queue | None = None

    @property
    def order_label(self) -> str:
        return QueueOrder(queue_order(self.queue)).label


def queues_for(user: Any, *, teams: list[int] | None = None) -> list[QueueChoice]:
    teams = team_ids_visible_to(user) if teams is None else teams
    mine = QueueChoice(id=None, name="My queue", team_ids=tuple(teams))
    saved = Queue.objects.filter(team_id__in=teams, is_active=True).select_related("team")
    return [
        mine,
        *(
            QueueChoice(id=q.pk, name=f"{q.name} · {q.team.name}", team_ids=(q.team_id,), queue=q)
            for q in saved
        ),
    ]


def queues_managed_by(user: Any) -> list[Queue]:
    """The saved queues a manager (of their teams) or an admin may edit, inactive ones included."""
    if not can_manage(user):
        return []
    return list(Queue.objects.filter(team_id__in=team_ids_visible_to(user)).select_related("team", "client"))


def queue_choice_get(*, user: Any, queue_id: int | None, teams: list[int] | None = None) -> QueueChoice:
    """The queue `queue_id` if the user may work it (404 otherwise); None is "My queue". `teams` is
    `team_ids_visible_to(user)` when the caller already has it."""
    return queue_choice_in(queues_for(user, teams=teams), queue_id)


def queue_choice_in(queues: list[QueueChoice], queue_id: int | None) -> QueueChoice:
    """The queue `queue_id` among the queues a user may work (queues_for); Http404 if it is not one."""
    choice = next((q for q in queues if q.id == queue_id), None)
    if choice is None:
        raise Http404("No such queue")
    return choice


def queue_filter_sql(queue: Queue | None, *, today: Any) -> tuple[str, list[Any]]:
    """The saved filter as SQL over desk_accountpriority (aliased p)."""
    if queue is None:
        return "", []
    parts, params = [], []
    if queue.client_id:
        parts.append("p.client_id = %s")
        params.append(queue.client_id)
    if queue.status:
        parts.append("p.status = %s")
        params.append(queue.status)
    if queue.balance_min is not None:
        parts.append("p.balance >= %s")
        params.append(queue.balance_min)
    if queue.balance_max is not None:
        parts.append("p.balance <= %s")
        params.append(queue.balance_max)
    if queue.age_min_days is not None:
        parts.append("p.placement_date <= %s")
        params.append(today - timedelta(days=queue.age_min_days))
    if queue.age_max_days is not None:
        parts.append("p.placement_date >= %s")
        params.append(today - timedelta(days=queue.age_max_days))
    if queue.state:
        parts.append("p.state = %s")
        params.append(queue.state.upper())
    return "".join(f" AND {part}" for part in parts), params


# Whitelisted ORDER BY clauses over desk_accountpriority (aliased p), one per QueueOrder, each read
# through its own partial index (desk.models.AccountPriority.Meta.indexes).
ORDER_SQL = {
    QueueOrder.PRIORITY: "p.score DESC, p.account_id",
    QueueOrder.BALANCE: "p.balance DESC, p.account_id",
    QueueOrder.OLDEST: "p.placement_date, p.account_id",
    QueueOrder.LEAST_RECENT: "p.last_attempt_at NULLS FIRST, p.account_id",
}


def queue_order(queue: Queue | None) -> str:
    return queue.order_by if queue is not None else QueueOrder.PRIORITY


def due_column(order: str) -> str:
    """The column whose past times are the callbacks due ahead of the order. In priority order a
    callback already due at scoring time is in the score, so only those that fell due since
    (callback_pending_at) need a look; in the other orders every due callback goes first."""
    return "callback_pending_at" if order == QueueOrder.PRIORITY else "next_action_at"


def team_filter_sql(team_ids: tuple[int, ...] | list[int]) -> tuple[str, list[Any]]:
    # One team as an equality: PostgreSQL then walks prio_team_score in score order. Several teams use
    # = ANY, which it serves from the global prio_score index, filtering by team.
    if len(team_ids) == 1:
        return "p.team_id = %s", [team_ids[0]]
    return "p.team_id = ANY(%s)", [list(team_ids)]


@dataclass
class QueueRow:
    """One queue line, ready to print: plain values rather than model instances (a page of 50 rows
    would otherwise build 150 objects and format 50 balances through the localization machinery)."""

    account_id: int
    account_number: str
    guarantor: str
    client_code: str
    balance: Decimal
    balance_text: str
    status: str
    status_label: str
    score: int
    points: dict[str, int]
    reasons: list[tuple[str, str]] = field(default_factory=list)
    rank: str = ""
    score_text: str = ""
    guarantor_id: int = 0
    client_id: int = 0
    # The compliance engine's answer to "may I call now?" (queue_rows_with_calls)
    callable: bool | None = None
    call_summary: str = ""


_ROWS_SQL = """
SELECT r.account_id, r.score, r.factors, r.callback_pending_at, r.last_attempt_at, r.attempts_without_rpc,
       -- the team's callback weight (its own row, else the global one, else the default), for a
       -- callback that fell due since the last rescore
       COALESCE((SELECT w.callback_due FROM desk_priorityweights w WHERE w.team_id = r.team_id),
                (SELECT w.callback_due FROM desk_priorityweights w WHERE w.team_id IS NULL), %s),
       a.client_account_number, a.balance, a.status, a.placement_date, g.first_name, g.last_name, c.code,
       r.half, r.n, a.guarantor_id, a.client_id
  FROM (
    (SELECT p.account_id, p.score, p.factors, p.callback_pending_at, p.team_id, p.last_attempt_at,
            p.attempts_without_rpc, 0 AS half, row_number() OVER (ORDER BY p.{due}) AS n
       FROM desk_accountpriority p
      WHERE p.{due} <= %s AND p.workable AND {teams}
        AND (p.held_until IS NULL OR p.held_until <= %s){filters}
      ORDER BY p.{due} LIMIT %s)
    UNION ALL
    (SELECT p.account_id, p.score, p.factors, p.callback_pending_at, p.team_id, p.last_attempt_at,
            p.attempts_without_rpc, 1 AS half, row_number() OVER (ORDER BY {order}) AS n
       FROM desk_accountpriority p
      WHERE p.workable AND {teams}
        AND (p.held_until IS NULL OR p.held_until <= %s){filters}
      ORDER BY {order} LIMIT %s)
  ) r
  -- The account must be visible to the user now (the rule of accounts_visible_to, as in claim-next):
  -- a priority row left stale by a team move until the next rescore never shows another team's account.
  JOIN accounts_patientaccount a ON a.id = r.account_id AND a.team_id = ANY(%s)
  JOIN accounts_person g ON g.id = a.guarantor_id
  JOIN accounts_client c ON c.id = a.client_id
"""


def queue_rows(*, choice: QueueChoice, limit: int = 50, now: datetime | None = None) -> list[QueueRow]:
    """The next `limit` accounts of a queue in the order claim-next would hand them out (accounts held
    by someone are left out), each with the factors that put it there. One query whatever `limit`.

    `choice` comes from queue_choice_get/queues_for, whose team ids are the user's visible teams (or
    one of them), so the account join below applies the rule of accounts_visible_to."""
    now = now or timezone.now()
    if not choice.team_ids:
        return []
    teams_sql, teams_params = team_filter_sql(choice.team_ids)
    filters_sql, filters_params = queue_filter_sql(choice.queue, today=now.astimezone(UTC).date())
    order = queue_order(choice.queue)
    sql = _ROWS_SQL.format(
        teams=teams_sql, filters=filters_sql, order=ORDER_SQL[order], due=due_column(order)
    )
    params = [
        weights_defaults()["callback_due"],
        *(now, *teams_params, now, *filters_params, limit),
        *(*teams_params, now, *filters_params, limit),
        list(choice.team_ids),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    today = now.astimezone(UTC).date()
    labels = dict(AccountStatus.choices)
    found = []
    for row in raw:
        score, factors, pending_at, callback_weight = row[1], row[2], row[3], row[6]
        points = jsonb_object(factors)
        if pending_at is not None and pending_at <= now and "callback_due" not in points:
            # Fell due since the last rescore: counted now, as claim-next counts it.
            points["callback_due"] = callback_weight
            score += callback_weight
        found.append((score, points, row))
    if order == QueueOrder.PRIORITY:
        # A due callback is in the score (its weight dominates): one ranking by score.
        key = lambda item: (-item[0], item[2][0])  # noqa: E731
    else:
        # Other orders: due callbacks first (by due time), then the queue's order, as SQL returned them.
        key = lambda item: (item[2][14], item[2][15])  # noqa: E731
    # The two halves of the union may both hold an account with a callback due: keep its first place.
    unique: dict[int, tuple[int, dict[str, int], tuple]] = {}
    for item in sorted(found, key=key):
        unique.setdefault(item[2][0], item)
    rows = []
    for score, points, row in list(unique.values())[:limit]:
        account_id, _, _, _, last_attempt_at, no_rpc, _, number, balance, status, placement_date = row[:11]
        first, last, client_code = row[11:14]
        top = sorted(((n, p) for n, p in points.items() if p > 0), key=lambda item: -item[1])[:3]
        reasons = [
            (
                factor_phrase(
                    name,
                    balance=balance,
                    placement_date=placement_date,
                    today=today,
                    last_attempt_at=last_attempt_at,
                    now=now,
                    attempts_without_rpc=no_rpc,
                ),
                str(pts),  # strings: the template would localize every integer (slow, and pointless)
            )
            for name, pts in top
        ]
        rows.append(
            QueueRow(
                account_id=account_id,
                account_number=number,
                guarantor=f"{last}, {first}",
                client_code=client_code,
                balance=balance,
                balance_text=f"${balance:,.2f}",
                status=status,
                status_label=labels.get(status, status),
                score=score,
                points=points,
                reasons=reasons,
                rank=str(len(rows) + 1),
                score_text=str(score),
                guarantor_id=row[16],
                client_id=row[17],
            )
        )
    return rows


def queue_rows_with_calls(
    *, choice: QueueChoice, limit: int = 50, now: datetime | None = None
) -> list[QueueRow]:
    """queue_rows, each marked by the compliance engine as callable now or not (with the rule and the
    next time the call is allowed, in the person's local time), callable rows first. The rank printed
    stays the priority rank, so a row moved down says why."""
    now = now or timezone.now()
    rows = queue_rows(choice=choice, limit=limit, now=now)
    # The marks are kept a minute in Redis, like the page itself (it refreshes every minute), so the
    # top of a team's queue, which every collector of the team loads, is judged once a minute, not once
    # per page; any change made in the workspace drops the account's mark (account_rescore). The
    # workspace and the attempt log always ask the engine afresh.
    keys = {r.account_id: call_mark_key(r.account_id) for r in rows}
    marks = cache.get_many(list(keys.values()))
    missing = [(r.account_id, r.guarantor_id, r.client_id) for r in rows if keys[r.account_id] not in marks]
    if missing:
        fresh = {keys[a]: (d.allowed, d.summary) for a, d in call_decisions(missing, now=now).items()}
        cache.set_many(fresh, CALL_MARK_SECONDS)
        marks.update(fresh)
    for row in rows:
        row.callable, row.call_summary = marks[keys[row.account_id]]
    return sorted(rows, key=lambda r: not r.callable)


CALL_MARK_SECONDS = 60


def call_mark_key(account_id: int) -> str:
    return f"desk:call-mark:{account_id}"


# --- Leases ----------------------------------------------------------------------------------------


def lease_open_for(*, user: Any) -> Lease | None:
    """The user's open lease, if any (an expired one is not open: someone else may have the account)."""
    # At most one open lease per holder (a unique constraint): no ORDER BY, no account join (every
    # page asks; few pages print the account, and those load it when they do). Raw SQL for the reason
    # given in team_ids_visible_to.
    return _read_open_lease([user.pk, timezone.now()])


_read_open_lease = instance_reader(Lease, "holder_id = %s AND released_at IS NULL AND expires_at > %s")


@dataclass
class DeskRow:
    collector: User
    lease: Lease | None
    attempts: int
    rpcs: int
    promises: int


def desk_overview(*, user: Any, now: datetime | None = None) -> list[DeskRow]:
    """For a manager (their teams) or an admin (all): each collector, their open lease, and today's
    counts (UTC day) of attempts, right-party contacts and promises. Three queries."""
    now = now or timezone.now()
    teams = team_ids_visible_to(user)
    collectors = list(
        User.objects.filter(role=User.Role.COLLECTOR, is_active=True, teams__in=teams)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    ids = [c.pk for c in collectors]
    leases = {
        lease.holder_id: lease
        for lease in Lease.objects.filter(
            holder_id__in=ids, released_at__isnull=True, expires_at__gt=now
        ).select_related("account__guarantor")
    }
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = {
        row["actor_id"]: row
        for row in ContactAttempt.objects.filter(
            actor_id__in=ids, occurred_at__gte=start, occurred_at__lte=now
        )
        .values("actor_id")
        .annotate(
            attempts=Count("id"),
            rpcs=Count("id", filter=Q(disposition__in=RIGHT_PARTY_DISPOSITIONS)),
            promises=Count("id", filter=Q(disposition="promise")),
        )
    }
    empty = {"attempts": 0, "rpcs": 0, "promises": 0}
    return [
        DeskRow(
            collector=c,
            lease=leases.get(c.pk),
            attempts=counts.get(c.pk, empty)["attempts"],
            rpcs=counts.get(c.pk, empty)["rpcs"],
            promises=counts.get(c.pk, empty)["promises"],
        )
        for c in collectors
    ]
