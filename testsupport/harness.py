"""Project-level test support for every app (chat/, bots/, ...): real-browser tests, and
races run for real on the database.

``ServerProcess`` runs Daphne as a subprocess on its own SQLite file (not the Django test
database), and ``launch_chromium`` drives Debian's Chromium through Playwright; no browser is
ever downloaded.  Both fail rather than skip in CI (env ``CI`` set).
"""

from __future__ import annotations

import atexit
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LISTEN_BACKLOG = 1024
# A server told to stop finishes the webhook POSTs under way (10 s at most) and the sockets'
# database work (5 s at most, chatsite/shutdown.py); one that takes longer hangs.
STOP_TIMEOUT = 20
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


# --------------------------------------------------------------------------- browser


def require_installed(path: str, package: str) -> None:
    """Skip (fail in CI) unless the Debian program at ``path`` is installed."""
    if os.path.exists(path):
        return
    message = f"{path} is not installed: apt-get install {package}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_chromium() -> None:
    """Skip (fail in CI) unless Debian's Chromium is installed."""
    require_installed(CHROMIUM, "chromium")


@contextmanager
def launch_chromium():
    """Debian's headless Chromium, launched by Playwright and closed on exit."""
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------- server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect itself is the answer (urlopen raises HTTPError for it)


# A server with DJANGO_HTTPS on redirects plain http:// to https://, which nothing here
# listens on: following it would wait out the timeout for a server that is already up.
_probe_opener = urllib.request.build_opener(_NoRedirect)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A freshly migrated SQLite database of this test process (ServerProcess.migrate).
_migrated: Path | None = None


class ServerProcess:
    """A Daphne subprocess that can be killed and restarted on the same port and DB.

    ``env`` is added to the subprocesses' environment (e.g. ``DJANGO_SUPERUSER_PASSWORD``).
    ``REDIS_URL`` (if set) is passed through unchanged via ``os.environ``.
    """

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str] | None = None,
        *,
        name: str = "server",
        application: str = "chatsite.asgi:application",
        daphne_args: tuple[str, ...] = (),
    ):
        self.workdir = workdir
        self.application = application
        self.daphne_args = daphne_args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.database_path = workdir / "e2e.sqlite3"
        self.proc: subprocess.Popen | None = None
        self.env = dict(os.environ)
        # Let manage.py / asgi.py pick the real settings, whatever pytest configured.
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.env.update(
            {
                "DATABASE_URL": f"sqlite:///{self.database_path}",
                "DJANGO_DEBUG": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env.update(env or {})

    def _log(self):
        return open(self.log_path, "ab")

    def manage(self, *args: str) -> None:
        """Run ``manage.py *args`` against the server's database; fail the test if it fails."""
        with self._log() as log:
            result = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
            )
        if result.returncode != 0:
            pytest.fail(f"manage.py {args[0]} failed (exit {result.returncode}):\n{self.output()}")

    def agent_cookie(self, username: str = "agent") -> str:
        """The session cookie of a staff member in the "Agents" group, logged in (the
        session made by a manage.py command, as a login would)."""
        path = self.workdir / f"{username}.session"
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, "
            "HASH_SESSION_KEY;"
            "from django.contrib.auth.models import Group;"
            "from django.contrib.sessions.backends.db import SessionStore;"
            f"u = get_user_model().objects.create_user({username!r}, is_staff=True,"
            f" first_name={username.title()!r});"
            "u.groups.add(Group.objects.get(name='Agents'));"
            "s = SessionStore(); s[SESSION_KEY] = str(u.pk);"
            "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend';"
            "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.save();"
            f"open({str(path)!r}, 'w').write(s.session_key)",
        )
        return "sessionid=" + path.read_text().strip()

    def migrate(self) -> None:
        """A freshly migrated database: migrated once per test process and copied for every
        server after (a migrate is a Django start-up of 2.5 s; a copy, a few milliseconds)."""
        global _migrated
        # No setting changes what the migrations write. Only a new SQLite file is a copy: a
        # database that exists already, or a server's on PostgreSQL, migrates.
        url = self.env["DATABASE_URL"]
        new_sqlite = url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists()
        if new_sqlite and _migrated is not None:
            shutil.copyfile(_migrated, url[len("sqlite:///") :])
            return
        self.manage("migrate", "--noinput")
        if new_sqlite:
            folder = Path(tempfile.mkdtemp(prefix="chat-migrated-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            _migrated = folder / "migrated.sqlite3"
            shutil.copyfile(url[len("sqlite:///") :], _migrated)

    def command(self) -> list[str]:
        """The server's command line."""
        return [
            sys.executable,
            "-m",
            "daphne",
            # Twisted listens with a backlog of 50 unless told: a burst of connects would
            # wait for SYN retries.
            "-e",
            f"tcp:port={self.port}:interface=127.0.0.1:backlog={LISTEN_BACKLOG}",
            *self.daphne_args,
            self.application,
        ]

    def ready(self) -> bool:
        """Whether the server answers HTTP (with any status)."""
        try:
            _probe_opener.open(self.url + "/", timeout=2).close()
            return True
        except urllib.error.HTTPError:
            return True  # it answers HTTP, even if with an error status
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def start(self, timeout: float = 30.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        with self._log() as log:
            self.proc = subprocess.Popen(
                self.command(), cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
            if self.ready():
                return
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"{self.name} did not answer on {self.url} within {timeout}s:\n{self.output()}")

    def processes(self) -> list[int]:
        """The pids of the server and everything it started, however deep."""
        return [self.proc.pid, *descendants(self.proc.pid)] if self.proc else []

    def kill(self) -> None:
        """Abrupt death (SIGKILL): connections drop without a closing handshake."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop as a deploy does (SIGTERM); fail if the server does not stop by itself."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                pytest.fail(
                    f"{self.name} was still running {STOP_TIMEOUT} s after SIGTERM (killed):\n"
                    f"{self.output()[-4000:]}"
                )

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class ServedBehindProxy(ServerProcess):
    """The production shape on one machine (``manage.py serve``): HAProxy on the port,
    ``workers`` daphne processes behind it, and the webhook worker when on Redis."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None, *, workers: int, **kw):
        kw.setdefault("name", "serve")
        super().__init__(workdir, env, **kw)
        self.workers = workers
        self.seen_workers: set[str] = set()

    def command(self) -> list[str]:
        return [
            sys.executable,
            "manage.py",
            "serve",
            f"--workers={self.workers}",
            f"--bind=127.0.0.1:{self.port}",
        ]

    def ready(self) -> bool:
        """Whether every worker has answered through the proxy (the proxy answers 503 until
        its health checks find the workers' sockets)."""
        try:
            response = _probe_opener.open(self.url + "/", timeout=2)
        except urllib.error.HTTPError as error:
            response = error
        except (urllib.error.URLError, ConnectionError, OSError):
            return False
        with response:
            if response.status != 503:
                self.seen_workers.add(response.headers.get("X-Chat-Worker", ""))
        return len(self.seen_workers - {""}) >= self.workers


def process_stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (which, in parentheses, may
    hold spaces): the state first, then the parent's pid, ...; OSError once it has ended."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    """The pids of every living process started by ``pid``, children first."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(process_stat(int(entry.name))[1])
        except OSError:
            continue
        parents.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        children = parents.get(queue.pop(0), [])
        found += children
        queue += children
    return found


@contextmanager
def serve(
    request: pytest.FixtureRequest,
    prefix: str,
    *,
    env: dict[str, str] | None = None,
    commands: Iterable[tuple[str, ...]] = (),
) -> Iterator[ServerProcess]:
    """For a fixture: a started server on a fresh migrated database in a temporary folder.

    ``commands`` are further manage.py commands run after migrate.  The server is stopped on
    exit, and its log is printed if a test failed meanwhile.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        server = ServerProcess(Path(tmp), env=env)
        failed_before = request.session.testsfailed
        server.migrate()
        for command in commands:
            server.manage(*command)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            if request.session.testsfailed > failed_before:
                log = server.output()
                text = f"\n----- daphne output ({server.url}) -----\n{log}\n----- end -----\n"
                reporter = request.config.pluginmanager.get_plugin("terminalreporter")
                if reporter is not None:
                    reporter.write_line(text)
                else:  # pragma: no cover
                    sys.__stderr__.write(text)


# The chat box's first request when it opens, which starts the visitor's session.
AGENT_INFO_PATH = "/restapi/get-agent-info"


def visitor_cookie(base_url: str) -> str:
    """A new visitor's session cookie, as a browser gets it: a page view (which sets none),
    then the chat box opening."""
    with urllib.request.urlopen(base_url + "/", timeout=30) as response:
        response.read()
    with urllib.request.urlopen(base_url + AGENT_INFO_PATH, timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or ():
            cookie = SimpleCookie(header)
            if "sessionid" in cookie:
                return f"sessionid={cookie['sessionid'].value}"
    raise RuntimeError(f"{base_url}{AGENT_INFO_PATH} set no session cookie")


# --------------------------------------------------------------------------- races


def require_concurrent_writers() -> None:
    """Skip (fail in CI) unless the test database lets threads write at once."""
    from django.db import connection

    if connection.vendor == "sqlite":
        # The in-memory SQLite test database refuses concurrent writers outright ("database
        # table is locked") instead of waiting; CI runs the suite on PostgreSQL.
        pytest.skip("needs a database with concurrent writers (PostgreSQL: set DATABASE_URL)")


def require_postgresql() -> None:
    """Skip (fail in CI) unless the test database is PostgreSQL: for what only it has (the
    console's full-text search, chat.search). CI runs the suite on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def run_at_once(target: Callable[[object], object], arguments: Iterable[object]) -> list:
    """Call ``target(argument)`` for each argument at the same moment: one thread each,
    each with its own database connection, released together by a barrier.

    Returns what the calls raised, for the test (in its own thread) to look at.
    """
    from django.db import connection

    arguments = list(arguments)
    barrier = threading.Barrier(len(arguments))
    raised: list[BaseException] = []

    def run(argument: object) -> None:
        try:
            barrier.wait(timeout=10)
            target(argument)
        except BaseException as exc:
            raised.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return raised


# --------------------------------------------------------------------------- another site


@contextmanager
def plain_site(origin: str, page: dict[str, bytes]) -> Iterator[str]:
    """Another site, not Django: a static web server at ``origin`` ("http://127.0.0.3:8123")
    answering every GET with ``page["html"]`` (which may be set once the chat's server runs)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- the standard library's name
            body = page["html"]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    host, port = origin.removeprefix("http://").split(":")
    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        thread.join()
