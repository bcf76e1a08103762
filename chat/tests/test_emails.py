"""chat/emails.py: the transcript and the team's notice, as a real SMTP server receives them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from chat import emails
from chat.models import Conversation, LeftMessage, Message

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"
STARTED = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture
def conversation():
    conversation = Conversation.objects.create(session_key="t" * 32, created_at=STARTED)
    said = [
        ("bot", "Case", "Resident Gopher", "Hi there! I'm Case.", 0),
        ("visitor", "Visitor", "", f"Does this render? {XSS}\nSecond line & more", 60),
        ("system", "Chat", "", "Anna (Support) joined and is answering now.", 120),
        ("agent", "Anna", "Support", "It does not: <b>text</b> stays text.", 180),
    ]
    for role, name, title, text, seconds in said:
        Message.objects.create(
            conversation=conversation,
            sender_role=role,
            sender_name=name,
            sender_title=title,
            text=text,
            sent_at=STARTED + timedelta(seconds=seconds),
        )
    return conversation


def send_transcript(conversation, to="ann@example.org", left_out=0):
    messages = list(conversation.messages.order_by("id"))
    emails.transcript_email(
        conversation=conversation, messages=messages, left_out=left_out, to=to
    ).send()


# --- the transcript ---------------------------------------------------------------------------


def test_the_transcript_arrives_as_text_and_html_to_the_visitor(smtp_server, conversation):
    send_transcript(conversation)

    [received] = smtp_server.received
    assert received.rcpt_tos == ["ann@example.org"]
    assert received.mail_from == "chat@shop.example.com"
    assert received.subject == "Your chat with Gopher Goods"
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert received.message.get_content_type() == "multipart/alternative"
    text = received.text
    # Who wrote what, and when (UTC, the site's time zone), in order.
    assert "Started on March 14, 2026; times are in UTC." in text
    assert "[9:30 a.m.] Case:\nHi there! I'm Case." in text
    assert f"[9:31 a.m.] You:\nDoes this render? {XSS}\nSecond line & more" in text
    assert "[9:32 a.m.] Chat:\nAnna (Support) joined" in text
    assert "[9:33 a.m.] Anna (Support):\nIt does not: <b>text</b> stays text." in text
    assert text.index("Case:") < text.index("You:") < text.index("Anna (Support):")


def test_the_transcripts_html_shows_what_visitors_wrote_as_text_never_as_markup(
    smtp_server, conversation
):
    send_transcript(conversation)

    html = smtp_server.received[0].html
    assert "<img" not in html
    assert "<b>text</b>" not in html
    assert "Does this render? &lt;img src=x onerror=alert(1)&gt;<br>Second line &amp; more" in html
    assert "It does not: &lt;b&gt;text&lt;/b&gt; stays text." in html
    assert "<strong" in html and ">You</strong>" in html and ">Anna</strong> (Support)" in html
    assert '<a href="http://127.0.0.1:8000/"' in html  # the site, linked absolutely


def test_the_transcript_says_how_many_earlier_messages_it_leaves_out(conversation):
    message = emails.transcript_email(
        conversation=conversation, messages=[], left_out=3, to="ann@example.org"
    )
    assert "3 earlier messages are not included." in message.body
    assert "No messages were written." in message.body
    one = emails.transcript_email(conversation=conversation, messages=[], left_out=1, to="a@b.c")
    assert "One earlier message is not included." in one.body


def test_the_transcript_names_the_site_of_the_settings(settings, conversation):
    settings.CHAT_SITE_NAME = "Gopher Goods Europe"
    settings.CHAT_SITE_URL = "https://shop.example.com/"
    message = emails.transcript_email(conversation=conversation, messages=[], to="a@b.c")
    assert message.subject == "Your chat with Gopher Goods Europe"
    html = message.alternatives[0][0]
    assert '<a href="https://shop.example.com/"' in html


def test_the_email_is_written_in_the_active_language(conversation):
    with translation.override("de"):
        message = emails.transcript_email(conversation=conversation, messages=[], to="a@b.c")
    assert '<html lang="de"' in message.alternatives[0][0]


# --- the team's notice of a left message -------------------------------------------------------


@pytest.fixture
def left():
    return LeftMessage.objects.create(
        name="Ann\r\nGopher",  # a line break sent by hand: never into a header
        email="ann@example.org",
        text=f"Do you ship to Norway? {XSS}",
        page="/products/gopher-plush/",
        created_at=STARTED,
    )


def test_the_notice_arrives_with_the_visitor_to_reply_to_and_the_console_linked(smtp_server, left):
    emails.left_message_email(
        left=left, to=["team@shop.example.com", "anna@shop.example.com"]
    ).send()

    [received] = smtp_server.received
    assert received.rcpt_tos == ["team@shop.example.com", "anna@shop.example.com"]
    assert received.subject == "Ann Gopher left a message on Gopher Goods"
    assert received.message["Reply-To"] == "Ann Gopher <ann@example.org>"
    text = received.text
    assert "Name: Ann Gopher\n" in text
    assert "Email: ann@example.org" in text
    assert f"Do you ship to Norway? {XSS}" in text
    assert "Page: http://127.0.0.1:8000/products/gopher-plush/" in text
    assert "Open the staff console: http://127.0.0.1:8000/staff/" in text
    html = received.html
    assert "<img" not in html
    assert "Do you ship to Norway? &lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="http://127.0.0.1:8000/staff/"' in html
    assert '<a href="http://127.0.0.1:8000/products/gopher-plush/">' in html
    assert '<a href="mailto:ann@example.org">' in html


def test_a_page_that_is_not_a_path_of_the_site_is_shown_but_not_linked(left):
    left.page = "javascript:alert(1)"
    message = emails.left_message_email(left=left, to=["team@shop.example.com"])
    html = message.alternatives[0][0]
    assert "javascript:alert(1)" in html
    assert 'href="javascript' not in html
    assert "Page: javascript:alert(1)" in message.body


def test_a_name_with_quotes_and_commas_still_makes_one_reply_to_address(smtp_server, left):
    left.name = 'Boss, "The" <admin@evil.example>'
    emails.left_message_email(left=left, to=["team@shop.example.com"]).send()

    [received] = smtp_server.received
    reply_to = received.message["Reply-To"]
    assert [address.addr_spec for address in reply_to.addresses] == ["ann@example.org"]


def test_the_console_link_follows_the_settings(settings, left):
    settings.CHAT_SITE_URL = "https://shop.example.com"
    settings.CHAT_CONSOLE_URL = "/support/inbox/"
    message = emails.left_message_email(left=left, to=["team@shop.example.com"])
    assert "https://shop.example.com/support/inbox/" in message.body
