from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import Client
from django.utils import timezone

from bots.models import BotProfile
from chat.models import AgentClient, AgentStatus, ChatSettings, Holiday, OpeningInterval
from chatsite.asgi import application


def new_session_key() -> str:
    session = SessionStore()
    session["chat_visitor"] = True
    session.save()
    return session.session_key


def visitor_communicator(
    session_key: str | None, *, origin: str = "http://localhost", path: str = "/ws/chat/"
):
    headers = [(b"origin", origin.encode())]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.fixture
def session_key(db) -> str:
    return new_session_key()


# --- staff ------------------------------------------------------------------------------------


def make_agent(
    username: str,
    *,
    first_name: str = "",
    title: str = "Support",
    accepting: bool = True,
    present: bool = True,
    staff: bool = True,
    permission: bool = True,
):
    """A staff member who may chat (unless told otherwise), with a console open if present."""
    user = get_user_model().objects.create_user(
        username=username, password="a-long-test-password-7", first_name=first_name
    )
    user.is_staff = staff
    user.save()
    if permission:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="chat", codename="chat_with_visitors")
        )
    AgentStatus.objects.create(user=user, title=title, accepting_chats=accepting)
    if present:
        console_open(user)
    # Fresh from the database: no permission cache from before the permission was given.
    return get_user_model().objects.get(pk=user.pk)


def console_open(user, *, seconds: int = 60) -> AgentClient:
    """A console of ``user`` that expires ``seconds`` from now (in the past if negative)."""
    return AgentClient.objects.create(
        user=user, key=uuid.uuid4().hex, expires_at=timezone.now() + timedelta(seconds=seconds)
    )


def staff_communicator(user=None, *, origin: str = "http://localhost"):
    """A staff console socket, logged in as ``user`` (anonymous when None)."""
    headers = [(b"origin", origin.encode())]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, "/ws/staff/", headers=headers)


def set_bot_enabled(enabled: bool) -> None:
    BotProfile.objects.filter(slug="case").update(is_online_enabled=enabled)


def set_sidekick_default(active: bool) -> None:
    ChatSettings.objects.update_or_create(pk=1, defaults={"sidekick_default": active})


def set_auto_assign(active: bool) -> None:
    ChatSettings.objects.update_or_create(pk=1, defaults={"auto_assign": active})


def set_business_hours(
    *intervals: tuple[int, time, time],
    holidays: tuple[date, ...] = (),
    time_zone: str = "UTC",
    away_text: str = "",
) -> ChatSettings:
    """Keep business hours: ``intervals`` as (weekday, opens, closes); none at all is closed
    all week. Saved at once, as admin saves them: what is announced after the commit reads
    them all."""
    with transaction.atomic():
        row, _ = ChatSettings.objects.update_or_create(
            pk=1,
            defaults={"business_hours": True, "time_zone": time_zone, "away_text": away_text},
        )
        row.opening_intervals.all().delete()
        row.holidays.all().delete()
        for weekday, opens, closes in intervals:
            OpeningInterval.objects.create(
                chat_settings=row, weekday=weekday, opens=opens, closes=closes
            )
        for day in holidays:
            Holiday.objects.create(chat_settings=row, date=day)
    return row


@pytest.fixture
def now_is(monkeypatch):
    """``now_is(moment)``: timezone.now says ``moment`` from then on."""
    from django.utils import timezone

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


#: Open all day every day.
ALWAYS_OPEN = tuple((weekday, time(0), time(0)) for weekday in range(7))


@pytest.fixture
def anna(db):
    return make_agent("anna", first_name="Anna", title="Support")


@pytest.fixture
def ben(db):
    return make_agent("ben", first_name="Ben", title="Sales")


@pytest.fixture
def bot_off(db) -> None:
    set_bot_enabled(False)


@pytest.fixture
def sidekick_default(db) -> None:
    set_sidekick_default(True)


# --- real-time events -------------------------------------------------------------------------


class Events(list):
    """(group, event) pairs the services emitted, in order."""

    def frames(self, group: str) -> list[dict[str, Any]]:
        return [event["frame"] for name, event in self if name == group]

    def to_visitor(self, conversation_id: int) -> list[dict[str, Any]]:
        return self.frames(f"chat.conversation.{conversation_id}")

    def to_staff(self, conversation_id: int) -> list[dict[str, Any]]:
        return self.frames(f"chat.conversation.{conversation_id}.staff")

    def to_inbox(self) -> list[dict[str, Any]]:
        return self.frames("chat.staff.inbox")

    def to_visitors(self) -> list[dict[str, Any]]:
        return self.frames("chat.visitors")

    def direct(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, event) for name, event in self if name.startswith("chat.connection.")]


@pytest.fixture
def events(monkeypatch, django_capture_on_commit_callbacks):
    """Events the services emit, captured instead of sent. ``events.run(service, **kw)``
    calls a service and runs what it left to do on commit (the test's transaction
    never commits)."""
    captured = Events()
    monkeypatch.setattr(
        "chat.realtime._group_send", lambda group, event: captured.append((group, event))
    )

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    captured.run = run
    return captured


# --- email ------------------------------------------------------------------------------------


@dataclass
class Received:
    """One email as the SMTP server took it: the envelope, and the message parsed."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self._part("plain")

    @property
    def html(self) -> str:
        return self._part("html")

    def _part(self, subtype: str) -> str:
        # Lines travel as CRLF over SMTP; compared here as the templates write them.
        return self.message.get_body(preferencelist=(subtype,)).get_content().replace("\r\n", "\n")


class SmtpServer:
    """aiosmtpd's handler: keeps every email it is given; ``refuse`` makes it answer DATA with
    a temporary failure instead (a mail server that is up but cannot take mail)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return "451 Requested action aborted: local error in processing"
        message = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_smtp(settings, port: int) -> None:
    """Point Django's SMTP backend at 127.0.0.1:``port``, in clear (what the test server speaks)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Gopher Goods <chat@shop.example.com>"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free port, with Django's SMTP backend sending to it;
    ``smtp_server.received`` is what arrived."""
    handler = SmtpServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    use_smtp(settings, controller.port)
    yield handler
    controller.stop()


@pytest.fixture
def smtp_down(settings) -> None:
    """Django's SMTP backend pointed at a port nobody listens on: the mail server is down."""
    use_smtp(settings, free_port())
