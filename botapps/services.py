"""Writes of the bot apps: registering them, their presence, and their part in conversations.

A bot app's user takes part in conversations as agents do: it is present through user
clients, answers the conversations assigned to it, and its messages are agents' messages.
What happens to a conversation is the chat's to record (``chat.services``); this module
adds what is the bot app's own: memberships, credentials, being online.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from chat import events
from chat.models import AgentClient, AgentStatus, Conversation
from chat.services import (
    TAKEABLE,
    ChatActionError,
    ConversationNotFound,
    ConversationNotOpen,
    ConversationTaken,
    VisitorPost,
    agent_message_post,
    agent_typing,
    client_save,
    conversation_hand_back,
    conversation_hand_to_people,
    conversation_take,
    presence_publish,
)

from . import credentials, selectors
from .models import BotApp, Membership

State = Conversation.State


class NotAMember(ChatActionError):
    code = "not_a_member"


class ClientNotFound(ChatActionError):
    code = "not_found"


BOT_APP_SUBSCRIPTIONS = (
    "subscribes_routed_conversations",
    "subscribes_pending_conversations",
    "subscribes_member_messages",
    "subscribes_routed_messages",
)


@dataclass(frozen=True)
class BotAppCredentials:
    """A bot app with its secrets: shown to staff once, never stored in the clear (the key)."""

    app: BotApp
    signing_secret: str
    api_key: str


def bot_app_create(
    *,
    name: str,
    title: str,
    avatar: str,
    webhook_url: str,
    subscriptions: dict[str, bool],
    is_active: bool,
) -> BotAppCredentials:
    """Register a bot app and its bot user, with a new signing secret and API key."""
    secret = credentials.signing_secret_new()
    api_key, digest = credentials.api_key_new()
    with transaction.atomic():
        user = get_user_model()(username=f"bot-app-{secrets.token_hex(8)}", first_name=name[:150])
        # The bot user never logs in to the site: it acts through the API only.
        user.set_unusable_password()
        user.save()
        AgentStatus.objects.create(user=user, title=title)
        app = BotApp.objects.create(
            name=name,
            user=user,
            avatar=avatar,
            webhook_url=webhook_url,
            signing_secret=secret,
            api_key_digest=digest,
            is_active=is_active,
            **_subscriptions(subscriptions),
        )
    return BotAppCredentials(app=app, signing_secret=secret, api_key=api_key)


def bot_app_update(
    *,
    app: BotApp,
    name: str,
    title: str,
    avatar: str,
    webhook_url: str,
    subscriptions: dict[str, bool],
    is_active: bool,
) -> BotApp:
    """Edit a bot app. Deactivating it ends its access tokens and its presence."""
    deactivated = app.is_active and not is_active
    with transaction.atomic():
        app.name, app.avatar, app.webhook_url, app.is_active = name, avatar, webhook_url, is_active
        for field, value in _subscriptions(subscriptions).items():
            setattr(app, field, value)
        if deactivated:
            app.token_generation += 1
        app.save()
        get_user_model().objects.filter(pk=app.user_id).update(first_name=name[:150])
        AgentStatus.objects.update_or_create(user_id=app.user_id, defaults={"title": title})
        if deactivated:
            AgentClient.objects.filter(user_id=app.user_id).delete()
            presence_publish()
    return app


def _subscriptions(subscriptions: dict[str, bool]) -> dict[str, bool]:
    unknown = set(subscriptions) - set(BOT_APP_SUBSCRIPTIONS)
    if unknown:
        raise ValueError(f"Unknown subscriptions: {', '.join(sorted(unknown))}")
    # What is not said keeps the model's default (pending conversations and members' messages).
    return {
        name: bool(subscriptions.get(name, BotApp._meta.get_field(name).default))
        for name in BOT_APP_SUBSCRIPTIONS
    }


def bot_app_signing_secret_rotate(*, app: BotApp) -> str:
    """A new signing secret: webhooks are signed with it from now on."""
    app.signing_secret = credentials.signing_secret_new()
    app.save(update_fields=["signing_secret"])
    return app.signing_secret


def bot_app_api_key_rotate(*, app: BotApp) -> str:
    """A new API key; the old key and every access token given out stop working."""
    api_key, app.api_key_digest = credentials.api_key_new()
    app.token_generation += 1
    app.save(update_fields=["api_key_digest", "token_generation"])
    return api_key


def bot_app_online_set(*, app: BotApp, enabled: bool) -> BotApp:
    """Switched by the bot app itself: online and present, it makes the chat show online."""
    if app.is_online_enabled != enabled:
        app.is_online_enabled = enabled
        app.save(update_fields=["is_online_enabled"])
        presence_publish()
    return app


def bot_client_create(*, app: BotApp, expires_in: int) -> AgentClient:
    """Register a user client for the bot: present for ``expires_in`` seconds."""
    client, _ = client_save(user=app.user, key=secrets.token_hex(16), expires_in=expires_in)
    presence_publish()
    return client


def bot_client_renew(*, app: BotApp, client_key: str, expires_in: int) -> AgentClient:
    """Keep the bot present ``expires_in`` seconds from now with one of its clients."""
    if not AgentClient.objects.filter(key=client_key, user_id=app.user_id).exists():
        raise ClientNotFound("The bot has no such client: register a new one.")
    client, swept = client_save(user=app.user, key=client_key, expires_in=expires_in)
    if swept:
        presence_publish()
    return client


def bot_client_delete(*, app: BotApp, client_key: str) -> None:
    deleted, _ = AgentClient.objects.filter(key=client_key, user_id=app.user_id).delete()
    if not deleted:
        raise ClientNotFound("The bot has no such client.")
    presence_publish()


def conversation_join(
    *,
    conversation_id: int,
    app: BotApp,
    participating: bool,
    composing_status: str = Membership.Composing.IDLE,
    pending_only: bool = False,
) -> Membership:
    """Make the bot app a member of a conversation routed to it.

    Participating reserves the conversation: the bot answers it, as an agent who took it.
    Raises ConversationTaken when somebody else joined first or, with
    ``pending_only``, when it no longer waits; ConversationNotFound when it is not
    routed to the bot; ConversationNotOpen when it is closed.
    """
    user = app.user
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .filter(pk=conversation_id, routed_to=app)
            .first()
        )
        if conversation is None:
            raise ConversationNotFound("No conversation with this id is routed to the bot.")
        if conversation.state == State.CLOSED:
            raise ConversationNotOpen("This conversation is closed.")
        if (
            pending_only
            and conversation.state != State.WAITING
            and not (conversation.assigned_agent_id == user.pk)
        ):
            raise ConversationTaken(
                "This conversation is no longer pending: someone else joined it first."
            )
        membership, _ = Membership.objects.update_or_create(
            conversation_id=conversation_id,
            user=user,
            defaults={"is_participating": participating, "composing_status": composing_status},
        )
        if participating and conversation.assigned_agent_id != user.pk:
            if conversation.state not in TAKEABLE or conversation.assigned_agent_id is not None:
                raise ConversationTaken(
                    "Someone else joined this conversation first: it is theirs now."
                )
            conversation_take(conversation_id=conversation_id, user=user)
    return membership


def membership_update(*, conversation_id: int, app: BotApp, composing_status: str) -> Membership:
    """Show the visitor whether the bot types; only the bot answering the conversation may."""
    membership = _membership_or_error(conversation_id=conversation_id, app=app)
    if membership.composing_status != composing_status:
        agent_typing(
            conversation_id=conversation_id,
            user=app.user,
            active=composing_status == Membership.Composing.TYPING,
        )
        membership.composing_status = composing_status
        membership.save(update_fields=["composing_status"])
    return membership


def conversation_leave(*, conversation_id: int, app: BotApp) -> None:
    """The bot app leaves; a conversation it answered goes back to the site's bot, or
    waits for a person, as when an agent hands one back."""
    membership = _membership_or_error(conversation_id=conversation_id, app=app)
    with transaction.atomic():
        answering = Conversation.objects.filter(
            pk=conversation_id, state=State.AGENT, assigned_agent_id=app.user_id
        ).exists()
        if answering:
            conversation_hand_back(conversation_id=conversation_id, user=app.user)
        membership.delete()


def conversation_hand_over(*, conversation_id: int, app: BotApp) -> list[int]:
    """The bot app hands the conversation to people and leaves it
    (``chat.services.conversation_hand_to_people``): the ids of the agents invited."""
    membership = _membership_or_error(conversation_id=conversation_id, app=app)
    with transaction.atomic():
        invited = conversation_hand_to_people(conversation_id=conversation_id, user=app.user)
        membership.delete()
    return invited


def bot_message_post(
    *,
    conversation_id: int,
    app: BotApp,
    text: str,
    attachments: list[dict] | None = None,
    idempotency_key: str | None = None,
) -> VisitorPost:
    """A bot app's message to the visitor, in a conversation it answers. A retry with the
    same idempotency key stores nothing and returns the message stored the first time."""
    _membership_or_error(conversation_id=conversation_id, app=app)
    # Posted as its bot user, an agent: visitors get sender.role "agent" with the app's own
    # name and title. The role says how the conversation is answered (by a member who took
    # it, may be taken over and hands back), not what the member is; "bot" is the site's
    # own bot, which staff switch on and off. The README's protocol says so.
    return agent_message_post(
        conversation_id=conversation_id,
        user=app.user,
        text=text,
        # Kept apart from the keys of visitors, consoles and other apps.
        client_id=f"app{app.pk}:{idempotency_key}" if idempotency_key else None,
        attachments=attachments,
    )


def _membership_or_error(*, conversation_id: int, app: BotApp) -> Membership:
    membership = selectors.bot_membership_get(app=app, conversation_id=conversation_id)
    if membership is None:
        raise NotAMember("Join the conversation (create a membership) first.")
    return membership


def memberships_follow(announced: Sequence[events.Event]) -> None:
    """A subscriber of ``chat.events``: a bot app that answered a conversation someone took
    over stays a member, no longer reserving it."""
    for event in announced:
        if isinstance(event, events.ConversationTaken):
            Membership.objects.filter(
                conversation_id=event.conversation_id, is_participating=True
            ).exclude(user_id=event.agent_id).update(is_participating=False)
