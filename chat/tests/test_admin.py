import pytest
from django.contrib.auth.models import User

from chat import selectors
from chat.models import AgentClient, AgentStatus, ChatSettings, Conversation, LeftMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "r@x.org", "pw"))
    return client


@pytest.mark.parametrize(
    "model",
    ["conversation", "message", "agentstatus", "agentclient", "leftmessage", "suggestion"],
)
def test_every_chat_changelist_renders(admin_client, model):
    assert admin_client.get(f"/admin/chat/{model}/").status_code == 200


def test_conversations_filter_by_state(admin_client):
    Conversation.objects.create(session_key="a" * 32, state=Conversation.State.WAITING)
    Conversation.objects.create(session_key="b" * 32)
    response = admin_client.get("/admin/chat/conversation/?state=waiting")
    assert response.context["cl"].result_count == 1


# The settings form as admin shows it, filled with the defaults.
SETTINGS_FORM = {
    "primary_color": "#1f7a8c",
    "launcher_side": "right",
    "welcome_text": "Hi! Questions about our products? Ask us here.",
    "allowed_origins": "",
}


def test_chat_settings_are_one_row(admin_client):
    response = admin_client.post(
        "/admin/chat/chatsettings/add/", {**SETTINGS_FORM, "sidekick_default": "on"}
    )
    assert response.status_code == 302
    assert ChatSettings.objects.get().sidekick_default is True
    assert admin_client.get("/admin/chat/chatsettings/add/").status_code == 403


def save_settings(admin_client, **fields):
    row, _ = ChatSettings.objects.get_or_create(pk=1)
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
        {"user": user.pk, "title": "Sales", "accepting_chats": "on"},
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
