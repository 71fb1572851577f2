"""The README's run command, end to end: a fresh data folder, embedded PostgreSQL and Redis, migrations,
demo data, web + worker + beat; a seeded collector opens an account of their team and gets a 404 for
another team's, finds work in their queue and takes the next account; Ctrl-C stops every process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"desk.py run exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {seconds} s:\n{log.read_text()[-4000:]}")


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/auth/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()


def first_account_url(page) -> str:
    link = page.locator("#results tbody a").first
    return link.get_attribute("href")


def test_run_serves_demo_data_scoped_by_team_and_ctrl_c_stops_everything(tmp_path, browser):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {"DESK_DATA_DIR": str(tmp_path / "data"), "DEMO_ACCOUNTS": "120", "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "desk.py", "run", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(f"{base}/auth/login/", process, log, seconds=240)
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/" in printed
        assert "collector1" in printed
        assert "demo-collector-2026" in printed

        east, west = browser.new_context(), browser.new_context()
        east_page, west_page = east.new_page(), west.new_page()
        log_in(east_page, base, "collector1", "demo-collector-2026")
        log_in(west_page, base, "collector4", "demo-collector-2026")
        own, other = first_account_url(east_page), first_account_url(west_page)
        assert own
        assert other
        assert own != other

        assert east_page.goto(f"{base}{own}").status == 200
        expect(east_page.locator("#ws-header h1")).to_contain_text("guarantor")
        expect(east_page.locator("#balance")).to_have_text("verify first")  # a collector verifies first
        assert east_page.goto(f"{base}{other}").status == 404
        # The queues are scored before the app serves: the demo's queue has work at once.
        east_page.goto(f"{base}/desk/")
        expect(east_page.locator("#queue-rows tbody td.num").first).to_be_visible()
        expect(east_page.locator("#queue-rows")).not_to_contain_text("Nothing to work")
        east_page.get_by_role("button", name="Work next account").click()
        expect(east_page).to_have_url(re.compile(r"/work/\d+/$"))
        east.close()
        west.close()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        code = process.wait(90)

    assert code == 0, log.read_text()[-4000:]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base}/auth/login/", timeout=2)  # noqa: S310
    leftovers = [
        p.info
        for p in psutil.process_iter(["pid", "name", "cmdline"])
        if p.info["cmdline"] and any(str(tmp_path) in part for part in p.info["cmdline"])
    ]
    assert leftovers == []
