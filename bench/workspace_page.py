"""Account workspace under load: p50/p95/p99 server latency with 16 concurrent clients (wrk) on the
1M-account data, gunicorn with prod settings, one collector's session opening random accounts of their team.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cd_bench .venv/bin/python bench/workspace_page.py

Needs `wrk` (Debian package). Target ([queue] issue): p95 <= 100 ms.
"""

from __future__ import annotations

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
# The session is made here and read by gunicorn: both must sign with the same key.
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 60)

LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
math.randomseed(7)
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Cookie"] = "sessionid=%(session)s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.1f %%.1f %%.1f %%.1f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    import django

    django.setup()
    from django.test import Client

    from accounts.selectors import accounts_visible_to
    from staff.models import User

    user = User.objects.get(username=os.environ.get("BENCH_USER", "collector1"))
    ids = list(accounts_visible_to(user).order_by("?").values_list("id", flat=True)[:5000])
    random.Random(7).shuffle(ids)
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value

    work = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    (work / "paths.txt").write_text("".join(f"/work/{i}/\n" for i in ids))
    (work / "ws.lua").write_text(LUA % {"paths": work / "paths.txt", "session": session})

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "collections_desk.settings.prod",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    # Prod settings serve hashed static files from the manifest that collectstatic writes.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    workers = os.environ.get("BENCH_WORKERS", "2")
    server = subprocess.Popen(
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
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # A redirect to the login page would be fast and wrong: the session must open a real workspace.
        probe = urllib.request.Request(f"{base}/work/{ids[0]}/", headers={"Cookie": f"sessionid={session}"})
        with urllib.request.urlopen(probe, timeout=10) as response:
            if response.status != 200 or b'id="ws-header"' not in response.read():
                raise SystemExit("the bench session does not reach the workspace")
        # Warm every worker's connection and caches.
        subprocess.run(
            ["wrk", "-t2", "-c16", "-d5s", "-s", str(work / "ws.lua"), base],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                "-c16",
                f"-d{os.environ.get('BENCH_SECONDS', '30')}s",
                "-s",
                str(work / "ws.lua"),
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))

    requests, duration_us, p50, p95, p99, worst, errors = line.split()[1:]
    result = {
        "page": "workspace /work/<id>/",
        "clients": 16,
        "gunicorn_workers": int(workers),
        "requests": int(requests),
        "req_per_s": round(int(requests) / (int(duration_us) / 1e6), 1),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "max_ms": float(worst),
        "non_2xx": int(errors),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
