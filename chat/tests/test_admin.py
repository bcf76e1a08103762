import pytest
from django.contrib.auth.models import User

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


def test_chat_settings_are_one_row(admin_client):
    response = admin_client.post("/admin/chat/chatsettings/add/", {"sidekick_default": "on"})
    assert response.status_code == 302
    assert ChatSettings.objects.get().sidekick_default is True
    assert admin_client.get("/admin/chat/chatsettings/add/").status_code == 403


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
