import datetime
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from chat import selectors
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
)

from .conftest import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "r@x.org", "pw"))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "conversation",
        "conversationrating",
        "message",
        "agentstatus",
        "agentclient",
        "leftmessage",
        "suggestion",
        "label",
    ],
)
def test_every_chat_changelist_renders(admin_client, model):
    assert admin_client.get(f"/admin/chat/{model}/").status_code == 200


def test_conversations_filter_by_state(admin_client):
    Conversation.objects.create(session_key="a" * 32, state=Conversation.State.WAITING)
    Conversation.objects.create(session_key="b" * 32)
    response = admin_client.get("/admin/chat/conversation/?state=waiting")
    assert response.context["cl"].result_count == 1


def test_a_conversation_shows_staff_s_notes_beside_its_messages_read_only(admin_client):
    conversation = Conversation.objects.create(session_key="n" * 32)
    Note.objects.create(conversation=conversation, author_name="Anna", text="VIP customer")
    page = admin_client.get(f"/admin/chat/conversation/{conversation.pk}/change/")
    assert page.status_code == 200
    assert "Private notes" in page.content.decode()
    assert "VIP customer" in page.content.decode()
    assert 'name="notes-0-text"' not in page.content.decode()  # shown, not editable


# The settings form as admin shows it, filled with the defaults.
SETTINGS_FORM = {
    "primary_color": "#1f7a8c",
    "launcher_side": "right",
    "welcome_text": "Hi! Questions about our products? Ask us here.",
    "allowed_origins": "",
    "time_zone": "UTC",
    "away_text": "",
    # The inlines' management forms: no opening hours, no holidays.
    **{
        f"{prefix}-{field}": value
        for prefix in ("opening_intervals", "holidays")
        for field, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    },
}


def test_chat_settings_are_one_row(admin_client):
    response = admin_client.post(
        "/admin/chat/chatsettings/add/", {**SETTINGS_FORM, "sidekick_default": "on"}
    )
    assert response.status_code == 302
    assert ChatSettings.objects.get().sidekick_default is True
    assert admin_client.get("/admin/chat/chatsettings/add/").status_code == 403


def save_settings(admin_client, **fields):
    # The one row, whatever its id (PostgreSQL does not reuse ids between tests).
    row = ChatSettings.objects.first() or ChatSettings.objects.create()
    return admin_client.post(
        f"/admin/chat/chatsettings/{row.pk}/change/", {**SETTINGS_FORM, **fields}
    )


def test_the_chat_box_s_look_is_edited_in_admin(admin_client):
    page = admin_client.get("/admin/chat/chatsettings/add/").content.decode()
    for field in SETTINGS_FORM:
        assert f'name="{field}"' in page
    response = save_settings(
        admin_client, primary_color="#0B3D91", launcher_side="left", welcome_text=""
    )
    assert response.status_code == 302
    row = ChatSettings.objects.get()
    assert (row.primary_color, row.launcher_side, row.welcome_text) == ("#0b3d91", "left", "")
    assert selectors.chat_box_settings().primary_color == "#0b3d91"


def test_a_colour_white_text_cannot_be_read_on_is_refused(admin_client):
    ChatSettings.objects.create(primary_color="#1f7a8c")
    response = save_settings(admin_client, primary_color="#ffcc00")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["primary_color"]
    assert errors == [
        "White text on #ffcc00 has a contrast of only 1.51:1; the chat box's buttons need at "
        "least 4.5:1 to be readable (WCAG AA). Choose a darker colour."
    ]
    assert ChatSettings.objects.get().primary_color == "#1f7a8c"


def test_a_colour_is_hash_and_six_hex_digits(admin_client):
    response = save_settings(admin_client, primary_color="teal")
    assert response.context["adminform"].form.errors["primary_color"] == [
        "Give the colour as # and six hexadecimal digits, e.g. #1f7a8c."
    ]


def test_allowed_origins_are_stored_normalized_and_apply_at_once(admin_client):
    assert selectors.chat_box_settings().allowed_origins == ()
    response = save_settings(
        admin_client,
        allowed_origins="HTTPS://Shop.Example.org/\r\n\r\nhttp://localhost:8001\r\n"
        "https://shop.example.org:443",
    )
    assert response.status_code == 302
    assert ChatSettings.objects.get().allowed_origins == (
        "https://shop.example.org\nhttp://localhost:8001"
    )
    # Pages and sockets read them from the cache: saving forgot the old list.
    assert selectors.chat_box_settings().allowed_origins == (
        "https://shop.example.org",
        "http://localhost:8001",
    )


def test_each_bad_origin_is_named_by_its_line_and_nothing_is_saved(admin_client):
    ChatSettings.objects.create(allowed_origins="https://shop.example.org")
    response = save_settings(
        admin_client,
        allowed_origins="https://shop.example.org\r\nshop2.example.org\r\n"
        "https://shop3.example.org/embed",
        welcome_text="Changed",
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["allowed_origins"] == [
        "Line 2, “shop2.example.org”: an origin starts with https:// (or http://), e.g. "
        "https://shop.example.org.",
        "Line 3, “https://shop3.example.org/embed”: give only the scheme, the host and the "
        "port, without a path, query or fragment (https://shop.example.org, not "
        "https://shop.example.org/page).",
    ]
    row = ChatSettings.objects.get()
    assert (row.allowed_origins, row.welcome_text) == (
        "https://shop.example.org",
        "Hi! Questions about our products? Ask us here.",
    )


def test_left_messages_are_read_only_but_can_be_marked_handled(admin_client):
    left = LeftMessage.objects.create(name="Ann", email="ann@x.org", text="Call me")
    assert admin_client.get("/admin/chat/leftmessage/add/").status_code == 403
    page = admin_client.get(f"/admin/chat/leftmessage/{left.pk}/change/")
    assert page.status_code == 200
    assert b"Call me" in page.content


def test_agent_status_title_is_editable(admin_client):
    user = User.objects.create_user("bob", is_staff=True)
    status = AgentStatus.objects.create(user=user)
    response = admin_client.post(
        f"/admin/chat/agentstatus/{status.pk}/change/",
        {"user": user.pk, "title": "Sales", "accepting_chats": "on", "capacity": "3"},
    )
    assert response.status_code == 302
    status.refresh_from_db()
    assert status.title == "Sales"


def test_consoles_cannot_be_added_by_hand(admin_client):
    assert admin_client.get("/admin/chat/agentclient/add/").status_code == 403
    assert not AgentClient.objects.exists()


def test_adding_a_staff_member_to_the_agents_group_lets_them_chat():
    from django.contrib.auth.models import Group

    from chat.selectors import user_can_chat

    user = User.objects.create_user("carol", is_staff=True)
    assert not user_can_chat(user)
    user.groups.add(Group.objects.get(name="Agents"))
    user = User.objects.get(pk=user.pk)  # permissions are cached per instance
    assert user_can_chat(user)


# --- ratings ----------------------------------------------------------------------------------


def rated(score, *, agent=None, bot=None, comment="", days_ago=0):
    when = timezone.now() - timedelta(days=days_ago)
    conversation = Conversation.objects.create(
        session_key=uuid.uuid4().hex,
        state=Conversation.State.CLOSED,
        closed_at=when,
        assigned_agent=agent,
        rating_score=score,
        rating_comment=comment,
        rated_at=when,
    )
    if bot:
        Message.objects.create(
            conversation=conversation, sender_role="bot", sender_name=bot, text="Hi"
        )
    return conversation


@pytest.fixture
def ratings(db):
    anna = make_agent("anna", first_name="Anna")
    rated(5, agent=anna, comment="Anna sorted it out in a minute.")
    rated(4, agent=anna)
    rated(2, bot="Case", comment="The bot did not get my question.")
    rated(1, bot="Case", days_ago=400)
    Conversation.objects.create(session_key="o" * 32)  # open, not rated
    return anna


def report_of(response):
    return response.context["report"]


def test_the_ratings_report_shows_averages_per_agent_and_per_bot(admin_client, ratings):
    response = admin_client.get("/admin/chat/conversationrating/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ratings report" in page
    assert "Average <strong>3.00</strong> / 5" in page
    assert "over 4 ratings" in page
    assert "<td>Anna</td><td>4.50</td><td>2</td>" in page
    assert "<td>Case (bot)</td><td>1.50</td><td>2</td>" in page
    # The ratings themselves, with what the visitors wrote; the open conversation is not one.
    assert response.context["cl"].result_count == 4
    assert "The bot did not get my question." in page


def test_the_ratings_report_follows_the_filters(admin_client, ratings):
    response = admin_client.get("/admin/chat/conversationrating/?rating_score__exact=5")
    assert response.context["cl"].result_count == 1
    assert report_of(response)["overall"] == {"count": 1, "average": 5.0}

    this_year = timezone.now().year
    response = admin_client.get(f"/admin/chat/conversationrating/?rated_at__year={this_year}")
    report = report_of(response)
    assert report["overall"]["count"] == 3
    assert report["bots"] == [{"name": "Case", "kind": "bot", "count": 1, "average": 2.0}]


def test_ratings_are_read_only(admin_client, ratings):
    conversation = Conversation.objects.filter(rating_score=5).get()
    assert admin_client.get("/admin/chat/conversationrating/add/").status_code == 403
    response = admin_client.post(
        f"/admin/chat/conversationrating/{conversation.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Conversation.objects.filter(pk=conversation.pk).exists()


def test_the_conversation_list_shows_and_filters_ratings_and_links_the_report(
    admin_client, ratings
):
    response = admin_client.get("/admin/chat/conversation/")
    page = response.content.decode()
    assert 'href="/admin/chat/conversationrating/"' in page
    assert "Ratings report" in page
    assert "column-rating_score" in page
    assert "5/5" in page and "not rated" in page

    response = admin_client.get("/admin/chat/conversation/?rating_score__exact=4")
    assert response.context["cl"].result_count == 1
    response = admin_client.get("/admin/chat/conversation/?rating_score__isnull=True")
    assert response.context["cl"].result_count == 1


# --- labels -----------------------------------------------------------------------------------


def test_a_label_is_a_name_and_a_colour_stored_in_lower_case(admin_client):
    response = admin_client.post(
        "/admin/chat/label/add/", {"name": "  Billing ", "color": "#D97706"}
    )
    assert response.status_code == 302
    label = Label.objects.get()
    assert (label.name, label.color) == ("Billing", "#d97706")


@pytest.mark.parametrize("color", ["d97706", "#d977", "#d977060", "#gg7706", "red", ""])
def test_a_label_s_colour_is_hash_and_six_hex_digits(admin_client, color):
    response = admin_client.post("/admin/chat/label/add/", {"name": "Billing", "color": color})
    assert response.status_code == 200
    assert "color" in response.context["adminform"].form.errors
    assert not Label.objects.exists()


def test_any_colour_will_do_the_name_beside_it_is_what_is_read():
    # Too light for white text and too dark for black: a swatch beside the name either way.
    for name, color in [("Pale", "#fffff0"), ("Dark", "#000000")]:
        Label(name=name, color=color).full_clean()


def test_two_labels_cannot_have_one_name_whatever_its_case(admin_client):
    Label.objects.create(name="Billing", color="#d97706")
    response = admin_client.post("/admin/chat/label/add/", {"name": "billing", "color": "#123456"})
    assert response.status_code == 200
    assert "There is a label of this name already." in str(
        response.context["adminform"].form.errors
    )
    assert Label.objects.count() == 1


def test_the_label_list_shows_each_colour_as_a_swatch_and_its_conversations(admin_client):
    billing = Label.objects.create(name="Billing", color="#d97706")
    Label.objects.create(name="Bug", color="#dc2626")
    for n in range(3):
        conversation = Conversation.objects.create(session_key=f"{n}" * 32)
        ConversationLabel.objects.create(conversation=conversation, label=billing)
    response = admin_client.get("/admin/chat/label/")
    html = response.content.decode()
    assert "background:#d97706" in html and "background:#dc2626" in html
    counts = {label.name: label.conversation_total for label in response.context["cl"].result_list}
    assert counts == {"Billing": 3, "Bug": 0}
    filtered = admin_client.get(f"/admin/chat/conversation/?labels__id__exact={billing.pk}")
    assert filtered.context["cl"].result_count == 3


def test_saving_or_deleting_a_label_tells_every_console(
    admin_client, events, django_capture_on_commit_callbacks
):
    def filters():
        return [frame for frame in events.to_inbox() if frame["type"] == "filters"]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/chat/label/add/", {"name": "Billing", "color": "#d97706"})
    [added] = filters()
    label = Label.objects.get()
    assert added["labels"] == [{"id": label.pk, "name": "Billing", "color": "#d97706"}]
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/chat/label/{label.pk}/delete/", {"post": "yes"})
    assert filters()[-1]["labels"] == []


def test_the_admin_index_lists_the_ratings(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/chat/conversationrating/"' in page
    assert ">Ratings<" in page


# --- sharing the work and business hours --------------------------------------------------------


def hours_form(*intervals, holidays=(), **fields):
    """The settings form with these opening hours (weekday, "HH:MM", "HH:MM") and holidays
    (date, name) as new inline rows."""
    data = {**SETTINGS_FORM, **fields}
    data["opening_intervals-TOTAL_FORMS"] = str(len(intervals))
    for n, (weekday, opens, closes) in enumerate(intervals):
        data.update(
            {
                f"opening_intervals-{n}-weekday": str(weekday),
                f"opening_intervals-{n}-opens": opens,
                f"opening_intervals-{n}-closes": closes,
            }
        )
    data["holidays-TOTAL_FORMS"] = str(len(holidays))
    for n, (day, name) in enumerate(holidays):
        data.update({f"holidays-{n}-date": day, f"holidays-{n}-name": name})
    return data


def post_settings(admin_client, data):
    row = ChatSettings.objects.first() or ChatSettings.objects.create()
    return admin_client.post(f"/admin/chat/chatsettings/{row.pk}/change/", data)


def test_the_settings_page_groups_sharing_the_work_and_business_hours(admin_client):
    row = ChatSettings.objects.create()
    page = admin_client.get(f"/admin/chat/chatsettings/{row.pk}/change/").content.decode()
    for heading in ("Sharing the work", "Business hours", "Opening hours", "Holidays"):
        assert heading in page
    for field in ("auto_assign", "business_hours", "time_zone", "away_text", "primary_color"):
        assert f'name="{field}"' in page
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page


def test_business_hours_are_edited_in_admin_and_apply_at_once(admin_client):
    response = post_settings(
        admin_client,
        hours_form(
            (0, "09:00", "12:00"),
            (0, "13:00", "17:30"),
            (5, "10:00", "00:00"),
            holidays=[("2025-12-25", "Christmas Day")],
            business_hours="on",
            auto_assign="on",
            time_zone="Europe/Berlin",
            away_text="Back on Monday.",
        ),
    )
    assert response.status_code == 302
    row = ChatSettings.objects.get()
    assert (row.business_hours, row.auto_assign, row.time_zone, row.away_text) == (
        True,
        True,
        "Europe/Berlin",
        "Back on Monday.",
    )
    assert [str(i) for i in row.opening_intervals.all()] == [
        "Monday 09:00\u201312:00",
        "Monday 13:00\u201317:30",
        "Saturday 10:00\u201324:00",
    ]
    assert [(str(h.date), h.name) for h in row.holidays.all()] == [("2025-12-25", "Christmas Day")]
    hours = selectors.business_hours()
    assert hours is not None and len(hours.intervals) == 3
    assert hours.holidays == {datetime.date(2025, 12, 25)}
    assert selectors.away_text() == "Back on Monday."


def test_an_interval_ending_before_it_starts_is_refused_and_nothing_is_saved(admin_client):
    response = post_settings(
        admin_client, hours_form((2, "18:00", "09:00"), business_hours="on", welcome_text="New")
    )
    assert response.status_code == 200
    [inline, _] = response.context["inline_admin_formsets"]
    assert inline.formset.errors[0]["closes"] == [
        "An interval must end after it starts: this one opens at 18:00 and closes at 09:00. "
        "For hours past midnight, close at 00:00 and add the rest to the next day."
    ]
    row = ChatSettings.objects.get()
    assert (row.business_hours, row.welcome_text) == (False, SETTINGS_FORM["welcome_text"])
    assert not OpeningInterval.objects.exists()


def test_overlapping_intervals_of_a_day_are_refused_and_nothing_is_saved(admin_client):
    response = post_settings(
        admin_client,
        hours_form(
            (0, "09:00", "12:00"),
            (0, "11:30", "14:00"),
            (1, "09:00", "12:00"),
            (1, "12:00", "14:00"),  # touching: fine
            business_hours="on",
        ),
    )
    assert response.status_code == 200
    [inline, _] = response.context["inline_admin_formsets"]
    assert inline.formset.non_form_errors() == [
        "Monday 09:00\u201312:00 overlaps 11:30\u201314:00: intervals of a day may touch (one "
        "closing as the next opens) but not overlap."
    ]
    assert not OpeningInterval.objects.exists()
    assert ChatSettings.objects.get().business_hours is False


def test_a_holiday_is_given_once(admin_client):
    response = post_settings(
        admin_client,
        hours_form(holidays=[("2025-12-25", "Christmas"), ("2025-12-25", "Again")]),
    )
    assert response.status_code == 200
    [_, inline] = response.context["inline_admin_formsets"]
    assert "Please correct the duplicate data for date" in str(inline.formset.non_form_errors())
    assert not Holiday.objects.exists()


def test_an_unknown_time_zone_is_refused(admin_client):
    response = post_settings(admin_client, hours_form(time_zone="Mars/Olympus_Mons"))
    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors


def test_an_agent_s_capacity_is_edited_in_the_list_and_is_at_least_one(admin_client):
    anna = make_agent("anna", present=False)
    status = AgentStatus.objects.get(user=anna)
    page = admin_client.get("/admin/chat/agentstatus/").content.decode()
    assert 'name="form-0-capacity"' in page
    form = {"user": anna.pk, "title": "Support", "accepting_chats": "on"}
    url = f"/admin/chat/agentstatus/{status.pk}/change/"
    assert admin_client.post(url, {**form, "capacity": "0"}).status_code == 200
    assert admin_client.post(url, {**form, "capacity": "5"}).status_code == 302
    status.refresh_from_db()
    assert status.capacity == 5
