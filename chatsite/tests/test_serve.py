"""`manage.py serve`: the production shape on one machine, HAProxy in front of daphne workers.

The end-to-end test runs it as a deployment would (production settings, Redis, two workers),
and a visitor on one worker and an agent on the other chat through the proxy.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from benchmarks.chat.load import open_socket, session_cookies, wait_for_greeting
from benchmarks.chat.scenarios import frame_of, hand_over
from chatsite.management.commands import serve
from testsupport.harness import ServedBehindProxy, process_stat, require_installed

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def test_the_proxy_knows_each_worker_by_its_socket(tmp_path):
    backends = serve.proxy_backends(folder=tmp_path, workers=3)

    assert backends.splitlines() == [
        "backend workers",
        f"    server web1 {tmp_path / 'web1.sock'}",
        f"    server web2 {tmp_path / 'web2.sock'}",
        f"    server web3 {tmp_path / 'web3.sock'}",
    ]


def test_a_worker_listens_on_its_socket_for_the_proxy(tmp_path):
    command = serve.daphne_command(socket=tmp_path / "web1.sock")

    assert f"unix:{tmp_path / 'web1.sock'}:backlog=1024" in command
    # The visitor's address is the proxy's X-Forwarded-For, not the proxy's own.
    assert "--proxy-headers" in command


def test_several_workers_without_redis_are_refused(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY

    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("serve", "--workers=2", "--skip-setup")


@pytest.mark.parametrize("bind", ["8000", "localhost", "127.0.0.1:http", "127.0.0.1:70000"])
def test_an_address_without_a_port_is_refused(bind):
    with pytest.raises(CommandError, match="host:port"):
        call_command("serve", f"--bind={bind}", "--skip-setup")


def test_no_worker_is_refused():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("serve", "--workers=0", "--skip-setup")


def test_a_machine_without_haproxy_is_told_what_to_install(monkeypatch, settings):
    settings.CHANNEL_LAYERS = IN_MEMORY
    monkeypatch.setattr(serve.shutil, "which", lambda *args, **kwargs: None)

    with pytest.raises(CommandError, match="apt-get install haproxy"):
        call_command("serve", "--workers=1", "--skip-setup")


@pytest.fixture(scope="module")
def served(request, tmp_path_factory):
    """`serve --workers 2` with production settings on Redis, on a migrated SQLite file."""
    require_installed("/usr/sbin/haproxy", "haproxy")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    workdir: Path = tmp_path_factory.mktemp("serve")
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no redirect to https.
        "DJANGO_HTTPS": "0",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "REDIS_URL": redis_url,
        # Its own keys on the shared Redis: nothing of another test's workers reaches it.
        "REDIS_PREFIX": f"serve-{uuid.uuid4().hex}",
    }
    server = ServedBehindProxy(workdir, env, workers=2)
    server.migrate()
    agent_cookie = server.agent_cookie()
    server.start(timeout=60)
    try:
        yield server, agent_cookie
    finally:
        if server.proc.poll() is None:
            server.stop()


def running(pid: int) -> bool:
    """Alive, not a zombie waiting for a parent to read its exit."""
    try:
        return process_stat(pid)[0] != "Z"
    except OSError:
        return False


def worker_of(socket) -> str:
    return socket.response.headers["X-Chat-Worker"]


async def visitor_and_agent_on_two_workers(server: ServedBehindProxy, agent_cookie: str):
    [cookie] = await session_cookies(server.url, 1)
    visitor = await open_socket(server.url, "/ws/chat/", cookie)
    await wait_for_greeting(visitor)
    # Least connections: the agent's socket goes to the worker that does not hold the
    # visitor's (the page views before it are over).
    agent = await open_socket(server.url, "/ws/staff/", agent_cookie)
    return visitor, agent


@pytest.mark.redis
def test_a_visitor_and_an_agent_on_two_workers_chat_through_the_proxy(served):
    server, agent_cookie = served

    async def scenario():
        visitor, agent = await visitor_and_agent_on_two_workers(server, agent_cookie)
        try:
            assert {worker_of(visitor), worker_of(agent)} == {"web1", "web2"}
            # Presence crosses workers: the agent's console, open on the other worker, puts
            # the visitor's chat online.
            await frame_of(visitor, "online", online=True)
            await hand_over(visitor=visitor, agent=agent, question="How much is the mug?")
        finally:
            await visitor.close()
            await agent.close()

    asyncio.run(scenario())


@pytest.mark.redis
def test_stopping_serve_stops_every_process_it_started(served):
    server, _ = served
    processes = server.processes()
    # The supervisor, two daphne workers, the webhook worker and the proxy at least.
    assert len(processes) >= 5, processes

    server.stop()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(running, processes)):
        time.sleep(0.1)
    alive = [pid for pid in processes if running(pid)]
    assert not alive, f"still running after serve stopped: {alive}\n{server.output()[-3000:]}"


# ------------------------------------------------------------------ the same shape in Docker

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_dockers_proxy_configuration_is_valid_haproxy():
    require_installed("/usr/sbin/haproxy", "haproxy")
    folder = ROOT / "deploy" / "haproxy"

    result = subprocess.run(
        ["/usr/sbin/haproxy", "-c", "-f", folder / "haproxy.cfg", "-f", folder / "docker.cfg"],
        env={"CHAT_BIND": ":8000"},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_workers_scale_behind_the_proxy():
    services = compose()["services"]

    # Replicas publish no port of their own (a fixed one would stop the second), and the
    # proxy finds them by the service's name.
    assert "ports" not in services["web"]
    assert services["proxy"]["ports"] == ["8000:8000"]
    assert "web:8000" in (ROOT / "deploy" / "haproxy" / "docker.cfg").read_text()
    # One migration run before any worker starts, not one per replica.
    assert services["web"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
