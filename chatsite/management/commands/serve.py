"""Serve the site as production runs it on one machine, without Docker.

HAProxy (Debian's package) listens on the public address and spreads visitors over N daphne
workers, each on a Unix socket of its own; with Redis, the webhook worker runs beside them.
One supervisor (honcho) starts them, prints their output with a name per line, and stops all
of them when one dies or when it is told to stop (SIGTERM, Ctrl-C), so systemd or a container
runtime restarts the whole shape as one service.
"""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from honcho.manager import Manager

# The project's folder: manage.py, the workers' working directory.
ROOT = Path(__file__).resolve().parents[3]
PROXY_CONFIG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
ASGI_APPLICATION = "chatsite.asgi:application"


def worker_socket(*, folder: Path, number: int) -> Path:
    return folder / f"web{number}.sock"


def proxy_backends(*, folder: Path, workers: int) -> str:
    """The servers behind the proxy: one per daphne worker, by its socket."""
    lines = ["backend workers"]
    lines += [
        f"    server web{n} {worker_socket(folder=folder, number=n)}" for n in range(1, workers + 1)
    ]
    return "\n".join(lines) + "\n"


def daphne_command(*, socket: Path) -> str:
    # A listen backlog of 1024 (Twisted's default is 50) lets a burst of visitors connect
    # without waiting on retries; daphne pings every socket idle for 20 s and drops those
    # silent for 30 s; the visitor's address comes from the proxy's X-Forwarded-For. No line
    # per request (verbosity 0): thousands a second through the supervisor would cost more
    # CPU than the requests; the site's own log (DJANGO_LOG_LEVEL) still reaches stdout.
    return shlex.join(
        [
            sys.executable,
            "-m",
            "daphne",
            "-e",
            f"unix:{socket}:backlog=1024",
            "--ping-interval",
            "20",
            "--ping-timeout",
            "30",
            "--proxy-headers",
            "--verbosity",
            "0",
            ASGI_APPLICATION,
        ]
    )


class Command(BaseCommand):
    help = "Serve the site behind HAProxy with several daphne workers (and the webhook worker)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="daphne processes (default: one per core)",
        )
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8000",
            help="the proxy's public address, host:port (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--skip-setup",
            action="store_true",
            help="start at once, without migrate and collectstatic",
        )

    def handle(self, *args, workers: int, bind: str, skip_setup: bool, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        _host, colon, port = bind.rpartition(":")
        if not colon or not port.isdigit() or not 0 < int(port) < 65536:
            raise CommandError(
                f"--bind takes host:port (or :port for every address), not {bind!r}."
            )
        if workers > 1 and "RedisChannelLayer" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
            raise CommandError(
                "Several workers reach each other's sockets only through Redis: set REDIS_URL "
                "(or REDIS_SENTINELS), or serve with --workers 1."
            )
        proxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
        if proxy is None:
            raise CommandError("HAProxy is not installed (Debian: apt-get install haproxy).")
        if not skip_setup:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)

        # Every visitor holds a socket in a worker and two in the proxy; the usual soft limit
        # of 1,024 open files would turn visitors away long before the CPU is busy.
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

        with tempfile.TemporaryDirectory(prefix="chat-serve-") as folder:
            run = Path(folder)
            backends = run / "backends.cfg"
            backends.write_text(proxy_backends(folder=run, workers=workers))

            manager = Manager()
            environment = dict(os.environ)
            for n in range(1, workers + 1):
                socket = worker_socket(folder=run, number=n)
                manager.add_process(
                    f"web{n}", "exec " + daphne_command(socket=socket), env=environment, cwd=ROOT
                )
            if not settings.CHAT_WEBHOOK_IN_PROCESS_WORKER:
                manager.add_process(
                    "webhooks",
                    "exec "
                    + shlex.join(
                        [
                            sys.executable,
                            "manage.py",
                            "rundramatiq",
                            "--processes",
                            "1",
                            "--threads",
                            "4",
                        ]
                    ),
                    env=environment,
                    cwd=ROOT,
                )
            manager.add_process(
                "proxy",
                "exec " + shlex.join([proxy, "-db", "-f", str(PROXY_CONFIG), "-f", str(backends)]),
                env=environment | {"CHAT_BIND": bind},
                cwd=ROOT,
            )
            self.stdout.write(f"Serving on http://{bind}/ with {workers} worker(s) behind HAProxy.")
            self.stdout.flush()
            manager.loop()
        if manager.returncode:
            sys.exit(manager.returncode)
