"""A load generator that speaks the chat's frame protocol over real WebSockets.

Each simulated visitor has its own session cookie (from a real page view), opens the
chat socket, waits for the greeting, then asks its questions one after another,
each time waiting for the bot's reply. ``run_arrivals`` times visitors as they arrive
(page view, socket, greeting and questions all counted); ``run_visitors`` times only the
questions of visitors who are already connected; ``visit`` is one arriving visitor, whose
questions may also be paced (the soak's steady load, benchmarks/chat/soak.py). It records
every reply's latency, every error, and every frame that was not meant for it: a visitor
message with another visitor's ``client_id``, a reply before its question was acknowledged,
or anything that arrives after its last reply.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy

import httpx
from websockets.asyncio.client import connect

from testsupport.harness import AGENT_INFO_PATH

REPLY_TIMEOUT = 30.0
CONNECT_TIMEOUT = 60.0
# How long a visitor listens after its last reply for frames that should not come.
DRAIN_SECONDS = 0.3
# Handshakes under way at once while idle visitors gather (the burst is measured apart).
IDLE_CONNECTING = 200


@dataclass
class LoadResult:
    visitors: int
    questions: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    misdelivered: int = 0
    connect_seconds: float = 0.0
    #: CPU time the server spent while the visitors asked, if measured.
    server_cpu_seconds: float = 0.0

    @property
    def replies(self) -> int:
        return len(self.latencies)

    @property
    def replies_per_second(self) -> float:
        return self.replies / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms_per_reply(self) -> float:
        return 1000 * self.server_cpu_seconds / self.replies if self.replies else float("nan")

    def percentile_ms(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def session_cookies(base_url: str, count: int, *, concurrency: int = 8) -> list[str]:
    """``count`` new visitors' session cookies, each from a page view and the chat box
    opening (``arrive``), ``concurrency`` visitors at a time."""
    limit = asyncio.Semaphore(concurrency)
    async with visitors_client(concurrency) as client:

        async def one() -> str:
            async with limit:
                return await arrive(client, base_url, "/", AGENT_INFO_PATH)

        return list(await asyncio.gather(*(one() for _ in range(count))))


def visitors_client(connections: int) -> httpx.AsyncClient:
    """One HTTP client for many new visitors: no connection or cookie is kept from one
    visitor to the next (a jar handed to httpx is copied without its policy, so the
    client's own jar is told instead)."""
    client = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=0),
        timeout=CONNECT_TIMEOUT,
    )
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client


def _socket_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://", 1) + path


async def open_socket(base_url: str, path: str, cookie: str):
    return await connect(
        _socket_url(base_url, path),
        origin=base_url,
        additional_headers={"Cookie": cookie} if cookie else {},
        open_timeout=CONNECT_TIMEOUT,
        # The server pings; the client stays silent, as an idle browser tab is.
        ping_interval=None,
        max_size=2**20,
    )


async def _next_frame(socket, timeout: float) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def wait_for_greeting(socket) -> None:
    while True:
        frame = await _next_frame(socket, REPLY_TIMEOUT)
        if frame.get("type") == "message" and frame.get("sender", {}).get("role") == "bot":
            return


async def ask(socket, text: str, client_id: str, result: LoadResult) -> None:
    """Send one question; wait for its acknowledgement (the chat's own echo) and the reply."""
    started = time.perf_counter()
    await socket.send(json.dumps({"type": "message", "text": text, "client_id": client_id}))
    while True:
        frame = await _next_frame(socket, REPLY_TIMEOUT)
        kind = frame.get("type")
        if kind == "error":
            result.errors[frame.get("code", "error")] += 1
            return
        if kind != "message":
            continue  # status, online, typing: not answers
        role = frame.get("sender", {}).get("role")
        if role == "visitor":
            if frame.get("client_id") != client_id:
                result.misdelivered += 1
            continue
        result.latencies.append(time.perf_counter() - started)
        return


async def drain(socket, result: LoadResult) -> None:
    """Anything that still arrives was not an answer to this visitor's questions."""
    try:
        while True:
            frame = await _next_frame(socket, DRAIN_SECONDS)
            if frame.get("type") == "message":
                result.misdelivered += 1
    except TimeoutError:
        return


async def ask_in_turn(
    socket,
    number: int,
    questions: Sequence[str],
    *,
    asks: int,
    tag: str,
    result: LoadResult,
    pace: float | None = None,
) -> None:
    """Visitor ``number`` asks ``asks`` questions one after another, each once the last is
    answered; then listens for anything that should not come. A failure ends its turn.

    ``pace``: seconds from one question to the next, on a schedule kept from the first (open
    loop: a slow reply does not push the later questions back, unless it is slower than the
    pace itself, as a visitor waits for an answer before asking again); ``None``: each the
    moment the last is answered."""
    started = time.perf_counter()
    for asked in range(asks):
        if pace is not None:
            await asyncio.sleep(max(0.0, started + asked * pace - time.perf_counter()))
        question = questions[(number + asked) % len(questions)]
        try:
            await ask(socket, question, f"{tag}-{number}-{asked}", result)
        except Exception as error:
            result.errors[type(error).__name__] += 1
            return
    await drain(socket, result)


async def run_visitors(
    base_url: str,
    path: str,
    cookies: Sequence[str],
    questions: Sequence[str],
    *,
    asks: int,
    tag: str,
    on_start: Callable[[], object] | None = None,
) -> LoadResult:
    """``len(cookies)`` visitors connect at once, wait for their greeting, then all start
    asking together, ``asks`` questions each, one after another. ``on_start`` is called
    when they start asking."""
    result = LoadResult(visitors=len(cookies), questions=asks)
    ready = asyncio.Barrier(len(cookies) + 1)

    async def visitor(number: int, cookie: str) -> None:
        socket = None
        try:
            try:
                socket = await open_socket(base_url, path, cookie)
                await wait_for_greeting(socket)
            except Exception as error:
                result.errors[f"connect: {type(error).__name__}"] += 1
                return
            finally:
                await ready.wait()
            await ask_in_turn(socket, number, questions, asks=asks, tag=tag, result=result)
        finally:
            if socket is not None:
                await socket.close()

    connecting = time.perf_counter()
    tasks = [asyncio.create_task(visitor(n, cookie)) for n, cookie in enumerate(cookies)]
    await ready.wait()
    if on_start is not None:
        on_start()
    started = time.perf_counter()
    result.connect_seconds = started - connecting
    await asyncio.gather(*tasks)
    # Drain time is not answering time.
    result.seconds = time.perf_counter() - started - DRAIN_SECONDS
    return result


async def arrive(client: httpx.AsyncClient, base_url: str, page: str, opening: str | None) -> str:
    """A new visitor's page view, then (for the chat) the chat box's opening request; the
    session cookie they set, as a Cookie header ("" for none)."""
    cookie = ""
    for path in (page, opening):
        if path is None:
            continue
        response = await client.get(base_url + path, headers={"Cookie": cookie} if cookie else {})
        response.raise_for_status()
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            if name.strip() == "sessionid":
                cookie = "sessionid=" + rest.split(";", 1)[0]
    return cookie


async def visit(
    client: httpx.AsyncClient,
    base_url: str,
    path: str,
    number: int,
    questions: Sequence[str],
    *,
    asks: int,
    tag: str,
    result: LoadResult,
    page: str = "/",
    opening: str | None = None,
    pace: float | None = None,
) -> None:
    """One visitor arrives: loads ``page``, makes the ``opening`` request if any (the chat
    box's, which starts the session), opens the socket at ``path``, waits for its greeting,
    asks ``asks`` questions (``pace``: see ``ask_in_turn``) and leaves."""
    socket = None
    try:
        try:
            cookie = await arrive(client, base_url, page, opening)
            socket = await open_socket(base_url, path, cookie)
            await wait_for_greeting(socket)
        except Exception as error:
            result.errors[f"connect: {type(error).__name__}"] += 1
            return
        await ask_in_turn(socket, number, questions, asks=asks, tag=tag, result=result, pace=pace)
    finally:
        if socket is not None:
            await socket.close()


async def run_arrivals(
    base_url: str,
    path: str,
    count: int,
    questions: Sequence[str],
    *,
    asks: int,
    tag: str,
    page: str = "/",
    opening: str | None = None,
) -> LoadResult:
    """``count`` visitors arrive at once (``visit``), each asking ``asks`` questions one
    after another. Everything counts: the rate is replies over the time from the first page
    view to the last reply."""
    result = LoadResult(visitors=count, questions=asks)
    async with visitors_client(count) as client:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                visit(
                    client,
                    base_url,
                    path,
                    n,
                    questions,
                    asks=asks,
                    tag=tag,
                    result=result,
                    page=page,
                    opening=opening,
                )
                for n in range(count)
            )
        )
        # Drain time is not answering time.
        result.seconds = time.perf_counter() - started - DRAIN_SECONDS
    return result


async def hold_idle(
    base_url: str, path: str, cookies: Sequence[str], *, connecting: int = IDLE_CONNECTING
) -> tuple[list, Counter]:
    """Open one silent socket per cookie, each greeted, ``connecting`` handshakes at a time
    (visitors gathering over a day, not a burst); return the sockets and the failures."""
    failures: Counter = Counter()
    limit = asyncio.Semaphore(connecting)

    async def one(cookie: str):
        async with limit:
            try:
                socket = await open_socket(base_url, path, cookie)
                await wait_for_greeting(socket)
                return socket
            except Exception as error:
                failures[type(error).__name__] += 1
                return None

    sockets = await asyncio.gather(*(one(cookie) for cookie in cookies))
    return [s for s in sockets if s is not None], failures
