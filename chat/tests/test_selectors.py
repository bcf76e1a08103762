import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone, translation

from bots.base import ProductFacts
from chat import selectors, services
from chat.listing import EVERYTHING, NO_AGENT, ConversationFilter
from chat.models import (
    AgentClient,
    AgentStatus,
    ChatSettings,
    Conversation,
    ConversationLabel,
    Holiday,
    Label,
    LeftMessage,
    Message,
    Note,
    OpeningInterval,
    Suggestion,
)
from shop.models import Product

from .conftest import make_agent, set_bot_enabled, set_business_hours, set_sidekick_default

pytestmark = pytest.mark.django_db


def test_conversation_frames_are_oldest_first_and_capped_to_the_newest(settings, monkeypatch):
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)
    conversation = services.conversation_open(session_key="h" * 32)
    questions = ["What is isomorphic go?", "What is kick?", "Where is the starter code?"]
    for n, question in enumerate(questions):
        services.visitor_message_post(
            conversation_id=conversation.pk, text=question, client_id=f"c{n}", channel_name="x"
        )
    frames = selectors.conversation_frames(conversation_id=conversation.pk)
    assert [frame["text"] for frame in frames[1::2]] == questions

    settings.CHAT_HISTORY_LIMIT = 2
    frames = selectors.conversation_frames(conversation_id=conversation.pk)
    assert [frame["text"] for frame in frames][0] == questions[-1]
    assert len(frames) == 2


# --- staff ------------------------------------------------------------------------------------


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)


@pytest.mark.parametrize(
    ("staff", "permission", "active", "can_chat"),
    [
        (True, True, True, True),
        (True, False, True, False),
        (False, True, True, False),
        (True, True, False, False),
    ],
)
def test_user_can_chat_needs_staff_and_the_permission(staff, permission, active, can_chat):
    user = make_agent("someone", staff=staff, permission=permission)
    if not active:
        user.is_active = False
        user.save()
    assert selectors.user_can_chat(user) is can_chat
    assert (selectors.chat_agent(user) is not None) is can_chat


def test_a_superuser_can_chat_and_anonymous_users_cannot():
    from django.contrib.auth.models import AnonymousUser

    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-123456")
    assert selectors.user_can_chat(boss)
    assert not selectors.user_can_chat(AnonymousUser())
    assert selectors.chat_agent(AnonymousUser()) is None
    assert selectors.chat_agent(None) is None


def test_agent_identity_is_the_first_name_else_the_username_and_the_title():
    anna = make_agent("anna", first_name="Anna", title="Support lead")
    assert selectors.agent_identity(anna) == {"name": "Anna", "title": "Support lead"}
    plain = get_user_model().objects.create_user("plain")
    assert selectors.agent_identity(plain) == {"name": "plain", "title": "Support"}


def test_agent_identity_is_never_stale_for_a_user_object_kept_long():
    anna = make_agent("anna", first_name="Anna", title="Support")
    assert selectors.agent_identity(anna)["title"] == "Support"
    AgentStatus.objects.filter(user=anna).update(title="Sales")
    assert selectors.agent_identity(anna)["title"] == "Sales"


def test_agent_presence_lists_present_agents_with_whether_they_accept(bot_off):
    anna = make_agent("anna", first_name="Anna")
    ben = make_agent("ben", first_name="Ben", title="Sales", accepting=False)
    make_agent("carl", present=False)
    assert selectors.agent_presence() == [
        {"id": anna.pk, "name": "Anna", "title": "Support", "accepting": True},
        {"id": ben.pk, "name": "Ben", "title": "Sales", "accepting": False},
    ]


def test_agent_presence_reads_in_a_few_queries(django_assert_max_num_queries):
    for n in range(6):
        make_agent(f"agent{n}")
    with django_assert_max_num_queries(4):
        assert len(selectors.agent_presence()) == 6


# --- conversations, as staff see them ---------------------------------------------------------


def test_summaries_are_newest_activity_first_and_say_who_answers(quiet):
    anna = make_agent("anna", first_name="Anna")
    product = Product.objects.first()
    old = services.conversation_open(session_key="o" * 32, page="/", product_id=product.pk)
    new = services.conversation_open(session_key="n" * 32)
    services.conversation_take(conversation_id=new.pk, user=anna)
    assert [s["id"] for s in selectors.conversation_summaries()] == [new.pk, old.pk]

    services.visitor_message_post(
        conversation_id=old.pk, text="What is kick?", client_id="c1", channel_name="x"
    )
    summaries = selectors.conversation_summaries()
    assert [s["id"] for s in summaries] == [old.pk, new.pk]
    first, second = summaries
    assert first["state"] == "bot"
    assert first["agent"] is None
    assert first["last_role"] == "bot"
    assert first["page"] == "/"
    assert first["product"] == {
        "id": product.pk,
        "name": product.name,
        "url": product.get_absolute_url(),
    }
    assert second["state"] == "agent"
    assert second["agent"] == {"id": anna.pk, "name": "Anna", "title": "Support", "is_bot": False}
    assert second["last_role"] == "system"
    assert second["last_text"] == "Anna (Support) joined and is answering now."
    assert second["sidekick"] is False
    # How many messages the visitor wrote: the consoles count unread ones from it.
    assert (first["visitor_messages"], second["visitor_messages"]) == (1, 0)
    assert set(first) == {
        "id",
        "state",
        "agent",
        "sidekick",
        "created_at",
        "last_message_at",
        "last_text",
        "last_role",
        "visitor_messages",
        "page",
        "product",
        "rating",
        "labels",
    }
    assert first["rating"] is None
    assert first["labels"] == []
    assert selectors.conversation_summaries(limit=1) == summaries[:1]
    # One conversation's summary is the same, read alone.
    alone = selectors.conversation_summary(
        conversation=selectors.conversation_get(conversation_id=new.pk)
    )
    assert alone == second
    # And read without the list's annotations, as after a change.
    plain = Conversation.objects.get(pk=old.pk)
    assert selectors.conversation_summary(conversation=plain) == first
    assert selectors.conversation_summary(conversation=Conversation.objects.get(pk=new.pk)) == (
        second
    )


def test_summaries_cut_long_texts_and_list_empty_conversations(quiet, bot_off):
    empty = services.conversation_open(session_key="e" * 32)
    [summary] = selectors.conversation_summaries()
    assert (summary["id"], summary["last_text"], summary["last_role"]) == (empty.pk, "", "")
    Message.objects.create(
        conversation=empty, sender_role="visitor", sender_name="V", text="x" * 500
    )
    assert selectors.conversation_summaries()[0]["last_text"] == "x" * 140


def test_summaries_take_the_same_few_queries_however_many_conversations(
    quiet, django_assert_max_num_queries
):
    agents = [make_agent(f"agent{n}") for n in range(3)]
    products = list(Product.objects.all())
    for n in range(12):
        conversation = services.conversation_open(
            session_key=f"{n:02d}" * 16, product_id=products[n % len(products)].pk
        )
        services.conversation_take(conversation_id=conversation.pk, user=agents[n % 3])
    # The conversations, then their pages' products (names and links, not their details),
    # then their labels.
    with django_assert_max_num_queries(3):
        summaries = selectors.conversation_summaries()
    assert len(summaries) == 12
    assert {s["product"]["name"] for s in summaries} == {p.name for p in products}


def test_staff_frames_are_the_messages_then_the_unsent_suggestions(quiet):
    anna = make_agent("anna", first_name="Anna")
    conversation = services.conversation_open(session_key="s" * 32)
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    services.conversation_set_sidekick(conversation_id=conversation.pk, user=anna, active=True)
    for n, question in enumerate(["What is isomorphic go?", "What is kick?"]):
        services.visitor_message_post(
            conversation_id=conversation.pk, text=question, client_id=f"v{n}", channel_name="x"
        )
    first, second = Suggestion.objects.filter(conversation=conversation).order_by("id")
    services.agent_message_post(
        conversation_id=conversation.pk,
        user=anna,
        text=first.text,
        client_id="a-1",
        suggestion=str(first.uid),
    )

    frames = selectors.conversation_staff_frames(conversation_id=conversation.pk)
    assert [frame["type"] for frame in frames] == ["message"] * 5 + ["suggestion"]
    assert all(frame["conversation"] == conversation.pk for frame in frames)
    assert [frame.get("sender", {}).get("role") for frame in frames[:5]] == [
        "bot",
        "system",
        "visitor",
        "visitor",
        "agent",
    ]
    # Staff see the agent's own client_id (to match their outbox); the visitor does not.
    assert frames[4]["client_id"] == "a-1"
    assert frames[5]["id"] == str(second.uid)
    assert frames[5]["question"] == frames[3]["id"]
    visitor_frames = selectors.conversation_frames(conversation_id=conversation.pk)
    assert [frame["client_id"] for frame in visitor_frames] == [None, None, "v0", "v1", None]
    assert all(frame["type"] == "message" for frame in visitor_frames)


def test_staff_frames_put_the_notes_among_the_messages_by_time(quiet, settings):
    anna = make_agent("anna", first_name="Anna")
    conversation = services.conversation_open(session_key="t" * 32)
    greeting = conversation.messages.get()
    at = greeting.sent_at
    notes = [
        Note.objects.create(
            conversation=conversation,
            author=anna,
            author_name="Anna",
            text=text,
            created_at=at + timedelta(seconds=seconds),
        )
        for text, seconds in [("after the greeting", 1), ("same time", 2), ("later still", 3)]
    ]
    Message.objects.create(
        conversation=conversation,
        sender_role="visitor",
        sender_name="Visitor",
        text="Hello?",
        sent_at=at + timedelta(seconds=2),
    )
    frames = selectors.conversation_staff_frames(conversation_id=conversation.pk)
    assert [(f["type"], f["text"][:12]) for f in frames] == [
        ("message", greeting.text[:12]),
        ("note", "after the gr"),
        ("message", "Hello?"),
        ("note", "same time"),
        ("note", "later still"),
    ]
    # A message first on a tie.
    assert frames[3]["id"] == str(notes[1].uid)
    # The newest CHAT_HISTORY_LIMIT notes, as of messages.
    settings.CHAT_HISTORY_LIMIT = 1
    frames = selectors.conversation_staff_frames(conversation_id=conversation.pk)
    assert [(f["type"], f["text"][:12]) for f in frames] == [
        ("message", "Hello?"),
        ("note", "later still"),
    ]
    # The visitor's history has no note: notes are not messages.
    assert all(
        f["type"] == "message"
        for f in selectors.conversation_frames(conversation_id=conversation.pk)
    )


def test_the_visitor_s_messages_are_counted_and_their_name_is_the_one_they_left(quiet):
    conversation = services.conversation_open(session_key="u" * 32)
    assert selectors.conversation_visitor_messages(conversation_id=conversation.pk) == 0
    for n in range(3):
        services.visitor_message_post(
            conversation_id=conversation.pk, text=f"q{n}", client_id=None, channel_name="x"
        )
    assert selectors.conversation_visitor_messages(conversation_id=conversation.pk) == 3
    assert selectors.conversation_visitor_messages(conversation_id=conversation.pk + 1) is None

    assert selectors.conversation_visitor_name(conversation_id=conversation.pk) == ""
    for name in ("Maria", "Maria Lopez"):
        LeftMessage.objects.create(
            name=name, email="m@example.org", text="x", conversation=conversation
        )
    assert selectors.conversation_visitor_name(conversation_id=conversation.pk) == "Maria Lopez"


def test_visitor_status_says_who_answers(quiet):
    anna = make_agent("anna", first_name="Anna")
    conversation = services.conversation_open(session_key="s" * 32)

    def status():
        return selectors.visitor_status(
            conversation=selectors.conversation_get(conversation_id=conversation.pk)
        )

    case = {"role": "bot", "name": "Case", "title": "Resident Isomorphic Gopher Agent"}
    greeting = str(Message.objects.get(conversation=conversation).uid)
    unrated = {"read_through": greeting, "rating": None}
    assert status() == {
        "state": "bot",
        "online": True,
        "out_of_hours": False,
        "answering": case,
        **unrated,
    }
    services.conversation_set_sidekick(conversation_id=conversation.pk, user=anna, active=True)
    assert status()["answering"] is None
    services.conversation_set_sidekick(conversation_id=conversation.pk, user=anna, active=False)
    services.conversation_request_person(conversation_id=conversation.pk)
    assert status() == {
        "state": "waiting",
        "online": True,
        "out_of_hours": False,
        "answering": None,
        **unrated,
    }
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    assert status()["answering"] == {"role": "agent", "name": "Anna", "title": "Support"}
    services.conversation_hand_back(conversation_id=conversation.pk, user=anna)
    assert status()["answering"] == case
    set_bot_enabled(False)
    assert status() == {
        "state": "bot",
        "online": True,
        "out_of_hours": False,
        "answering": None,
        **unrated,
    }
    AgentClient.objects.all().delete()
    assert status()["online"] is False
    services.conversation_close(conversation_id=conversation.pk, user=anna)
    assert status() == {
        "state": "closed",
        "online": False,
        "out_of_hours": False,
        "answering": None,
        **unrated,
    }


def test_sidekick_default_comes_from_the_chat_settings():
    assert selectors.sidekick_default() is False
    set_sidekick_default(True)
    assert selectors.sidekick_default() is True


# --- the chat box's settings ----------------------------------------------------------------


def test_the_chat_box_settings_are_the_defaults_while_there_is_no_row():
    assert not ChatSettings.objects.exists()
    assert selectors.chat_box_settings() == selectors.ChatBoxSettings(
        primary_color="#1f7a8c",
        launcher_side="right",
        welcome_text="Hi! Questions about our products? Ask us here.",
        allowed_origins=(),
    )


def test_the_chat_box_settings_are_read_from_the_cache(django_assert_num_queries):
    ChatSettings.objects.create(allowed_origins="https://shop.example.org")
    with django_assert_num_queries(1):
        selectors.chat_box_settings()
    with django_assert_num_queries(0):
        for _ in range(3):
            assert selectors.chat_box_settings().allowed_origins == ("https://shop.example.org",)


def test_saving_the_row_forgets_the_cached_settings(django_capture_on_commit_callbacks):
    row = ChatSettings.objects.create()
    assert selectors.chat_box_settings().allowed_origins == ()
    row.primary_color = "#000000"
    row.launcher_side = "left"
    row.welcome_text = ""
    row.allowed_origins = "https://shop.example.org\nhttp://localhost:8001"
    with django_capture_on_commit_callbacks(execute=True) as forgotten:
        row.save()
    # And once more when the change is committed.
    assert forgotten.count(selectors.chat_box_settings_forget) == 1
    assert selectors.chat_box_settings() == selectors.ChatBoxSettings(
        primary_color="#000000",
        launcher_side="left",
        welcome_text="",
        allowed_origins=("https://shop.example.org", "http://localhost:8001"),
    )


def test_a_read_between_the_save_and_its_commit_does_not_stay_cached(
    django_capture_on_commit_callbacks,
):
    row = ChatSettings.objects.create()
    with django_capture_on_commit_callbacks() as on_commit:
        row.welcome_text = "Hello"
        row.save()
    # A request that read the old row before the commit, and cached it.
    cache.set(
        selectors.CHAT_BOX_SETTINGS_CACHE_KEY,
        {**asdict(selectors.chat_box_settings()), "welcome_text": "stale"},
    )
    assert selectors.chat_box_settings().welcome_text == "stale"
    for callback in on_commit:  # the commit
        callback()
    assert selectors.chat_box_settings().welcome_text == "Hello"


# --- the page the visitor asks from ---------------------------------------------------------


def test_the_page_context_carries_the_products_details():
    book = Product.objects.get(slug="isomorphic-go-book")
    context = selectors.page_context(page=book.get_absolute_url(), product_id=book.pk)
    assert context.product.name == "Isomorphic Go Book"
    assert ("Format", "Paperback") in context.product.attributes
    assert context.product.url == book.get_absolute_url()


def test_off_product_pages_the_bot_may_look_a_product_up_by_name():
    context = selectors.page_context(page="/", product_id=None)
    assert context.product is None
    assert context.find_product("how much are the hoodies?").name == "Gopher Hoodie"
    assert context.find_product("is the coffee mug dishwasher safe").name == "Gopher Coffee Mug"
    # "gopher" is in five names: none is meant more than another.
    assert context.find_product("how much is the gopher?") is None
    assert context.find_product("what is isomorphic go?").name == "Isomorphic Go Book"
    assert context.find_product("how do I do routing?") is None


def test_the_evaluation_s_product_pages_are_the_shop_s_demo_products():
    from benchmarks.evaluation import load_products

    shown = {
        product.slug: (
            product.name,
            str(product.price),
            product.stock,
            product.description,
            tuple((a.name, a.value) for a in product.attributes.all()),
        )
        for product in Product.objects.filter(slug__in=load_products())
    }
    assert shown == {
        slug: (p.name, p.price, p.stock, p.description, p.attributes)
        for slug, p in load_products().items()
    }


class Shelf:
    """A catalog of another site's own (chat/catalog.py): any class with these three methods."""

    LAMP = ProductFacts(name="Desk Lamp", price="30.00", stock=2, description="A lamp.", url="/l/")

    def products(self, *, ids):
        return {7: self.LAMP} if 7 in ids else {}

    def products_named(self, *, words):
        return [self.LAMP] if "lamp" in words else []

    def pages(self, *, ids):
        return {7: (self.LAMP.name, self.LAMP.url)} if 7 in ids else {}


def test_any_catalog_the_settings_name_tells_the_bot_and_staff_the_product(settings):
    settings.CHAT_CATALOG = f"{__name__}.Shelf"
    assert selectors.page_context(page="/l/", product_id=7).product == Shelf.LAMP
    assert (
        selectors.page_context(page="/", product_id=None).find_product("how much is the lamp?")
        == Shelf.LAMP
    )
    conversation = services.conversation_open(session_key="l" * 32, page="/l/", product_id=7)
    summary = selectors.conversation_summary_get(conversation_id=conversation.pk)
    assert summary["product"] == {"id": 7, "name": "Desk Lamp", "url": "/l/"}


def test_a_site_without_a_shop_gives_the_bot_no_product(settings):
    settings.CHAT_CATALOG = ""
    book = Product.objects.get(slug="isomorphic-go-book")
    context = selectors.page_context(page=book.get_absolute_url(), product_id=book.pk)
    assert context.product is None
    assert context.find_product is None
    conversation = services.conversation_open(session_key="n" * 32, product_id=book.pk)
    assert selectors.conversation_summary_get(conversation_id=conversation.pk)["product"] is None


def test_a_site_without_bot_apps_has_no_other_answerers(monkeypatch, quiet):
    # As if botapps were not installed: nobody registered as answering beside staff.
    monkeypatch.setattr("chat.answerers._registered", [])
    anna = make_agent("anna")
    conversation = services.conversation_open(session_key="w" * 32)
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    [summary] = selectors.conversation_summaries()
    assert summary["agent"]["is_bot"] is False
    assert selectors.present_agent_ids() == {anna.pk}
    assert selectors.chat_online() is True  # the bot, and Anna


# --- ratings ----------------------------------------------------------------------------------


def rated(score, *, agent=None, bot=None, comment="", key=None):
    """A closed conversation the visitor rated ``score``, held by ``agent``, in which the
    site's bot named ``bot`` answered."""
    conversation = Conversation.objects.create(
        session_key=key or uuid.uuid4().hex,
        state=Conversation.State.CLOSED,
        closed_at=timezone.now(),
        assigned_agent=agent,
        rating_score=score,
        rating_comment=comment,
        rated_at=timezone.now(),
    )
    if bot is not None:
        Message.objects.create(
            conversation=conversation, sender_role="bot", sender_name=bot, text="Hi"
        )
    return conversation


class BotAppUsers:
    """Answerers as a bot apps' app registers them (chat.answerers), of the given users."""

    def __init__(self, *users):
        self.ids = [user.pk for user in users]

    def users(self):
        return get_user_model().objects.filter(pk__in=self.ids).values("pk")

    def online(self, *, conversation_id=None):
        return False


@pytest.fixture
def rated_chats(monkeypatch):
    anna = make_agent("anna", first_name="Anna")
    ben = make_agent("ben", first_name="Ben")
    weather = make_agent("weather-bot", first_name="Weather bot", staff=False, permission=False)
    monkeypatch.setattr("chat.answerers._registered", [BotAppUsers(weather)])
    # Anna: 5 and 4, one of them after the bot answered first. Ben: 2. The weather bot app: 3.
    rated(5, agent=anna)
    rated(4, agent=anna, bot="Case")
    rated(2, agent=ben)
    rated(3, agent=weather)
    # The site's bot alone: 1 and 2 as Case, 4 under its former name.
    rated(1, bot="Case")
    rated(2, bot="Case")
    rated(4, bot="Gopher")
    # Closed while it waited for a person, and nobody had answered.
    rated(3)
    # Not rated: counted nowhere.
    Conversation.objects.create(session_key="u" * 32, assigned_agent=anna)
    return anna, ben, weather


# --- the console's list: labels, filters, search, pages -----------------------------------------

NOW = timezone.now()


def made(minutes_ago, *said, state="bot", agent=None, labels=(), system=()):
    """A conversation last active ``minutes_ago``, in which the visitor ``said`` each text
    (and the chat noticed each of ``system``), filed under ``labels``."""
    at = NOW - timedelta(minutes=minutes_ago)
    conversation = Conversation.objects.create(
        session_key=uuid.uuid4().hex,
        state=state,
        assigned_agent=agent,
        created_at=at - timedelta(minutes=5),
        last_message_at=at,
        closed_at=at if state == "closed" else None,
    )
    for role, texts in (("visitor", said), ("system", system)):
        for text in texts:
            Message.objects.create(
                conversation=conversation, sender_role=role, sender_name=role, text=text
            )
    for label in labels:
        ConversationLabel.objects.create(conversation=conversation, label=label)
    return conversation


def listed(conversation_filter=EVERYTHING, **kwargs):
    page = selectors.conversation_page(conversation_filter=conversation_filter, **kwargs)
    return [row["id"] for row in page.conversations]


@pytest.fixture
def billing(db):
    return Label.objects.create(name="Billing", color="#d97706")


@pytest.fixture
def bug(db):
    return Label.objects.create(name="Bug", color="#dc2626")


def test_the_list_filters_by_label_state_agent_and_period_and_combines_them(billing, bug):
    anna = make_agent("anna", first_name="Anna", present=False)
    ben = make_agent("ben", first_name="Ben", present=False)
    a = made(10, state="agent", agent=anna, labels=[billing])
    b = made(20, state="waiting", labels=[billing, bug])
    c = made(60 * 24 * 3, state="closed", agent=ben, labels=[bug])
    d = made(60 * 24 * 10, state="bot")

    assert listed() == [a.pk, b.pk, c.pk, d.pk]
    assert listed(ConversationFilter(labels=(billing.pk,))) == [a.pk, b.pk]
    assert listed(ConversationFilter(labels=(billing.pk, bug.pk))) == [b.pk]
    assert listed(ConversationFilter(state="closed")) == [c.pk]
    assert listed(ConversationFilter(agent=anna.pk)) == [a.pk]
    assert listed(ConversationFilter(agent=NO_AGENT)) == [b.pk, d.pk]
    # Last activity from four days ago until an hour ago (the end left out).
    period = ConversationFilter(since=NOW - timedelta(days=4), until=NOW - timedelta(hours=1))
    assert listed(period) == [c.pk]
    assert listed(ConversationFilter(since=NOW - timedelta(minutes=20))) == [a.pk, b.pk]
    assert listed(ConversationFilter(until=NOW - timedelta(minutes=20))) == [c.pk, d.pk]
    assert listed(ConversationFilter(labels=(bug.pk,), agent=NO_AGENT, state="waiting")) == [b.pk]
    assert listed(ConversationFilter(labels=(bug.pk,), state="agent")) == []


def test_a_search_finds_conversations_holding_every_word_in_any_of_their_messages(db):
    both = made(1, "Can I return the hoodie?", "I want a REFUND please")
    hoodie = made(2, "The hoodie is too small")
    refund = made(3, "Refund my order")
    noticed = made(4, "Hello", system=["Anna refunded the hoodie"])

    assert listed(ConversationFilter(search="hoodie")) == [both.pk, hoodie.pk]
    # Whatever the case, with words in different messages.
    assert listed(ConversationFilter(search="refund HOODIE")) == [both.pk]
    assert listed(ConversationFilter(search="refund")) == [both.pk, refund.pk]
    # The chat's own notices are not what anybody said.
    assert noticed.pk not in listed(ConversationFilter(search="hoodie"))
    assert listed(ConversationFilter(search="xylophone")) == []
    # Words and the other filters together.
    assert listed(ConversationFilter(search="hoodie", until=NOW - timedelta(minutes=1.5))) == [
        hoodie.pk
    ]


@pytest.mark.parametrize("search", ["it's", "a|b", "!mug & (cup)", "'", "\\", ":*", "<->"])
def test_a_search_of_any_characters_is_words_never_an_error(db, search):
    made(1, "My mug: it's a|b cup")
    assert isinstance(listed(ConversationFilter(search=search)), list)


def test_pages_neither_repeat_nor_skip_a_conversation_while_new_ones_arrive(db, settings):
    settings.CHAT_CONSOLE_PAGE_SIZE = 4
    older = [made(100 + n) for n in range(10)]
    # Two share their last activity to the microsecond: the id breaks the tie.
    older[5].last_message_at = older[6].last_message_at
    older[5].save(update_fields=["last_message_at"])

    seen, after, pages = [], None, 0
    while True:
        page = selectors.conversation_page(after=after)
        seen += [row["id"] for row in page.conversations]
        pages += 1
        # Busy: new conversations, and new messages in ones already seen, meanwhile.
        made(pages)
        Conversation.objects.filter(pk=seen[0]).update(last_message_at=timezone.now())
        if page.next_page is None:
            break
        after = page.next_page
    assert pages == 3
    assert sorted(seen) == sorted(c.pk for c in older)
    assert len(seen) == len(set(seen))


def test_a_conversation_moving_to_the_top_meanwhile_is_not_on_a_later_page(db, settings):
    settings.CHAT_CONSOLE_PAGE_SIZE = 2
    first, second, third, fourth = (made(n) for n in (1, 2, 3, 4))
    page = selectors.conversation_page()
    assert [row["id"] for row in page.conversations] == [first.pk, second.pk]
    # The fourth gets a message: it is at the top now (and comes to consoles live).
    Conversation.objects.filter(pk=fourth.pk).update(last_message_at=timezone.now())
    assert listed(after=page.next_page) == [third.pk]


def test_a_page_of_the_list_is_read_in_a_few_queries(billing, bug, django_assert_max_num_queries):
    for n in range(8):
        made(n, "hoodie", labels=[billing, bug][: n % 3])
    # The rows, their pages' products (none here), their labels.
    with django_assert_max_num_queries(2):
        page = selectors.conversation_page(conversation_filter=ConversationFilter(search="hoodie"))
    assert len(page.conversations) == 8
    assert page.conversations[2]["labels"] == [
        {"id": billing.pk, "name": "Billing", "color": "#d97706"},
        {"id": bug.pk, "name": "Bug", "color": "#dc2626"},
    ]


def test_whether_one_conversation_is_listed_agrees_with_the_list(billing):
    anna = make_agent("anna", present=False)
    conversations = [
        made(1, "hoodie refund", state="agent", agent=anna, labels=[billing]),
        made(30, "hoodie", state="waiting", labels=[billing]),
        made(60 * 30, "mug", state="closed", agent=anna),
    ]
    filters = [
        EVERYTHING,
        ConversationFilter(labels=(billing.pk,)),
        ConversationFilter(state="waiting"),
        ConversationFilter(agent=anna.pk),
        ConversationFilter(agent=NO_AGENT),
        ConversationFilter(since=NOW - timedelta(hours=1)),
        ConversationFilter(search="hoodie"),
        ConversationFilter(search="hoodie", labels=(billing.pk,), state="agent"),
    ]
    for wanted in filters:
        whole = set(listed(wanted))
        for conversation in conversations:
            one = selectors.conversation_listed(
                conversation_id=conversation.pk, conversation_filter=wanted
            )
            assert one is (conversation.pk in whole), (wanted, conversation.pk)
            # And a row as consoles get it passes on all but the words alike.
            row = selectors.conversation_summary_get(conversation_id=conversation.pk)
            if not wanted.terms:
                assert wanted.matches_row(row) is one, (wanted, conversation.pk)


def test_the_filters_offer_every_label_and_everyone_who_may_hold_a_conversation(billing, bug):
    anna = make_agent("anna", first_name="Anna", present=False)
    ben = make_agent("ben", first_name="ben", present=False)
    make_agent("visitor-staff", permission=False, present=False)
    make_agent("gone", staff=False, present=False)
    choices = selectors.filter_choices()
    assert [label["name"] for label in choices["labels"]] == ["Billing", "Bug"]
    assert choices["agents"] == [
        {"id": anna.pk, "name": "Anna", "is_bot": False},
        {"id": ben.pk, "name": "ben", "is_bot": False},
    ]


def test_the_ratings_report_averages_per_agent_and_per_bot(rated_chats):
    anna, ben, weather = rated_chats
    report = selectors.ratings_report()
    assert report["overall"] == {"count": 8, "average": pytest.approx(24 / 8)}
    assert report["agents"] == [
        {"id": anna.pk, "name": "Anna", "count": 2, "average": pytest.approx(4.5)},
        {"id": ben.pk, "name": "Ben", "count": 1, "average": pytest.approx(2.0)},
    ]
    assert report["bots"] == [
        {"name": "Case", "kind": "bot", "count": 2, "average": pytest.approx(1.5)},
        {"name": "Weather bot", "kind": "bot app", "count": 1, "average": pytest.approx(3.0)},
        {"name": "Gopher", "kind": "bot", "count": 1, "average": pytest.approx(4.0)},
    ]
    assert report["nobody"] == {"count": 1, "average": pytest.approx(3.0)}


def test_the_ratings_report_is_computed_by_the_database(rated_chats, django_assert_num_queries):
    # A few queries (overall, per agent, per bot, the agents' names), however many ratings.
    with django_assert_num_queries(4):
        selectors.ratings_report()
    for _ in range(20):
        rated(5, agent=rated_chats[0])
    with django_assert_num_queries(4):
        report = selectors.ratings_report()
    assert report["agents"][0] == {
        "id": rated_chats[0].pk,
        "name": "Anna",
        "count": 22,
        "average": pytest.approx((5 + 4 + 20 * 5) / 22),
    }


def test_the_ratings_report_covers_the_conversations_it_is_given(rated_chats):
    anna, ben, _ = rated_chats
    report = selectors.ratings_report(
        conversations=Conversation.objects.filter(assigned_agent=ben).order_by("-created_at")
    )
    assert report["overall"] == {"count": 1, "average": pytest.approx(2.0)}
    assert [row["name"] for row in report["agents"]] == ["Ben"]
    assert report["bots"] == [] and report["nobody"] is None


def test_a_report_of_no_ratings_is_empty(db):
    assert selectors.ratings_report() == {
        "overall": {"count": 0, "average": None},
        "agents": [],
        "bots": [],
        "nobody": None,
    }


def test_rated_conversations_say_which_bot_answered(rated_chats):
    names = sorted((c.rating_score, c.bot_name or "") for c in selectors.rated_conversations())
    assert names == [
        (1, "Case"),
        (2, ""),
        (2, "Case"),
        (3, ""),
        (3, ""),
        (4, "Case"),
        (4, "Gopher"),
        (5, ""),
    ]


def test_the_visitor_s_status_and_the_staff_s_row_carry_the_rating(quiet):
    conversation = services.conversation_open(session_key="r" * 32)
    services.conversation_end(conversation_id=conversation.pk)
    services.conversation_rate(conversation_id=conversation.pk, score=5, comment="Great")
    status = selectors.visitor_status_get(conversation_id=conversation.pk)
    assert status["state"] == "closed"
    assert status["rating"] == {"score": 5, "comment": "Great"}
    row = selectors.conversation_summary_get(conversation_id=conversation.pk)
    rated_at = Conversation.objects.get(pk=conversation.pk).rated_at
    assert row["rating"] == {"score": 5, "comment": "Great", "rated_at": rated_at.isoformat()}


def test_the_chat_box_s_settings_are_read_from_the_database_while_the_cache_is_down(
    db, monkeypatch
):
    ChatSettings.objects.create(primary_color="#0b3d91", launcher_side="left")

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    look = selectors.chat_box_settings()
    assert (look.primary_color, look.launcher_side) == ("#0b3d91", "left")


# --- business hours ---------------------------------------------------------------------------

# Monday 2025-03-31, 17:59:55 in Berlin (summer time, UTC+2); open Monday to Friday 9 to 18.
BEFORE_CLOSING = datetime(2025, 3, 31, 15, 59, 55, tzinfo=UTC)
OFFICE = tuple((weekday, time(9), time(18)) for weekday in range(5))


@pytest.fixture
def office_hours(db):
    return set_business_hours(*OFFICE, time_zone="Europe/Berlin")


def test_without_business_hours_it_is_never_out_of_hours(anna, now_is):
    now_is(datetime(2025, 3, 30, 3, 0, tzinfo=UTC))  # a Sunday night
    assert selectors.business_hours() is None
    assert not selectors.out_of_hours()
    assert selectors.available_agent_ids() == {anna.pk}


def test_out_of_hours_nobody_is_available_though_present_and_accepting(
    office_hours, anna, bot_off, now_is
):
    now_is(BEFORE_CLOSING)
    assert not selectors.out_of_hours()
    assert selectors.available_agent_ids() == {anna.pk}
    assert selectors.chat_online()
    now_is(BEFORE_CLOSING + timedelta(seconds=5))  # 18:00 in Berlin
    assert selectors.out_of_hours()
    assert selectors.available_agent_ids() == set()
    assert selectors.present_agent_ids() == {anna.pk}
    assert not selectors.chat_online()


def test_the_bot_still_answers_out_of_hours(office_hours, anna, now_is):
    now_is(datetime(2025, 4, 5, 12, tzinfo=UTC))  # a Saturday
    assert selectors.out_of_hours()
    assert selectors.chat_online()
    conversation = services.conversation_open(session_key="o" * 32)
    status = selectors.visitor_status_get(conversation_id=conversation.pk)
    assert (status["online"], status["out_of_hours"]) == (True, True)
    assert status["answering"]["role"] == "bot"


def test_a_holiday_is_out_of_hours_all_day(anna, now_is):
    set_business_hours(*OFFICE, holidays=(date(2025, 4, 18),), time_zone="Europe/Berlin")
    now_is(datetime(2025, 4, 18, 10, tzinfo=UTC))  # Good Friday, noon in Berlin
    assert selectors.out_of_hours()
    now_is(datetime(2025, 4, 17, 10, tzinfo=UTC))
    assert not selectors.out_of_hours()


def test_the_hours_are_read_from_the_cache_and_forgotten_when_saved(
    office_hours, now_is, django_assert_num_queries
):
    now_is(BEFORE_CLOSING)
    selectors.business_hours()
    with django_assert_num_queries(0):
        assert not selectors.out_of_hours()
    # Staff add a holiday today: it applies at once.
    Holiday.objects.create(chat_settings=office_hours, date=date(2025, 3, 31))
    assert selectors.out_of_hours()
    OpeningInterval.objects.filter(chat_settings=office_hours).delete()
    Holiday.objects.all().delete()
    assert selectors.out_of_hours()
    office_hours.business_hours = False
    office_hours.save()
    assert not selectors.out_of_hours()


def test_the_cached_status_expires_when_the_hours_close_not_later(
    office_hours, anna, bot_off, now_is, monkeypatch
):
    kept = []
    real_set = cache.set

    def spy(key, value, timeout=None, **kwargs):
        if key == selectors.ONLINE_CACHE_KEY:
            kept.append(timeout)
        return real_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    now_is(BEFORE_CLOSING)
    assert selectors.chat_status_cached() == {"online": True, "out_of_hours": False}
    # Five seconds before closing: kept five seconds, not ONLINE_CACHE_SECONDS.
    assert kept == [5]
    cache.delete(selectors.ONLINE_CACHE_KEY)
    # Under a second before: not kept at all (a cache keeps nothing for less).
    now_is(BEFORE_CLOSING + timedelta(seconds=4, milliseconds=500))
    assert selectors.chat_status_cached()["online"] is True
    assert kept == [5]
    # 18:00 in Berlin: closed until Tuesday 09:00, kept the usual ONLINE_CACHE_SECONDS.
    now_is(BEFORE_CLOSING + timedelta(seconds=5))
    assert selectors.chat_status_cached() == {"online": False, "out_of_hours": True}
    assert kept == [5, selectors.ONLINE_CACHE_SECONDS]


def test_the_away_text_is_staff_s_or_the_chat_s_own_in_the_visitor_s_language(db):
    assert selectors.away_text().startswith("We are away right now.")
    with translation.override("de"):
        assert selectors.away_text().startswith("Wir sind gerade nicht da.")
    with translation.override("es"):
        assert selectors.away_text().startswith("En este momento no estamos.")
    set_business_hours(away_text="Back Monday at nine.")
    with translation.override("de"):
        assert selectors.away_text() == "Back Monday at nine."


def test_agent_loads_count_the_conversations_each_answers(anna, ben):
    conversation = services.conversation_open(session_key="l" * 32)
    services.conversation_take(conversation_id=conversation.pk, user=ben)
    AgentStatus.objects.filter(user=ben).update(capacity=1)
    loads = {load.user_id: load for load in selectors.agent_loads(user_ids={anna.pk, ben.pk})}
    assert (loads[anna.pk].answering, loads[anna.pk].capacity, loads[anna.pk].has_room) == (
        0,
        3,
        True,
    )
    assert (loads[ben.pk].answering, loads[ben.pk].capacity, loads[ben.pk].has_room) == (
        1,
        1,
        False,
    )
