"""End to end, two people: a visitor on a product page and an agent in the staff console,
each in their own browser context of Debian's Chromium, on one real Daphne server."""

from __future__ import annotations

import re

import pytest

from testsupport.harness import launch_chromium, require_chromium, serve

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)

AGENT, PASSWORD = "anna", "console-password-1"
VISITOR_MESSAGES = "#chatboxConversationContainer .chatboxMessage"
ISOMORPHIC_GO_ANSWER_START = "Isomorphic Go is the methodology"


@pytest.fixture(scope="module")
def server(request):
    require_chromium()
    with serve(
        request,
        "chat-e2e-staff-",
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        commands=[("createsuperuser", "--noinput", "--username", AGENT, "--email", "a@x.org")],
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@pytest.fixture
def contexts(browser, server):
    made = []

    def make():
        context = browser.new_context(base_url=server.url)
        made.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page, errors

    yield make
    for context in made:
        context.close()


def exactly(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text) + "$")


def visitor_text(page, text: str):
    return page.locator(f"{VISITOR_MESSAGES} .chatSenderMsg").filter(has_text=exactly(text))


def shown_ids(page, selector: str, attribute: str) -> list[str]:
    return page.locator(selector).evaluate_all(
        f"els => els.map(e => e.getAttribute('{attribute}')).filter(Boolean)"
    )


def type_slowly(field, text: str) -> None:
    # Key by key, as a person types, so the page sees input events and says "typing".
    field.click()
    field.press_sequentially(text, delay=30)


def test_a_visitor_asks_for_a_person_and_an_agent_takes_over_and_hands_back(contexts):
    agent, agent_errors = contexts()
    agent.goto("/admin/login/?next=/staff/")
    agent.locator("#id_username").fill(AGENT)
    agent.locator("#id_password").fill(PASSWORD)
    agent.locator("input[type=submit]").click()
    expect(agent).to_have_url(re.compile(r"/staff/$"))
    expect(agent.locator("#consolePresence")).to_contain_text(AGENT)

    visitor, visitor_errors = contexts()
    visitor.goto("/")
    visitor.locator("a.productLink").first.click()
    product_name = visitor.locator("h1").first.inner_text().strip()
    visitor.locator("#chatboxLauncher").click()
    expect(visitor.locator(f"{VISITOR_MESSAGES} .chatSenderMsg").first).to_contain_text("I'm Case")

    # The visitor asks for a person: the conversation waits, the agent is alerted.
    field = visitor.locator("#chatboxInputField")
    field.fill("I want to talk to a human")
    field.press("Enter")
    expect(visitor.locator(".chatboxSystem").last).to_contain_text("someone from the team")
    row = agent.locator('#consoleConversations [data-conversation-id][data-state="waiting"]')
    expect(row).to_have_count(1)
    expect(agent.locator("#consoleAlert")).to_be_visible()

    # The agent opens it: the history and the visitor's page, then takes it.
    row.click()
    expect(agent.locator('#consoleMessages .consoleMessage[data-role="visitor"]')).to_have_text(
        [exactly("I want to talk to a human")]
    )
    expect(agent.locator("#consoleVisitorPage")).to_contain_text(product_name)
    agent.locator("#consoleTake").click()
    expect(visitor.locator(".chatboxSystem").last).to_contain_text(f"{AGENT} (Support) joined")
    expect(visitor.locator(".chatboxAgentName")).to_have_text(AGENT)

    # Agent to visitor, with the typing indicator first.
    type_slowly(agent.locator("#consoleInput"), "Hello, I'm Anna")
    expect(visitor.locator("#chatboxTyping")).to_be_visible()
    expect(visitor.locator("#chatboxTyping")).to_contain_text(AGENT)
    agent.locator("#consoleSend").click()
    expect(visitor_text(visitor, "Hello, I'm Anna")).to_have_count(1)
    agent_message = visitor.locator(VISITOR_MESSAGES).filter(has_text="Hello, I'm Anna")
    expect(agent_message.locator(".chatSenderName")).to_contain_text(AGENT)
    expect(visitor.locator("#chatboxTyping")).to_be_hidden()

    # Visitor to agent, with the typing indicator first.
    type_slowly(field, "Where can I get starter code?")
    expect(agent.locator("#consoleVisitorTyping")).to_be_visible()
    field.press("Enter")
    expect(
        agent.locator('#consoleMessages .consoleMessage[data-role="visitor"]').filter(
            has_text="Where can I get starter code?"
        )
    ).to_have_count(1)
    # The bot stays silent while a person answers.
    expect(visitor.locator(f'{VISITOR_MESSAGES}[data-role="bot"]')).to_have_count(1)

    # Back to the bot: the visitor is told, and the bot answers the next question.
    agent.locator("#consoleHandBack").click()
    expect(visitor.locator(".chatboxSystem").last).to_contain_text("back to Case")
    field.fill("What is isomorphic go?")
    field.press("Enter")
    expect(
        visitor.locator(f"{VISITOR_MESSAGES} .chatSenderMsg").filter(
            has_text=re.compile("^" + ISOMORPHIC_GO_ANSWER_START)
        )
    ).to_have_count(1)
    expect(
        agent.locator("#consoleMessages .consoleMessage").filter(
            has_text=re.compile("^" + ISOMORPHIC_GO_ANSWER_START)
        )
    ).to_have_count(1)

    for page, selector, attribute in (
        (visitor, VISITOR_MESSAGES, "data-message-id"),
        (agent, "#consoleMessages .consoleMessage", "data-id"),
    ):
        ids = shown_ids(page, selector, attribute)
        assert len(ids) == len(set(ids)), f"shown twice: {ids}"
    assert agent_errors == [] and visitor_errors == []


def test_axe_finds_nothing_in_the_console_with_a_conversation_open(browser, server):
    from testsupport.accessibility import axe_violations

    # axe is injected as a script: the site's Content-Security-Policy would refuse it.
    context = browser.new_context(base_url=server.url, bypass_csp=True)
    try:
        agent = context.new_page()
        agent.goto("/admin/login/?next=/staff/")
        agent.locator("#id_username").fill(AGENT)
        agent.locator("#id_password").fill(PASSWORD)
        agent.locator("input[type=submit]").click()
        expect(agent.locator("#consolePresence")).to_contain_text(AGENT)
        violations = axe_violations(agent)
        assert violations == [], "axe-core, console with no conversation:\n" + "\n".join(violations)

        visitor = context.browser.new_context(base_url=server.url)
        try:
            page = visitor.new_page()
            page.goto("/")
            page.locator("#chatboxLauncher").click()
            field = page.locator("#chatboxInputField")
            field.fill("I want to talk to a human")
            field.press("Enter")
            row = agent.locator(
                '#consoleConversations [data-conversation-id][data-state="waiting"]'
            )
            expect(row).to_have_count(1)
            row.click()
            expect(
                agent.locator('#consoleMessages .consoleMessage[data-role="visitor"]')
            ).to_have_count(1)
            violations = axe_violations(agent)
            assert violations == [], "axe-core, console with a conversation:\n" + "\n".join(
                violations
            )
        finally:
            visitor.close()
    finally:
        context.close()


# The visitor's side of the chat box is the chat box's own: this speaks the socket's frames
# directly, from the visitor's page, as any chat box would.
END_AND_RATE = """async ({score, comment}) => {
  const socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/chat/");
  const rated = new Promise((resolve, reject) => {
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "status" && frame.state !== "closed") {
        socket.send(JSON.stringify({type: "end"}));
      } else if (frame.type === "status" && frame.rating) {
        resolve(frame.rating);
      } else if (frame.type === "status") {
        socket.send(JSON.stringify({type: "rate", score, comment}));
      } else if (frame.type === "error") {
        reject(new Error(frame.code));
      }
    };
  });
  try { return await rated; } finally { socket.close(); }
}"""


def test_the_console_shows_the_visitor_s_rating_of_an_ended_chat(contexts):
    agent, agent_errors = contexts()
    agent.goto("/admin/login/?next=/staff/")
    agent.locator("#id_username").fill(AGENT)
    agent.locator("#id_password").fill(PASSWORD)
    agent.locator("input[type=submit]").click()
    expect(agent.locator("#consolePresence")).to_contain_text(AGENT)

    visitor, visitor_errors = contexts()
    visitor.goto("/restapi/get-agent-info")  # starts the visitor's session, as the box does
    visitor.goto("/")
    rating = visitor.evaluate(END_AND_RATE, {"score": 4, "comment": "Quick and kind."})
    assert rating == {"score": 4, "comment": "Quick and kind."}

    row = agent.locator('#consoleConversations [data-conversation-id][data-state="closed"]')
    expect(row.locator(".consoleRowRating")).to_have_text("Rated 4/5")
    row.click()
    expect(agent.locator("#consoleRating")).to_have_text("Rated 4/5: \u201cQuick and kind.\u201d")
    expect(agent.locator("#consoleMessages .consoleMessage").last).to_contain_text(
        "The visitor ended the chat."
    )
    assert agent_errors == [] and visitor_errors == []
