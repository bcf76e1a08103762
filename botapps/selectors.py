"""Reads of the bot apps: who they are, whether they are online, what they may read."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from chat import selectors as chat_selectors
from chat.models import AgentClient, Conversation

from . import credentials
from .models import BotApp, Membership


def online_bot_apps(*, conversation_id: int | None = None) -> QuerySet[BotApp]:
    """Bot apps that are online (active, switched online and present), of those a
    conversation is routed to if one is given."""
    apps = BotApp.objects.filter(
        is_active=True,
        is_online_enabled=True,
        user__chat_clients__expires_at__gt=timezone.now(),
    )
    if conversation_id is not None:
        apps = apps.filter(routed_conversations=conversation_id)
    return apps.distinct()


def bot_app_get(*, app_id: int) -> BotApp | None:
    return BotApp.objects.select_related("user").filter(pk=app_id).first()


def bot_app_named(*, name: str) -> BotApp | None:
    return BotApp.objects.filter(name=name).first()


def bot_app_by_api_key(*, key: str) -> BotApp | None:
    return (
        BotApp.objects.select_related("user")
        .filter(api_key_digest=credentials.api_key_digest(key))
        .first()
    )


def bot_app_presence(*, app: BotApp) -> dict[str, bool]:
    """Whether a bot app switched itself online, is present, and so is online, as the API
    reports it."""
    present = chat_selectors.live_clients().filter(user_id=app.user_id).exists()
    return {
        "is_online_enabled": app.is_online_enabled,
        "is_present": present,
        "is_online": app.is_active and app.is_online_enabled and present,
    }


def bot_app_clients(*, app: BotApp) -> QuerySet[AgentClient]:
    """The bot user's clients (its presence), expired ones included until swept."""
    return AgentClient.objects.filter(user_id=app.user_id).order_by("expires_at", "pk")


def bot_conversations(*, app: BotApp) -> QuerySet[Conversation]:
    """What a bot app may read: conversations routed to it or that it is a member of."""
    routed = Conversation.objects.filter(routed_to=app).values("pk")
    joined = Membership.objects.filter(user_id=app.user_id).values("conversation_id")
    return Conversation.objects.filter(Q(pk__in=routed) | Q(pk__in=joined))


def bot_routed_conversations(*, app: BotApp) -> QuerySet[Conversation]:
    """Open conversations routed to the bot app, newest first."""
    return (
        Conversation.objects.filter(routed_to=app)
        .exclude(state=Conversation.State.CLOSED)
        .order_by("-created_at", "-pk")
    )


def bot_pending_conversations(*, app: BotApp) -> QuerySet[Conversation]:
    """Routed conversations waiting for someone to join, longest waiting first."""
    return (
        bot_routed_conversations(app=app)
        .filter(state=Conversation.State.WAITING)
        .order_by("last_message_at", "pk")
    )


def bot_conversation_get(*, app: BotApp, conversation_id: int) -> Conversation | None:
    return bot_conversations(app=app).filter(pk=conversation_id).first()


def bot_membership_get(*, app: BotApp, conversation_id: int) -> Membership | None:
    return Membership.objects.filter(user_id=app.user_id, conversation_id=conversation_id).first()


class Answerers:
    """The bot apps as the chat sees them (``chat.answerers``): their bot users answer
    visitors beside the staff."""

    def users(self) -> QuerySet:
        return BotApp.objects.values("user_id")

    def online(self, *, conversation_id: int | None = None) -> bool:
        return online_bot_apps(conversation_id=conversation_id).exists()


ANSWERERS = Answerers()
