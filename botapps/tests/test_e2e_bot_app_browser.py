"""End to end, a bot app: the example bot (examples/webhook_bot/bot.py) runs for real as its
own process, told of events by the site's signed webhooks and answering through the HTTP
API; a visitor chats with it in Debian's Chromium, asks for a person, and an agent in the
staff console takes over. One real Daphne server, whose in-process worker sends the webhooks.

Case, the site's own bot, is switched off: the visitor's first message makes the
conversation pending, and the bot app, online and present, is told and joins it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from testsupport.harness import PROJECT_ROOT, free_port, launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
# Bot answers travel site -> webhook worker -> bot -> API -> site: a little slower than Case.
expect.set_options(timeout=20_000)

BOT_NAME, BOT_TITLE = "Gopher Helper", "Shop assistant"
BOT_SCRIPT = PROJECT_ROOT / "examples" / "webhook_bot" / "bot.py"
AGENT_NAME = "Anna"
CONV = "#chatboxConversationContainer"
MSG = f"{CONV} .chatboxMessage"
QUICK_REPLY = f"{CONV} button.chatboxQuickReply"
BUTTONS = ["Opening hours", "Delivery times", "Talk to a person"]
GREETING = f"Hi, I'm {BOT_NAME}! I can tell you about opening hours and delivery times"
HOURS = "Our team is here Monday to Friday"
DELIVERY = "Orders placed before 14:00"

# Run by manage.py shell before the server starts: Case off, the bot app registered.
SETUP = """
import json
from bots.loading import bot_class
from bots.services import profile_get_or_create
from botapps import services

case = profile_get_or_create(bot_class=bot_class())
case.is_online_enabled = False
case.save()
made = services.bot_app_create(
    name={name!r},
    title={title!r},
    avatar="",
    webhook_url={webhook_url!r},
    subscriptions={{
        "subscribes_pending_conversations": True,
        "subscribes_member_messages": True,
    }},
    is_active=True,
)
with open({out!r}, "w") as f:
    json.dump(
        {{"api_key": made.api_key, "signing_secret": made.signing_secret,
          "user_id": made.app.user_id}},
        f,
    )
"""


def report(request, title: str, text: str, failed_before: int) -> None:
    if request.session.testsfailed > failed_before:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        line = f"\n----- {title} -----\n{text}\n----- end -----\n"
        if reporter is not None:
            reporter.write_line(line)
        else:  # pragma: no cover
            sys.__stderr__.write(line)


@pytest.fixture(scope="module")
def bot_port():
    return free_port()


@pytest.fixture(scope="module")
def server(request, bot_port, tmp_path_factory):
    require_chromium()
    credentials = tmp_path_factory.mktemp("bot-app") / "credentials.json"
    setup = SETUP.format(
        name=BOT_NAME,
        title=BOT_TITLE,
        webhook_url=f"http://127.0.0.1:{bot_port}/webhook",
        out=str(credentials),
    )
    env = {
        # The server sends the webhooks itself, on Redis too (CI): no rundramatiq here.
        "WEBHOOK_IN_PROCESS_WORKER": "1",
        # A queue of its own on a shared Redis: no other test's worker takes its webhooks.
        "REDIS_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    with serve(request, "chat-e2e-bot-app-", env=env, commands=[("shell", "-c", setup)]) as srv:
        srv.bot_app = json.loads(credentials.read_text())
        yield srv


def bot_health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


@pytest.fixture(scope="module")
def example_bot(request, server, bot_port):
    """The example bot as people run it: its own process, configured by its environment."""
    log_path = server.workdir / "bot.log"
    env = dict(os.environ)
    env.update(
        {
            "CHAT_API_KEY": server.bot_app["api_key"],
            "CHAT_SIGNING_SECRET": server.bot_app["signing_secret"],
            "BOT_TYPING_SECONDS": "1",
            "BOT_LOG_LEVEL": "DEBUG",
            "PYTHONUNBUFFERED": "1",
        }
    )
    failed_before = request.session.testsfailed
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, str(BOT_SCRIPT), "--site", server.url, "--port", str(bot_port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            health = bot_health(bot_port)
            if health and health["present"]:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The example bot did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        assert health["user_id"] == server.bot_app["user_id"]
        proc.port = bot_port
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        report(request, "example bot output", log_path.read_text(errors="replace"), failed_before)


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@pytest.fixture
def contexts(browser, server):
    made = []

    def make(cookie: str | None = None):
        context = browser.new_context(base_url=server.url)
        if cookie:
            name, _, value = cookie.partition("=")
            context.add_cookies([{"name": name, "value": value, "url": server.url}])
        made.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in made:
        context.close()


def run_on_server(server, code: str):
    """Run ``code`` in ``manage.py shell`` on the server's database; ``result`` comes back."""
    out = server.workdir / f"result-{uuid.uuid4().hex}.json"
    server.manage(
        "shell", "-c", f"import json\n{code}\nopen({str(out)!r}, 'w').write(json.dumps(result))"
    )
    return json.loads(out.read_text())


def exactly(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text) + "$")


def starting(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text))


def bot_said(page, start: str):
    return page.locator(f"{MSG}[data-role='agent']").filter(
        has=page.locator(".chatSenderMsg", has_text=starting(start))
    )


def press(page, label: str) -> None:
    # Only the latest message's buttons are live: the earlier ones are answered.
    page.locator(f"{QUICK_REPLY}:enabled").filter(has_text=exactly(label)).click()


def settled(server, bot_port: int, timeout: float = 60.0) -> dict:
    """Once every webhook is delivered or failed and the bot has done its work: what the
    database says of the deliveries and the bot's messages."""
    code = (
        "from botapps.models import WebhookDelivery\n"
        "from chat.models import Message\n"
        "deliveries = list(WebhookDelivery.objects.order_by('id').values("
        "'event', 'status', 'attempts', 'last_error', 'resource'))\n"
        f"bot = list(Message.objects.filter(sender_user_id={server.bot_app['user_id']})"
        ".order_by('id').values_list('text', flat=True))\n"
        "result = {'deliveries': deliveries, 'bot_messages': bot}"
    )
    deadline = time.monotonic() + timeout
    while True:
        state = run_on_server(server, code)
        pending = [d for d in state["deliveries"] if d["status"] == "pending"]
        if not pending and (bot_health(bot_port) or {}).get("jobs") == 0:
            return state
        if time.monotonic() > deadline:
            pytest.fail(f"Webhooks still pending after {timeout}s: {pending}")
        time.sleep(0.5)


def test_a_visitor_chats_with_the_example_bot_then_with_a_person(server, example_bot, contexts):
    agent = contexts(server.agent_cookie(AGENT_NAME.lower()))
    agent.goto("/staff/")
    expect(agent.locator("#consolePresence")).to_contain_text(AGENT_NAME)

    # The chat is online though Case is off and the agent has not taken anything: the
    # bot app is online and present.
    visitor = contexts()
    visitor.goto("/")
    visitor.locator("a.productLink").first.click()
    expect(visitor.locator("#chatboxLauncher")).to_have_attribute("data-online", "true")
    visitor.locator("#chatboxLauncher").click()
    expect(visitor.locator("#chatboxInputField")).to_be_visible()
    # Whatever "typing" the chat box shows, however briefly, is kept to look at later.
    visitor.evaluate(
        """() => {
          window.typingSeen = [];
          const typing = document.getElementById("chatboxTyping");
          new MutationObserver(() => {
            if (!typing.hidden && typing.textContent) window.typingSeen.push(typing.textContent);
          }).observe(typing, {attributes: true, childList: true, characterData: true,
                              subtree: true});
        }"""
    )

    # The first message: the conversation waits, the bot app joins it and greets.
    field = visitor.locator("#chatboxInputField")
    field.fill("hello")
    field.press("Enter")
    greeting = bot_said(visitor, GREETING)
    expect(greeting).to_have_count(1)
    expect(greeting.locator(".chatSenderName")).to_contain_text(BOT_NAME)
    expect(greeting.locator(".chatSenderTitle")).to_have_text(BOT_TITLE)
    expect(greeting.locator("button.chatboxQuickReply")).to_have_text(BUTTONS)
    expect(greeting.locator("a.chatboxLinkAction")).to_have_attribute("href", server.url + "/")
    expect(visitor.locator(".chatboxAgentName")).to_have_text(BOT_NAME)
    expect(visitor.locator(".chatboxSystem").last).to_contain_text(
        f"{BOT_NAME} ({BOT_TITLE}) joined"
    )
    assert f"{BOT_NAME} is typing\u2026" in visitor.evaluate("() => window.typingSeen")

    # A button, then a typed question: canned answers, with the buttons again.
    press(visitor, "Opening hours")
    expect(bot_said(visitor, HOURS)).to_have_count(1)
    expect(bot_said(visitor, HOURS).locator("button.chatboxQuickReply")).to_have_text(BUTTONS)
    field.fill("How long does delivery take?")
    field.press("Enter")
    expect(bot_said(visitor, DELIVERY)).to_have_count(1)

    # A person, please: the bot hands over and says no more; the agent is called.
    press(visitor, "Talk to a person")
    expect(visitor.locator(".chatboxSystem").last).to_contain_text(
        f"{BOT_NAME} asked someone from the team to join"
    )
    row = agent.locator('#consoleConversations [data-conversation-id][data-state="waiting"]')
    expect(row).to_have_count(1)
    row.click()
    expect(agent.locator("#consoleMessages .consoleMessage").filter(has_text=HOURS)).to_have_count(
        1
    )
    agent.locator("#consoleTake").click()
    expect(visitor.locator(".chatboxSystem").last).to_contain_text(f"{AGENT_NAME} (Support) joined")
    expect(visitor.locator(".chatboxAgentName")).to_have_text(AGENT_NAME)
    agent.locator("#consoleInput").fill("Hello, I'm Anna. How can I help?")
    agent.locator("#consoleSend").click()
    from_anna = visitor.locator(f"{MSG}[data-role='agent']").filter(has_text="I'm Anna")
    expect(from_anna).to_have_count(1)
    expect(from_anna.locator(".chatSenderName")).to_contain_text(AGENT_NAME)

    # Every webhook reached the bot, the first time; it heard its own three messages and
    # answered none of them, nor anything after it handed over.
    state = settled(server, example_bot.port)
    said = state["bot_messages"]
    assert len(said) == 3, said
    assert [said[0][: len(GREETING)], said[1][: len(HOURS)], said[2][: len(DELIVERY)]] == [
        GREETING,
        HOURS,
        DELIVERY,
    ]
    deliveries = state["deliveries"]
    assert deliveries and all(
        (d["status"], d["attempts"], d["last_error"]) == ("delivered", 1, "") for d in deliveries
    ), deliveries
    assert [d["event"] for d in deliveries].count("pending_conversation") == 1
    heard = [d["resource"] for d in deliveries if d["event"] == "member_message"]
    own = [r for r in heard if r["sender_id"] == server.bot_app["user_id"]]
    assert len(own) == 3
    assert [r["response_value"] for r in heard if r["sender_type"] == "visitor"] == [
        "opening_hours",
        None,
        "request_human",
    ]
    expect(visitor.locator(f"{MSG}[data-role='agent']")).to_have_count(4)  # 3 bot, 1 Anna
    ids = visitor.locator(f"{MSG}[data-message-id]").evaluate_all(
        "els => els.map(e => e.dataset.messageId)"
    )
    assert len(ids) == len(set(ids)), f"shown twice: {ids}"
    assert visitor.errors == [] and agent.errors == []


def test_the_bot_going_away_takes_itself_offline(server, example_bot):
    example_bot.send_signal(signal.SIGTERM)
    assert example_bot.wait(timeout=20) == 0
    state = run_on_server(
        server,
        "from botapps import selectors\n"
        "from botapps.models import BotApp\n"
        "from chat.models import AgentClient\n"
        "app = BotApp.objects.get()\n"
        "result = [app.is_online_enabled, AgentClient.objects.filter(user=app.user).count(),"
        " selectors.online_bot_apps().exists()]",
    )
    # Not online, not present: the chat stops promising an answer nobody will give.
    assert state == [False, 0, False]
