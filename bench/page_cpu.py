"""Where a page's cost goes under load: pages served by one gunicorn to wrk's 16 closed loops (as
bench/pages.py serves them), with the machine's CPU per request by process kind (the gunicorn workers'
Python, PostgreSQL, Redis), summed from /proc over each phase.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/page_cpu.py \
        /desk/ /bench/patient-floor/

Paths default to the queue page and the patient-data floor (bench/queue_bench_urls.py). A backend that
ends during a phase (a worker's connection is replaced after CONN_MAX_AGE) takes its CPU with it: a phase
whose PostgreSQL figure is near zero lost it that way. BENCH_SECONDS per phase (default 15), BENCH_ROUNDS
(default 2), BENCH_WORKERS (gunicorn workers, default 2), BENCH_USER (default collector1).
BENCH_GUNICORN_CONFIG: a gunicorn config file for the server, such as bench/gunicorn_stalls.py, which
prints what a worker was doing when a request ran long.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)

import pages  # noqa: E402 - bench/pages.py, found through the path set above
from cpu_split import ticks  # noqa: E402

KINDS = {"postgres": "postgres", "redis-server": "redis"}


def main() -> None:
    import django

    django.setup()
    from staff.models import User

    cookie = pages.browser_cookie(User.objects.get(username=os.environ.get("BENCH_USER", "collector1")))
    paths = sys.argv[1:] or ["/desk/", "/bench/patient-floor/"]
    seconds = int(os.environ.get("BENCH_SECONDS", "15"))
    work = Path(tempfile.mkdtemp(prefix="bench-page-cpu-"))
    hz = os.sysconf("SC_CLK_TCK")
    workers, config = os.environ.get("BENCH_WORKERS", "2"), os.environ.get("BENCH_GUNICORN_CONFIG")
    with pages.gunicorn(workers, config) as base:
        scripts = {}
        for i, path in enumerate(paths):
            (work / f"{i}.txt").write_text(path + "\n")
            scripts[path] = work / f"{i}.lua"
            scripts[path].write_text(pages.LUA % {"paths": work / f"{i}.txt", "cookie": cookie})
            pages.wrk(base, scripts[path], 5)  # warm the workers up
        for _ in range(int(os.environ.get("BENCH_ROUNDS", "2"))):
            for path in paths:
                before = ticks()
                result = pages.wrk(base, scripts[path], seconds)
                after = ticks()
                by_kind: dict[str, int] = {}
                for pid, (name, t) in after.items():
                    # A process started during the phase (a new connection's backend) counts whole.
                    kind = KINDS.get(name, "python" if "python" in name or "gunicorn" in name else "other")
                    by_kind[kind] = by_kind.get(kind, 0) + t - (before[pid][1] if pid in before else 0)
                n = max(result["requests"], 1)
                split = "  ".join(f"{k} {1000 * v / hz / n:.3f}" for k, v in sorted(by_kind.items()))
                print(
                    f"{path:26s} {result['req_per_s']:8.1f} req/s  p95 {result['p95_ms']:7.2f} ms  "
                    f"non-2xx {result['non_2xx']}  CPU ms per request: {split}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
