"""Staff's private notes never reach a bot app: no webhook is recorded for one, whatever the
app subscribes to, and the HTTP API's reads of a conversation do not hold them. (The
visitor's exits are tested with the chat: chat/tests/test_notes_privacy.py.)"""

import pytest

from botapps import services
from botapps.models import WebhookDelivery
from chat import services as chat_services
from chat.tests.conftest import make_agent

from .test_api_support import Api, routed_conversation

pytestmark = pytest.mark.django_db

SECRET = "Private: card declined twice, do not offer the discount"


@pytest.fixture
def listening():
    """A bot app that hears everything it can, a member of a conversation routed to it (so
    its member and routed messages both reach it), and its API client."""
    creds = services.bot_app_create(
        name="Robo",
        title="Helper",
        avatar="",
        webhook_url="http://127.0.0.1:9/hook",
        subscriptions={name: True for name in services.BOT_APP_SUBSCRIPTIONS},
        is_active=True,
    )
    api = Api.with_key(creds)
    conversation = routed_conversation()
    joined = api.post(f"/users/{{me}}/routed_chats/{conversation.pk}/memberships", {})
    assert joined.status_code == 201
    return api, conversation


def test_a_note_records_no_webhook_where_a_message_does(listening):
    _, conversation = listening
    agent = make_agent("anna", first_name="Anna")
    before = WebhookDelivery.objects.count()

    chat_services.note_create(conversation_id=conversation.pk, user=agent, text=SECRET)
    assert WebhookDelivery.objects.count() == before
    # The app does hear the conversation's messages: the note is what it was not told of.
    chat_services.visitor_message_post(
        conversation_id=conversation.pk, text="Hello?", client_id=None, channel_name="x"
    )
    assert WebhookDelivery.objects.count() > before
    assert not any(SECRET in str(d.resource) for d in WebhookDelivery.objects.all())


def test_the_api_s_reads_of_the_conversation_hold_no_note(listening):
    api, conversation = listening
    agent = make_agent("anna", first_name="Anna")
    chat_services.note_create(conversation_id=conversation.pk, user=agent, text=SECRET)

    messages = api.get(f"/users/{{me}}/chats/{conversation.pk}/messages")
    chat = api.get(f"/users/{{me}}/chats/{conversation.pk}")
    assert messages.status_code == chat.status_code == 200
    assert messages.json()["results"]  # the greeting, and the app's joining
    for response in (messages, chat):
        assert SECRET not in response.content.decode()
