"""Pages one after another in one process (Django's test client, production settings plus the bench's
baseline views): wall and CPU p50 per page, without gunicorn, wrk or other clients in the way. For
comparing two versions of the code back to back (run it from each checkout in turn, on the same data);
the figures of the issue come from bench/pages.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/in_process.py
    … bench/in_process.py /desk/ /bench/patient-floor/      # only these
    … bench/in_process.py workspace                          # 300 random accounts of the team

Without arguments: the queue page and the three baselines of bench/queue_bench_urls.py, 1,000 requests
each after 50 to warm up; `workspace` opens BENCH_PAGES (default 300) random accounts of BENCH_USER's
(default collector1) teams, after 20 others.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_bench_settings")
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

DEFAULT_PATHS = ["/desk/", "/bench/patient-floor/", "/bench/login-one-query/", "/bench/one-query/"]


def measure(client, paths: list[str], warm_up: int) -> tuple[float, float]:
    for path in paths[:warm_up]:
        client.get(path)
    walls, cpus = [], []
    for path in paths[warm_up:]:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    import django

    django.setup()
    from django.test import Client

    from accounts.selectors import accounts_visible_to
    from staff.models import User

    user = User.objects.get(username=os.environ.get("BENCH_USER", "collector1"))
    client = Client()
    client.force_login(user)
    args = sys.argv[1:] or DEFAULT_PATHS
    if args == ["workspace"]:
        count = int(os.environ.get("BENCH_PAGES", "300"))
        ids = list(accounts_visible_to(user).order_by("id").values_list("id", flat=True)[:200_000])
        sample = random.Random(11).sample(ids, count + 20)
        wall, cpu = measure(client, [f"/work/{i}/" for i in sample], warm_up=20)
        print(f"workspace ({count} accounts)  wall p50 {wall:.2f} ms  cpu p50 {cpu:.2f} ms")
        return
    for path in args:
        wall, cpu = measure(client, [path] * 1050, warm_up=50)
        print(f"{path:28s} wall p50 {wall:.2f} ms  cpu p50 {cpu:.2f} ms")


if __name__ == "__main__":
    main()
