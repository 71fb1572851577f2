"""The collector's queue page (50 rows, with the reasons) under load, against a bare one-query view, in
the same gunicorn and the same run: p50/p95/p99 latency and req/s with 16 concurrent clients (wrk).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/queue_page.py

Target ([queue] issue): the queue page's p95 <= 2 x the one-query view's p95. Needs `wrk` and a scored
database (`manage.py queue_rescore`). BENCH_USER (default collector1), BENCH_SECONDS (default 30),
BENCH_WORKERS (gunicorn workers, default 2), BENCH_ROUNDS (alternating rounds, default 2).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
# The session is made here and read by gunicorn: both must sign with the same key.
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)

LUA = """
request = function()
  return wrk.format("GET", "%(path)s", {["Cookie"] = "sessionid=%(session)s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.2f %%.2f %%.2f %%.2f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def main() -> None:
    import django

    django.setup()
    from django.test import Client

    from staff.models import User

    user = User.objects.get(username=os.environ.get("BENCH_USER", "collector1"))
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value

    work = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    scripts = {}
    for name, url in (("one_query", "/bench/one-query/"), ("queue", "/desk/")):
        scripts[name] = work / f"{name}.lua"
        scripts[name].write_text(LUA % {"path": url, "session": session})

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "queue_bench_settings",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    workers = os.environ.get("BENCH_WORKERS", "2")
    seconds = int(os.environ.get("BENCH_SECONDS", "30"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "collections_desk.wsgi:application",
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
    results: dict[str, list[dict]] = {"one_query": [], "queue": []}
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 - our loopback
                break
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(  # noqa: S310
            urllib.request.Request(f"{base}/desk/", headers={"Cookie": f"sessionid={session}"}), timeout=10
        ) as response:
            page = response.read().decode()
            rows = page.count('<td class="why">')
        for name in scripts:  # warm every worker's connection and template cache
            wrk(base, scripts[name], 3)
        # Alternate the two so that load from anything else on the machine hits both alike.
        for _ in range(rounds):
            for name in scripts:
                results[name].append(wrk(base, scripts[name], seconds))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)

    def best_of(runs: list[dict]) -> dict:
        return min(runs, key=lambda r: r["p95_ms"])

    summary = {
        "user": user.username,
        "queue_rows": rows,
        "clients": 16,
        "gunicorn_workers": int(workers),
        "seconds_per_round": seconds,
        "rounds": results,
        "p95_ratio_median_round": round(
            sorted(
                q["p95_ms"] / b["p95_ms"] for q, b in zip(results["queue"], results["one_query"], strict=True)
            )[len(results["queue"]) // 2],
            2,
        ),
        "best_one_query": best_of(results["one_query"]),
        "best_queue": best_of(results["queue"]),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
