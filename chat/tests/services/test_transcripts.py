"""chat/services/transcripts.py: a visitor's conversation by email, within its limits."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


def address() -> str:
    """An address of its own per test: the per-address counts outlive a test in the cache."""
    return f"visitor-{uuid.uuid4().hex[:12]}@example.org"


def visitor() -> str:
    return uuid.uuid4().hex


def conversation_of(session_key: str, *, closed: bool = False, texts=("Hello",)) -> Conversation:
    conversation = Conversation.objects.create(
        session_key=session_key,
        state=Conversation.State.CLOSED if closed else Conversation.State.BOT,
        closed_at=timezone.now() if closed else None,
    )
    for text in texts:
        Message.objects.create(
            conversation=conversation, sender_role="visitor", sender_name="Visitor", text=text
        )
    return conversation


def test_the_visitors_conversation_is_sent_to_the_address(mailoutbox):
    session_key = visitor()
    conversation_of(session_key, texts=["Do you ship to Norway?"])
    to = address()
    services.transcript_send(session_key=session_key, email=to)
    [sent] = mailoutbox
    assert sent.to == [to]
    assert "Do you ship to Norway?" in sent.body


def test_the_open_conversation_is_sent_else_the_one_closed_last(mailoutbox):
    session_key = visitor()
    conversation_of(session_key, closed=True, texts=["the first, closed"])
    conversation_of(session_key, closed=True, texts=["the second, closed"])
    services.transcript_send(session_key=session_key, email=address())
    assert "the second, closed" in mailoutbox[-1].body
    assert "the first" not in mailoutbox[-1].body

    conversation_of(session_key, texts=["the open one"])
    services.transcript_send(session_key=session_key, email=address())
    assert "the open one" in mailoutbox[-1].body
    # Another visitor's conversation is never theirs to send.
    assert "the open one" not in "".join(m.body for m in mailoutbox[:-1])


@pytest.mark.parametrize("session_key", ["", "no-such-session"])
def test_without_a_conversation_nothing_is_sent_and_nothing_counted(
    mailoutbox, settings, session_key
):
    settings.CHAT_TRANSCRIPTS_PER_ADDRESS = 1
    to = address()
    with pytest.raises(services.ConversationNotFound, match="no chat to send yet"):
        services.transcript_send(session_key=session_key, email=to)
    assert mailoutbox == []
    other = visitor()
    conversation_of(other)
    services.transcript_send(session_key=other, email=to)  # the address's one use is still there


def test_the_transcript_holds_what_the_chat_box_shows(mailoutbox, settings):
    settings.CHAT_HISTORY_LIMIT = 3
    session_key = visitor()
    conversation_of(session_key, texts=[f"message {n}" for n in range(1, 6)])
    services.transcript_send(session_key=session_key, email=address())
    body = mailoutbox[0].body
    assert "message 1\n" not in body and "message 2\n" not in body
    assert body.index("message 3") < body.index("message 4") < body.index("message 5")
    assert "2 earlier messages are not included." in body


# --- the limits -------------------------------------------------------------------------------


def test_a_visitor_may_ask_three_times_an_hour(mailoutbox):
    session_key = visitor()
    conversation_of(session_key)
    for _ in range(3):
        services.transcript_send(session_key=session_key, email=address())
    with pytest.raises(services.TranscriptRateLimited) as refused:
        services.transcript_send(session_key=session_key, email=address())
    assert 1 <= refused.value.retry_after <= 3600
    assert refused.value.code == "rate_limited"
    assert "Please try again in" in refused.value.detail
    assert len(mailoutbox) == 3
    # Another visitor is not held back by this one.
    other = visitor()
    conversation_of(other)
    services.transcript_send(session_key=other, email=address())


def test_an_address_gets_five_a_day_whoever_asks(mailoutbox):
    to = address()
    for _ in range(5):
        session_key = visitor()
        conversation_of(session_key)
        services.transcript_send(session_key=session_key, email=to)
    session_key = visitor()
    conversation_of(session_key)
    with pytest.raises(services.TranscriptRateLimited) as refused:
        services.transcript_send(session_key=session_key, email=to.upper())  # one mailbox
    assert 1 <= refused.value.retry_after <= 24 * 3600
    assert len(mailoutbox) == 5
    # The refusal took nothing from the visitor's own three.
    for _ in range(3):
        services.transcript_send(session_key=session_key, email=address())


def test_the_limits_follow_the_settings(mailoutbox, settings):
    settings.CHAT_TRANSCRIPTS_PER_VISITOR = 1
    settings.CHAT_TRANSCRIPTS_PER_VISITOR_SECONDS = 60
    session_key = visitor()
    conversation_of(session_key)
    services.transcript_send(session_key=session_key, email=address())
    with pytest.raises(services.TranscriptRateLimited) as refused:
        services.transcript_send(session_key=session_key, email=address())
    assert refused.value.retry_after <= 60
    assert "minute" in refused.value.detail


# --- the mail server fails --------------------------------------------------------------------


def test_a_mail_server_that_is_down_is_not_sent_and_counts_nothing(smtp_down, settings, caplog):
    session_key = visitor()
    conversation = conversation_of(session_key, texts=["kept"])
    to = address()
    for _ in range(4):  # more than the visitor's three: a failure uses none of them
        with pytest.raises(services.TranscriptNotSent, match="could not be sent just now"):
            services.transcript_send(session_key=session_key, email=to)
    assert "could not be sent" in caplog.text
    # Nothing of the conversation is lost.
    assert list(conversation.messages.values_list("text", flat=True)) == ["kept"]
    assert Conversation.objects.filter(pk=conversation.pk, closed_at__isnull=True).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for _ in range(3):
        services.transcript_send(session_key=session_key, email=to)


def test_a_mail_server_that_refuses_the_email_is_not_sent_either(smtp_server):
    session_key = visitor()
    conversation_of(session_key)
    smtp_server.refuse = True
    with pytest.raises(services.TranscriptNotSent):
        services.transcript_send(session_key=session_key, email=address())
    assert smtp_server.received == []
    smtp_server.refuse = False
    services.transcript_send(session_key=session_key, email=address())
    assert len(smtp_server.received) == 1


def test_messages_keep_their_order_and_times(mailoutbox):
    session_key = visitor()
    conversation = conversation_of(session_key, texts=[])
    start = timezone.now().replace(hour=14, minute=0, second=0, microsecond=0)
    for minutes, text in [(0, "first"), (5, "second")]:
        Message.objects.create(
            conversation=conversation,
            sender_role="bot",
            sender_name="Case",
            text=text,
            sent_at=start + timedelta(minutes=minutes),
        )
    services.transcript_send(session_key=session_key, email=address())
    body = mailoutbox[0].body
    assert "[2 p.m.] Case:\nfirst" in body
    assert "[2:05 p.m.] Case:\nsecond" in body
