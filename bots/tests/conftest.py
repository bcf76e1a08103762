"""Fixtures for the bots' browser tests: a real server with a superuser, and Debian's Chromium.

The server is a Daphne subprocess on its own SQLite file (not the Django test database), as in
chat/tests/test_e2e_browser.py; bots/ does not import chat/, tests included, so it is repeated
here in small.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    message = f"Debian chromium not installed at {CHROMIUM}: apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class AdminServer:
    url: str
    username: str
    password: str
    log_path: Path

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env: dict[str, str], log_path: Path, *args: str) -> None:
    with open(log_path, "ab") as log:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    if result.returncode != 0:
        pytest.fail(
            f"manage.py {args[0]} failed (exit {result.returncode}):\n"
            f"{log_path.read_text(errors='replace')}"
        )


def _wait_until_up(proc: subprocess.Popen, url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"daphne exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(url + "/admin/login/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers HTTP, even if with an error status
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    pytest.fail(f"daphne did not answer on {url} within {timeout}s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def admin_server(request):
    """A Daphne server on a fresh migrated database holding one superuser."""
    require_chromium()  # no server started for nothing
    with tempfile.TemporaryDirectory(prefix="bots-e2e-") as tmp:
        workdir = Path(tmp)
        port = _free_port()
        server = AdminServer(
            url=f"http://127.0.0.1:{port}",
            username="staff",
            password="a-long-test-password-7",
            log_path=workdir / "server.log",
        )
        env = dict(os.environ)
        # Let manage.py / asgi.py pick the real settings, whatever pytest configured.
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            {
                "DATABASE_URL": f"sqlite:///{workdir / 'e2e.sqlite3'}",
                "DJANGO_DEBUG": "1",
                "PYTHONUNBUFFERED": "1",
                "DJANGO_SUPERUSER_PASSWORD": server.password,
            }
        )
        _manage(env, server.log_path, "migrate", "--noinput")
        _manage(
            env,
            server.log_path,
            "createsuperuser",
            "--noinput",
            "--username",
            server.username,
            "--email",
            "staff@example.com",
        )
        with open(server.log_path, "ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "chatsite.asgi:application",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        failed_before = request.session.testsfailed
        try:
            _wait_until_up(proc, server.url, server.log_path, timeout=30)
            yield server
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            if request.session.testsfailed > failed_before:
                reporter = request.config.pluginmanager.get_plugin("terminalreporter")
                text = f"\n----- daphne output ({server.url}) -----\n{server.output()}\n"
                if reporter is not None:
                    reporter.write_line(text)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright; no browser is ever downloaded."""
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
