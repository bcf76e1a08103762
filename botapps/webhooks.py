"""The one place webhook events for bot apps are recorded: a subscriber of ``chat.events``.

Each event is a WebhookDelivery row written in the transaction of the change that
caused it: a rolled-back change sends nothing, and a committed one is delivered
even if the process dies before the worker gets it (botapps.delivery finds it again).
The resource is kept as it was at that moment, in the API's shape, so every retry
carries the same content under the same delivery id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q

from chat import events
from chat.models import Conversation, Message

from .api.serializers import ConversationResourceSerializer, MessageResourceSerializer
from .models import BotApp, WebhookDelivery

Event = WebhookDelivery.Event


def announce(announced: Sequence[events.Event]) -> None:
    """Record the webhooks one change's events make: routing a new conversation, a pending
    one, new messages. The active bot apps are read once, for all of them: on a site without
    any, a visitor's question or a new conversation costs one small query here, no more."""
    active: list[BotApp] | None = None

    def active_apps() -> list[BotApp]:
        nonlocal active
        if active is None:
            active = list(BotApp.objects.filter(is_active=True))
        return active

    for event in announced:
        match event:
            case events.ConversationStarted(conversation_id=conversation_id):
                conversation_route(conversation_id, apps=active_apps())
            case events.ConversationPending(conversation_id=conversation_id):
                conversation_pending(conversation_id)
            case events.MessagesCreated(messages=messages):
                if active_apps():
                    messages_created(messages)


def conversation_route(conversation_id: int, *, apps: list[BotApp]) -> None:
    """Route a new conversation to the active bot apps, telling those that subscribe."""
    if not apps:
        return
    routed = Conversation.routed_to.through
    routed.objects.bulk_create(
        [routed(conversation_id=conversation_id, botapp_id=app.pk) for app in apps]
    )
    subscribed = [app for app in apps if app.subscribes_routed_conversations]
    if subscribed:
        _record(
            [(app, Event.ROUTED_CONVERSATION) for app in subscribed],
            _conversation_resource(conversation_id),
            conversation_id=conversation_id,
        )


def conversation_pending(conversation_id: int) -> None:
    """The conversation started waiting for someone to join: tell the bot apps it is
    routed to that subscribe to pending conversations."""
    apps = BotApp.objects.filter(
        is_active=True, subscribes_pending_conversations=True, routed_conversations=conversation_id
    )
    addressed = [(app, Event.PENDING_CONVERSATION) for app in apps]
    if addressed:
        _record(addressed, _conversation_resource(conversation_id), conversation_id=conversation_id)


def messages_created(messages: Iterable[Message]) -> None:
    """New messages of one conversation: tell the bot apps that are members of it, or
    that it is routed to, as they subscribe. A bot app hears of its own messages too,
    marked by sender_type "user" and its own sender_id, so that it can tell them apart."""
    messages = list(messages)
    if not messages:
        return
    conversation_id = messages[0].conversation_id
    members = set(
        BotApp.objects.filter(
            is_active=True,
            subscribes_member_messages=True,
            user__chat_memberships__conversation_id=conversation_id,
        ).values_list("pk", flat=True)
    )
    apps = BotApp.objects.filter(is_active=True).filter(
        Q(pk__in=members) | Q(subscribes_routed_messages=True, routed_conversations=conversation_id)
    )
    addressed = [
        (app, Event.MEMBER_MESSAGE if app.pk in members else Event.ROUTED_MESSAGE)
        for app in apps.distinct()
    ]
    if not addressed:
        return
    for message in messages:
        _record(
            addressed,
            dict(MessageResourceSerializer(message).data),
            conversation_id=conversation_id,
        )


def _conversation_resource(conversation_id: int) -> dict:
    conversation = Conversation.objects.get(pk=conversation_id)
    return dict(ConversationResourceSerializer(conversation).data)


def _record(addressed: list[tuple[BotApp, str]], resource: dict, *, conversation_id: int) -> None:
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                app=app, event=event, resource=resource, conversation_id=conversation_id
            )
            for app, event in addressed
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    # robust: a queue that is down must not undo the change; the sweep sends them later.
    transaction.on_commit(lambda: _enqueue(ids), robust=True)


def _enqueue(ids: list[int]) -> None:
    # Imported late: the queue's module imports the broker, which only the worker side needs.
    from .delivery import deliveries_enqueue

    deliveries_enqueue(ids)
