"""Admin's "Visitors' data" page and the actions that open it: find a visitor, see what is
stored (counted), then erase it or download it; each for those allowed."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import Entry
from chat.models import Conversation, LeftMessage

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:privacy_visitordata_changelist")
CONVERSATIONS = reverse("admin:chat_conversation_changelist")
LEFT_MESSAGES = reverse("admin:chat_leftmessage_changelist")
ACTION = "visitors_data"


def staff(username: str, *codenames: str):
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def eraser(client):
    client.force_login(staff("eraser", "erase_visitor_data", "view_conversation"))
    return client


@pytest.fixture
def exporter(client):
    client.force_login(
        staff("exporter", "export_visitor_data", "view_conversation", "view_leftmessage")
    )
    return client


def found(response) -> dict:
    return response.context["counts"]


# --- who sees the page ------------------------------------------------------------------------


def test_the_page_is_on_admin_s_index_for_those_allowed(admin_client, client):
    assert PAGE in admin_client.get(reverse("admin:index")).content.decode()
    client.force_login(staff("agent", "view_conversation"))
    assert PAGE not in client.get(reverse("admin:index")).content.decode()
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"email": "jane@example.com"}).status_code == 403


def test_the_permissions_are_the_page_s_own():
    assert set(
        Permission.objects.filter(content_type__app_label="privacy").values_list(
            "codename", flat=True
        )
    ) == {"erase_visitor_data", "export_visitor_data"}


# --- finding ----------------------------------------------------------------------------------


def test_the_search_asks_for_one_of_an_address_or_a_conversation(admin_client):
    page = admin_client.get(PAGE)
    assert page.status_code == 200 and page.context["found"] is None
    for data, error in [
        ({}, "Give an email address or a conversation number."),
        (
            {"email": "jane@example.com", "conversation": "3"},
            "Give an email address or a conversation number, not both.",
        ),
        ({"email": "not an address"}, "Enter a valid email address."),
        ({"conversation": "-1"}, "Ensure this value is greater than or equal to 1."),
    ]:
        response = admin_client.post(PAGE, data)
        assert response.status_code == 200
        assert response.context["found"] is None
        assert error in response.content.decode()


def test_found_by_email_the_page_counts_everything_before_anything_changes(admin_client, jane):
    response = admin_client.post(PAGE, {"email": "JANE@example.com"})
    counts = found(response)
    assert counts["conversations"] == 3 and counts["messages"] == 5
    assert counts["left messages"] == 2 and counts["sessions"] == 2
    assert response.context["ratings"] == 1
    page = response.content.decode()
    assert 'name="erase"' in page and 'name="export"' in page
    for conversation in jane.conversations:
        assert f"#{conversation.pk}" in page
    # Nothing changed yet.
    assert Conversation.objects.count() == 3 and not Entry.objects.exists()


def test_found_nothing_says_so(admin_client, jane):
    response = admin_client.post(PAGE, {"email": "nobody@example.com"})
    assert "Nothing is stored about this visitor." in response.content.decode()
    response = admin_client.post(PAGE, {"conversation": "424242"})
    assert "Nothing is stored about this visitor." in response.content.decode()


# --- erasing and exporting --------------------------------------------------------------------


def confirm(client, button: str, *, conversations=(), emails=()):
    return client.post(
        PAGE, {button: "yes", "conversations": list(conversations), "emails": list(emails)}
    )


def test_erasing_deletes_all_of_it_says_what_and_writes_the_audit_log(eraser, jane, omar):
    response = confirm(eraser, "erase", emails=["jane@example.com"])
    assert response.status_code == 302 and response["Location"] == PAGE
    message = str(list(eraser.get(PAGE).context["messages"])[0])
    assert message.startswith("Erased: 3 conversations, 5 messages, 2 left messages, 2 sessions")
    assert set(Conversation.objects.all()) == set(omar.conversations)
    entry = Entry.objects.get()
    assert (entry.action, entry.actor_name) == ("erased", "eraser")


def test_erasing_again_finds_nothing_left(eraser, jane):
    confirm(eraser, "erase", conversations=[jane.conversations[0].pk])
    confirm(eraser, "erase", conversations=[jane.conversations[0].pk])
    message = str(list(eraser.get(PAGE).context["messages"])[-1])
    assert message == "Nothing was stored about this visitor any more."
    assert Entry.objects.count() == 1


def test_the_export_is_a_json_download_and_is_written_to_the_audit_log(exporter, jane):
    response = confirm(exporter, "export", emails=["jane@example.com"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="visitor-data-')
    assert "no-store" in response["Cache-Control"]
    export = json.loads(response.content)
    assert len(export["conversations"]) == 3 and len(export["left_messages"]) == 2
    assert Conversation.objects.count() == 3  # nothing deleted
    entry = Entry.objects.get()
    assert (entry.action, entry.actor_name) == ("exported", "exporter")


def test_each_button_asks_its_own_permission(eraser, exporter, client, jane):
    client.force_login(staff("only-exports", "export_visitor_data"))
    page = client.post(PAGE, {"email": "jane@example.com"}).content.decode()
    assert 'name="export"' in page and 'name="erase"' not in page
    assert confirm(client, "erase", emails=["jane@example.com"]).status_code == 403
    client.force_login(staff("only-erases", "erase_visitor_data"))
    page = client.post(PAGE, {"email": "jane@example.com"}).content.decode()
    assert 'name="erase"' in page and 'name="export"' not in page
    assert confirm(client, "export", emails=["jane@example.com"]).status_code == 403
    assert Conversation.objects.count() == 3 and not Entry.objects.exists()


def test_a_confirmation_that_names_nobody_or_garbage_changes_nothing(admin_client, jane):
    for data in [
        {"erase": "yes"},
        {"erase": "yes", "conversations": ["one"]},
        {"erase": "yes", "emails": ["not an address"]},
    ]:
        response = admin_client.post(PAGE, data)
        assert response.status_code == 200
        assert response.context["errors"]
        assert "Nothing was changed: " in response.content.decode()
    assert Conversation.objects.count() == 3 and not Entry.objects.exists()


# --- the actions on the chat's lists ----------------------------------------------------------


def run_action(client, url: str, rows) -> object:
    return client.post(url, {"action": ACTION, "_selected_action": [row.pk for row in rows]})


def test_the_action_on_conversations_confirms_for_their_visitors(admin_client, jane, omar):
    response = run_action(admin_client, CONVERSATIONS, [jane.conversations[0]])
    assert response.status_code == 200
    assert response.context["found"].conversation_ids == tuple(
        sorted(c.pk for c in jane.conversations[:2])
    )
    assert found(response)["conversations"] == 2
    # The buttons post to the page, which erases.
    assert f'action="{PAGE}"' in response.content.decode()


def test_the_action_on_left_messages_confirms_for_their_addresses(admin_client, jane, omar):
    response = run_action(admin_client, LEFT_MESSAGES, [jane.left_messages[1]])
    assert response.context["found"].lookup.emails == ("jane@example.com",)
    assert found(response)["conversations"] == 3
    assert found(response)["left messages"] == 2


def test_the_actions_are_offered_only_to_those_allowed(admin_client, client, jane):
    def offered(c, url):
        form = c.get(url).context["action_form"]
        return form is not None and ACTION in dict(form.fields["action"].choices)

    assert offered(admin_client, CONVERSATIONS) and offered(admin_client, LEFT_MESSAGES)
    client.force_login(staff("agent", "view_conversation", "view_leftmessage"))
    assert not offered(client, CONVERSATIONS) and not offered(client, LEFT_MESSAGES)
    # Asked all the same: Django's list again, nothing shown or done.
    response = run_action(client, CONVERSATIONS, [jane.conversations[0]])
    assert response.context.get("found") is None
    assert "admin/change_list.html" in response.template_name
    assert LeftMessage.objects.count() == 2


def test_an_action_on_more_than_a_page_can_name_says_so_and_shows_nothing(
    admin_client, jane, monkeypatch
):
    monkeypatch.setattr("privacy.admin.MAX_NAMED", 2)
    response = admin_client.post(
        CONVERSATIONS,
        {"action": ACTION, "_selected_action": [c.pk for c in jane.conversations]},
        follow=True,
    )
    assert response.context.get("found") is None
    assert "Select at most 2 visitors at once (3 were selected)." in response.content.decode()
    assert Conversation.objects.count() == 3
