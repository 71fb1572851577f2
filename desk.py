#!/usr/bin/env python3
"""The desk's two commands (and a helper):

    python3 desk.py run      install, start PostgreSQL + Redis if not configured, migrate, seed demo data
                             into an empty database, then serve the app with a Celery worker and beat
    python3 desk.py test     install, start the services, run the whole test suite (pytest args pass through)
    python3 desk.py manage … any manage.py command against the same services

Only the standard library is used until the virtual environment exists; then the script re-runs itself
inside it. DATABASE_URL and REDIS_URL, when set, point it at external servers instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
DATA = Path(os.environ.get("DESK_DATA_DIR") or ROOT / ".data")
TOOLS = ROOT / ".data" / "tools"
UV_VERSION = "0.13.9"
DEMO_ACCOUNTS = os.environ.get("DEMO_ACCOUNTS", "400")


def say(message: str) -> None:
    print(f"[desk] {message}", flush=True)


# --- stage 1: the environment (standard library only) ---------------------------------------------


def uv_command() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    uv = TOOLS / "bin" / "uv"
    if not uv.exists():
        say(f"installing uv {UV_VERSION} into {TOOLS}")
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", f"uv=={UV_VERSION}"], check=True)
    return [str(uv)]


def ensure_environment() -> None:
    if sys.version_info[:2] != (3, 12):
        sys.exit(f"Python 3.12 is required (this is {sys.version.split()[0]}); see .python-version.")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_PROJECT_ENVIRONMENT": str(VENV)}
    say("syncing .venv with uv.lock")
    # Compiled at install, as the Dockerfile does (UV_COMPILE_BYTECODE): where the environment sets
    # PYTHONDONTWRITEBYTECODE (the project machines do) nothing else writes the .pyc files, and every
    # process compiled each module it imported from source, 1.8 s for django.setup() against 0.5 s.
    subprocess.run(
        [*uv_command(), "sync", "--locked", "--quiet", "--compile-bytecode", "--python", sys.executable],
        cwd=ROOT,
        env=env,
        check=True,
    )


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


# --- stage 2: inside the environment -------------------------------------------------------------


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=check)


def database_is_empty(env: dict[str, str]) -> bool:
    code = (
        "import sys\n"
        "from accounts.models import PatientAccount\n"
        "sys.exit(0 if PatientAccount.objects.exists() else 3)\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=False
    )
    return result.returncode == 3


def run(argv: list[str], env: dict[str, str]) -> int:
    port = argv[0] if argv else os.environ.get("PORT", "8000")
    env.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
    manage("migrate", "--noinput", "-v", "0", env=env)
    if database_is_empty(env):
        say(f"empty database: loading {DEMO_ACCOUNTS} demo accounts")
        manage("seed_demo", "--accounts", DEMO_ACCOUNTS, "--seed", "1", env=env)
    else:
        say("database has accounts: demo data not reloaded")
        manage("seed_demo", "--logins", env=env)
    # The queues read materialized priorities, which beat refreshes only every 15 minutes: without this
    # the demo's queues would be empty until the first quarter hour.
    manage("queue_rescore", env=env)
    celery = [sys.executable, "-m", "celery", "-A", "collections_desk"]
    commands = {
        "web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
        "beat": [*celery, "beat", "-l", "info", "-s", str(DATA / "celerybeat-schedule")],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}  # noqa: S603
    say(f"Collections Desk: http://127.0.0.1:{port}/   (Ctrl-C stops web, worker, beat and the services)")
    try:
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
        failed = [name for name, child in children.items() if child.poll() is not None]
        say(f"{', '.join(failed)} exited; stopping the rest")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()


def ensure_chromium() -> None:
    from collections_desk.embedded import chromium_path

    if chromium_path():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium for the browser tests")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-liberation"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return
    sys.exit("The browser tests need Chromium: install Debian's `chromium` package (or set CHROMIUM_PATH).")


def test(argv: list[str], env: dict[str, str]) -> int:
    ensure_chromium()
    env["DJANGO_SETTINGS_MODULE"] = "collections_desk.settings.test"
    # Playwright's sync API runs an event loop in the test thread; live_server + ORM need this.
    env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", *argv], cwd=ROOT, env=env, check=False).returncode


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test", "manage"}:
        print(__doc__)
        return 2
    if not in_venv():
        ensure_environment()
        python = VENV / "bin" / "python"
        os.execv(python, [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606

    # Ctrl-C and `kill` both stop everything cleanly, even when started from a shell that ignores
    # SIGINT for background jobs.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    sys.path.insert(0, str(ROOT))
    from collections_desk.embedded import services

    command, argv = sys.argv[1], sys.argv[2:]
    DATA.mkdir(parents=True, exist_ok=True)
    with services(DATA) as service_env:
        env = {**os.environ, **service_env}
        if command == "run":
            return run(argv, env)
        if command == "test":
            return test(argv, env)
        env.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")
        return manage(*argv, env=env, check=False).returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
