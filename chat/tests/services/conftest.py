"""What the tests of the chat's services share: a conversation, one taken, what the bot is
asked, what reaches visitors."""

import pytest

from chat import services
from chat.models import Conversation, Message


@pytest.fixture
def sent(monkeypatch):
    """Real-time events the services emit to visitors, captured instead of sent."""
    events = []

    def capture(group, event):
        if not group.startswith("chat.staff") and not group.endswith(".staff"):
            events.append((group, event))

    monkeypatch.setattr("chat.realtime._group_send", capture)
    return events


ANSWERABLE = "What is isomorphic go?"


UNANSWERABLE = "qwertyuiop zxcvbnm"


ASKS_FOR_A_PERSON = "I want to talk to a human"


JOINED = "Anna (Support) joined and is answering now."


ASKED_SOMEONE = "I've asked someone from the team to join. They will be with you shortly."


def visitor_says(conversation, text, client_id=None, **kwargs):
    return services.visitor_message_post(
        conversation_id=conversation.pk,
        text=text,
        client_id=client_id,
        channel_name="visitor!chan",
        **kwargs,
    )


def messages_of(conversation):
    return list(
        Message.objects.filter(conversation_id=conversation.pk).values_list("sender_role", "text")
    )


def greeting_of(conversation) -> str:
    """The id of the conversation's first message (the bot's greeting), as frames carry it."""
    return str(Message.objects.filter(conversation_id=conversation.pk).earliest("id").uid)


def state_of(conversation):
    return Conversation.objects.get(pk=conversation.pk)


@pytest.fixture
def conversation(db):
    return services.conversation_open(session_key="c" * 32)


@pytest.fixture
def taken(conversation, anna):
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    return conversation


@pytest.fixture
def respond_calls(monkeypatch):
    """Every question the bot is asked (the real bot still answers)."""
    from bots.agents import AgentCase

    calls = []
    real_respond = AgentCase.respond

    def counting_respond(self, question, *, context=None):
        calls.append(question)
        return real_respond(self, question, context=context)

    monkeypatch.setattr(AgentCase, "respond", counting_respond)
    return calls
