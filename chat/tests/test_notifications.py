"""chat/notifications.py: the team is emailed each left message, after the commit; a failing
mail server loses nothing."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from chat import selectors, services
from chat.models import LeftMessage

from .conftest import make_agent

pytestmark = pytest.mark.django_db

LEAVE_URL = "/chat/leave-message"
LEFT = {
    "name": "Ann Gopher",
    "email": "ann@example.org",
    "text": "Do you ship to Norway? <img src=x onerror=alert(1)>",
    "page": "/products/gopher-plush/",
}


def agent_with_email(username: str, email: str, **kwargs):
    user = make_agent(username, present=False, **kwargs)
    user.email = email
    user.save()
    return user


@pytest.fixture
def team(settings):
    """Two addresses of the settings and one agent who may chat; staff who may not, do not."""
    settings.CHAT_TEAM_EMAILS = ["team@shop.example.com", "sales@shop.example.com"]
    agent_with_email("anna", "anna@shop.example.com")
    agent_with_email("cleo", "cleo@shop.example.com", permission=False)  # staff, not chat
    agent_with_email("dan", "dan@shop.example.com", staff=False)  # permission, not staff
    agent_with_email("eve", "", title="Sales")  # no address
    get_user_model().objects.create_user("guest", email="guest@example.org")
    return ["team@shop.example.com", "sales@shop.example.com", "anna@shop.example.com"]


def leave(client, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LEAVE_URL, {**LEFT, **fields})
    assert response.status_code == 201
    return response


def test_a_left_message_is_emailed_to_the_team(
    client, smtp_server, team, django_capture_on_commit_callbacks
):
    leave(client, django_capture_on_commit_callbacks)

    [received] = smtp_server.received
    assert received.rcpt_tos == team
    assert received.subject == "Ann Gopher left a message on Gopher Goods"
    assert received.message["Reply-To"] == "Ann Gopher <ann@example.org>"
    assert "Email: ann@example.org" in received.text
    assert "Do you ship to Norway? <img src=x onerror=alert(1)>" in received.text
    assert "Page: http://127.0.0.1:8000/products/gopher-plush/" in received.text
    assert "Open the staff console: http://127.0.0.1:8000/staff/" in received.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in received.html
    assert "<img" not in received.html
    assert '<a href="http://127.0.0.1:8000/staff/"' in received.html


def test_the_team_is_the_settings_and_the_staff_who_may_chat_each_once(settings, team):
    settings.CHAT_TEAM_EMAILS = ["Anna@Shop.example.com", "team@shop.example.com"]
    get_user_model().objects.create_superuser("boss", "boss@shop.example.com", "pw-12345678")
    inactive = agent_with_email("fred", "fred@shop.example.com")
    inactive.is_active = False
    inactive.save()
    assert selectors.team_email_addresses() == [
        "Anna@Shop.example.com",  # the settings' spelling, first
        "team@shop.example.com",
        "boss@shop.example.com",  # a superuser may chat
    ]


def test_with_nobody_to_tell_nothing_is_sent_and_the_message_is_kept(
    client, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_TEAM_EMAILS = []
    make_agent("anna")  # may chat, but has no address
    leave(client, django_capture_on_commit_callbacks)
    assert smtp_server.received == []
    assert LeftMessage.objects.count() == 1


def test_a_failing_mail_server_loses_nothing_and_is_logged(
    client, smtp_down, team, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR, logger="chat.notifications"):
        leave(client, django_capture_on_commit_callbacks)
    left = LeftMessage.objects.get()
    assert left.text == LEFT["text"]
    [record] = [r for r in caplog.records if r.name == "chat.notifications"]
    assert f"left message {left.pk}" in record.getMessage()
    assert record.exc_info is not None


def test_a_mail_server_that_refuses_loses_nothing_either(
    client, smtp_server, team, caplog, django_capture_on_commit_callbacks
):
    smtp_server.refuse = True
    leave(client, django_capture_on_commit_callbacks)
    assert LeftMessage.objects.count() == 1
    assert "could not be emailed" in caplog.text


def test_the_email_leaves_only_after_the_commit(
    smtp_server, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.left_message_create(name="Vi", email="vi@example.com", text="Call me.")
        assert smtp_server.received == []  # not before the message is committed
    for callback in callbacks:
        callback()
    assert len(smtp_server.received) == 1


def test_the_team_reads_the_sites_language_whatever_the_visitors(
    smtp_server, team, django_capture_on_commit_callbacks
):
    client = Client()
    with translation.override("de"):
        leave(client, django_capture_on_commit_callbacks)
    assert '<html lang="en"' in smtp_server.received[0].html
