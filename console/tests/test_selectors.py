"""console/selectors.py: canned responses as the console uses them, and how far agents have
seen conversations."""

import pytest
from django.contrib.auth.models import Permission

from chat import services as chat_services
from chat.tests.conftest import make_agent
from console import selectors, services
from console.models import CannedResponse

pytestmark = pytest.mark.django_db


def test_canned_responses_are_listed_by_shortcut_with_their_parts():
    services.canned_response_create(shortcut="thanks", title="Thanks", text="Thanks!")
    hello = services.canned_response_create(
        shortcut="hello", title="Hello", text="Hi {visitor_name}, I'm {agent_name}."
    )
    listed = selectors.canned_responses()
    assert [r["shortcut"] for r in listed] == ["hello", "thanks"]
    assert listed[0] == {
        "id": hello.pk,
        "shortcut": "hello",
        "title": "Hello",
        "text": "Hi {visitor_name}, I'm {agent_name}.",
        "parts": [
            {"text": "Hi "},
            {"placeholder": "visitor_name"},
            {"text": ", I'm "},
            {"placeholder": "agent_name"},
            {"text": "."},
        ],
    }
    assert selectors.canned_response_get(response_id=hello.pk) == hello
    assert selectors.canned_response_get(response_id=hello.pk + 100) is None


def test_a_response_stored_without_validation_is_inserted_as_written():
    CannedResponse.objects.create(shortcut="odd", title="Odd", text="Hi {name}")
    assert selectors.canned_responses()[0]["parts"] == [{"text": "Hi {name}"}]


def test_what_an_agent_may_do_with_canned_responses_is_their_permissions():
    anna = make_agent("anna")
    assert selectors.canned_permissions(user=anna) == {
        "add": False,
        "change": False,
        "delete": False,
    }
    anna.user_permissions.add(
        Permission.objects.get(content_type__app_label="console", codename="change_cannedresponse")
    )
    anna = type(anna).objects.get(pk=anna.pk)
    assert selectors.canned_permissions(user=anna) == {
        "add": False,
        "change": True,
        "delete": False,
    }


def test_the_visitor_s_name_falls_back_to_the_setting(settings):
    assert selectors.canned_fallbacks() == {"visitor_name": "there"}
    settings.CONSOLE_VISITOR_NAME_FALLBACK = "zusammen"
    assert selectors.canned_fallbacks() == {"visitor_name": "zusammen"}


def test_seen_counts_are_the_agent_s_own_for_the_conversations_asked():
    anna, ben = make_agent("anna"), make_agent("ben")
    first, second, third = (
        chat_services.conversation_open(session_key=f"{n}" * 32) for n in range(3)
    )
    for conversation in (first, second):
        chat_services.visitor_message_post(
            conversation_id=conversation.pk, text="q", client_id=None, channel_name="x"
        )
        services.conversation_seen(user=anna, conversation_id=conversation.pk)
    services.conversation_seen(user=ben, conversation_id=third.pk)
    assert selectors.seen_counts(user=anna, conversation_ids=[first.pk, third.pk]) == {first.pk: 1}
    assert selectors.seen_counts(user=ben, conversation_ids=[first.pk, third.pk]) == {third.pk: 0}
