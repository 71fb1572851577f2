"""The queue page's shared parts, kept in Redis: the rows of a queue and a team's list of queues.

Every collector of a team loads the same top of the same queue, and every open queue page reloads its
rows every minute; built once per page, the rows (their statement, the compliance marks and their
render) and the saved queues were 3.4 ms of the page's 8.2 (bench/README.md, fifth pass). Built once per
team every few seconds instead, they are what everybody sees.

Freshness. Each team has generations in Redis, replaced by `teams_changed` after every change to what its
queues show: a lease given back, a claim made from a page (desk.views._work_next: not inside
lease_claim_next, bench/README.md, fifth pass), an account rescored, a rescore run; and, for the saved
queues as well, a queue saved or a team renamed. A cached part carries the generations it was built under
and is used only while they are current; since it is stamped with generations read before it was built, a
change that commits during the build leaves it stale, not wrongly current. What changes with the clock
alone (a callback falling due, a lapsed lease, a call window opening) shows within ROWS_SECONDS, well
inside the page's own one-minute refresh. Claim-next picks from the tables; only the order in which it
tries the callable accounts comes from the shared rows, and it checks each of them afresh.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from desk.selectors import QueueChoice, queue_choice_in, queues_for

ROWS_SECONDS = 10
# Saved queues change only through desk.services (and a team saved, desk.signals), which replace the
# generation: the hour only bounds what a lost generation (a Redis restart) could leave behind.
QUEUES_SECONDS = 3600


class RowMark(NamedTuple):
    """What the views need of a shared row besides its HTML: whom the page shows (for its view event)
    and who may be called now (claim-next tries them first). Kept instead of the whole QueueRow, whose
    50 rows took 0.22 ms a page to unpickle, against 0.01 ms for these (bench/README.md, eighth pass)."""

    account_id: int
    callable: bool | None


# Two generations per team: "rows" (what its queues list) and "queues" (its saved queues: names, filters,
# orders). A lease or a rescore replaces the first only; a saved queue or a team saved replaces both.
_KINDS = ("rows", "queues")


def _generation_key(kind: str, team_id: int) -> str:
    return f"desk:team-{kind}:{team_id}"


def teams_changed(team_ids: Iterable[int], *, queues: bool = False) -> None:
    """What the queues of these teams show has changed (with `queues`, their saved queues themselves): the
    cached parts are stale from now on. Inside a transaction it is said again when the transaction
    commits: a page that rebuilt in between read the data from before the change, and must not be taken
    as current."""
    kinds = _KINDS if queues else ("rows",)
    keys = [_generation_key(kind, t) for t in set(team_ids) for kind in kinds]
    if not keys:
        return
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)
    if not connection.get_autocommit():
        transaction.on_commit(lambda: cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None))


def _stamp(generations: dict[str, str], kind: str, team_ids: Iterable[int]) -> tuple[str, ...]:
    return tuple(generations[_generation_key(kind, t)] for t in sorted(team_ids))


def _rows_key(queue_id: int | None, teams: list[int]) -> str:
    # "My queue" is the viewer's teams; a saved queue is its own team's, whoever looks at it.
    return f"desk:rows:{queue_id}" if queue_id else f"desk:rows:mine:{','.join(map(str, teams))}"


def queue_parts(
    *,
    user: Any,
    queue_id: int | None,
    teams: list[int],
    build_rows: Callable[[QueueChoice], tuple[list[RowMark], str]],
    current: bool = True,
) -> tuple[QueueChoice, list[QueueChoice], list[RowMark], str]:
    """The queue `queue_id` (None: "My queue") as `user` may see it, the queues they may pick, and the
    queue's rows with their HTML (made by `build_rows` when the cached ones are not current). `teams` is
    `team_ids_visible_to(user)`. Raises Http404 for a queue the user may not work (queue_choice_in).
    One round trip to Redis when everything is current. `current=False`: rows younger than ROWS_SECONDS
    do even if a change has made them stale since (for claim-next's order of tries, which it checks)."""
    queues_key = f"desk:queues:{','.join(map(str, teams))}"
    rows_key = _rows_key(queue_id, teams)
    generation_keys = [_generation_key(kind, t) for t in teams for kind in _KINDS]
    found = cache.get_many([*generation_keys, queues_key, rows_key])
    generations = {key: found[key] for key in generation_keys if key in found}
    missing = [key for key in generation_keys if key not in generations]
    if missing:
        # A team never changed since Redis started: give it a generation now. `add` keeps one written
        # meanwhile by another page or a change, which is then read back.
        for key in missing:
            cache.add(key, uuid.uuid4().hex, timeout=None)
        again = cache.get_many(missing)
        generations |= {key: again.get(key, "") for key in missing}

    cached = found.get(queues_key)
    if cached is not None and cached[0] == _stamp(generations, "queues", teams):
        queues = cached[1]
    else:
        queues = queues_for(user, teams=teams)
        cache.set(queues_key, (_stamp(generations, "queues", teams), queues), QUEUES_SECONDS)
    choice = queue_choice_in(queues, queue_id)

    # A saved queue's rows depend on its definition too (filters, order, name in the caption).
    stamp = (_stamp(generations, "rows", choice.team_ids), _stamp(generations, "queues", choice.team_ids))
    cached = found.get(rows_key)
    now = timezone.now().timestamp()
    if cached is not None and (cached[0] == stamp or not current) and 0 <= now - cached[1] < ROWS_SECONDS:
        rows, html = cached[2]
    else:
        rows, html = build_rows(choice)
        cache.set(rows_key, (stamp, now, (rows, html)), ROWS_SECONDS)
    return choice, queues, rows, html
