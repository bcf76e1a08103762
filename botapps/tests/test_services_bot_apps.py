"""Bot apps as participants: registration, presence, routing, joining, messages, hand-over,
and the webhook deliveries each change records."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from botapps import credentials
from botapps import selectors as app_selectors
from botapps import services as app_services
from botapps.models import Membership, WebhookDelivery
from chat import selectors, services
from chat.models import AgentClient, Conversation, Message
from chat.tests.conftest import make_agent, new_session_key, set_bot_enabled

pytestmark = pytest.mark.django_db

Event = WebhookDelivery.Event
ALL = dict.fromkeys(app_services.BOT_APP_SUBSCRIPTIONS, True)


def make_app(name: str = "Helper", *, subscriptions=None, online=True, active=True):
    creds = app_services.bot_app_create(
        name=name,
        title="Assistant",
        avatar="",
        webhook_url="http://127.0.0.1:9/hook",
        subscriptions=subscriptions if subscriptions is not None else {},
        is_active=active,
    )
    if online:
        app_services.bot_app_online_set(app=creds.app, enabled=True)
        app_services.bot_client_create(app=creds.app, expires_in=600)
    return creds.app


def deliveries(app, event=None) -> list[WebhookDelivery]:
    found = WebhookDelivery.objects.filter(app=app).order_by("id")
    return list(found.filter(event=event) if event else found)


def open_conversation() -> Conversation:
    return services.conversation_open(session_key=new_session_key())


def visitor_says(conversation: Conversation, text: str, **kwargs) -> services.VisitorPost:
    return services.visitor_message_post(
        conversation_id=conversation.pk, text=text, client_id=None, channel_name="x", **kwargs
    )


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    # Nothing listens in these tests; the channel layer is not what they are about.
    monkeypatch.setattr("chat.realtime._group_send", lambda group, event: None)


# --- registration -----------------------------------------------------------------------------


def test_a_bot_app_gets_a_bot_user_that_cannot_log_in_and_secrets_shown_once():
    creds = app_services.bot_app_create(
        name="Helper",
        title="Assistant",
        avatar="images/chat/Case.png",
        webhook_url="https://bots.example.com/hook",
        subscriptions={"subscribes_member_messages": True},
        is_active=True,
    )
    app, user = creds.app, creds.app.user
    assert user.first_name == "Helper" and not user.has_usable_password()
    assert selectors.agent_identity(user) == {"name": "Helper", "title": "Assistant"}
    # Only the key's digest is kept; the secret is kept to sign with.
    assert creds.api_key.startswith(credentials.API_KEY_PREFIX)
    assert creds.api_key not in app.api_key_digest
    assert app_selectors.bot_app_by_api_key(key=creds.api_key) == app
    assert app.signing_secret == creds.signing_secret
    assert app.subscribes_member_messages and not app.subscribes_routed_messages


def test_unknown_subscriptions_are_refused():
    with pytest.raises(ValueError, match="subscribes_everything"):
        app_services.bot_app_create(
            name="X",
            title="",
            avatar="",
            webhook_url="https://x.example/",
            subscriptions={"subscribes_everything": True},
            is_active=True,
        )


def test_rotating_the_api_key_ends_the_old_key_and_every_token_given_out():
    app = make_app()
    generation = app.token_generation
    old_digest = app.api_key_digest
    new_key = app_services.bot_app_api_key_rotate(app=app)
    app.refresh_from_db()
    assert app.api_key_digest != old_digest
    assert app_selectors.bot_app_by_api_key(key=new_key) == app
    assert app.token_generation == generation + 1


def test_deactivating_a_bot_app_ends_its_presence_and_tokens():
    app = make_app()
    assert app_selectors.bot_app_presence(app=app)["is_online"]
    app_services.bot_app_update(
        app=app,
        name="Helper 2",
        title="Helps",
        avatar="",
        webhook_url=app.webhook_url,
        subscriptions={},
        is_active=False,
    )
    app.refresh_from_db()
    assert not AgentClient.objects.filter(user=app.user).exists()
    assert app.token_generation == 2
    assert selectors.agent_identity(app.user) == {"name": "Helper 2", "title": "Helps"}


# --- presence ---------------------------------------------------------------------------------


def test_an_online_present_bot_app_makes_the_chat_online_but_is_not_an_agent():
    set_bot_enabled(False)
    app = make_app(online=False)
    assert not selectors.chat_online()
    app_services.bot_client_create(app=app, expires_in=600)
    assert not selectors.chat_online()  # present, not online-enabled
    app_services.bot_app_online_set(app=app, enabled=True)
    assert selectors.chat_online()
    # It is nobody a conversation could be transferred to, and no console watches.
    assert selectors.present_agent_ids() == set()
    assert not selectors.consoles_present()


def test_a_bot_client_is_renewed_and_removed_only_by_its_own_bot():
    app, other = make_app(), make_app("Other")
    client = AgentClient.objects.get(user=app.user)
    app_services.bot_client_renew(app=app, client_key=client.key, expires_in=3600)
    assert (AgentClient.objects.get(pk=client.pk).expires_at - client.expires_at).seconds > 2000
    with pytest.raises(app_services.ClientNotFound):
        app_services.bot_client_renew(app=other, client_key=client.key, expires_in=60)
    with pytest.raises(app_services.ClientNotFound):
        app_services.bot_client_delete(app=other, client_key=client.key)
    app_services.bot_client_delete(app=app, client_key=client.key)
    assert not app_selectors.bot_app_presence(app=app)["is_present"]


# --- routing and pending ----------------------------------------------------------------------


def test_new_conversations_are_routed_to_active_apps_and_subscribers_told(
    django_capture_on_commit_callbacks,
):
    told = make_app("Told", subscriptions={"subscribes_routed_conversations": True})
    silent = make_app("Silent")
    inactive = make_app("Off", active=False, subscriptions=ALL, online=False)
    conversation = open_conversation()
    assert set(conversation.routed_to.all()) == {told, silent}
    (delivery,) = deliveries(told)
    assert delivery.event == Event.ROUTED_CONVERSATION
    assert delivery.resource["id"] == delivery.conversation_id == conversation.pk
    assert delivery.resource["state"] == "bot"
    assert deliveries(silent) == deliveries(inactive) == []


def test_with_the_site_bot_off_a_first_message_makes_the_conversation_pending_for_the_app():
    set_bot_enabled(False)
    app = make_app()
    conversation = open_conversation()
    visitor_says(conversation, "hello")
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.WAITING
    (pending,) = deliveries(app, Event.PENDING_CONVERSATION)
    assert pending.resource["is_pending"] is True
    assert pending.conversation_id == conversation.pk
    assert app_selectors.bot_pending_conversations(app=app).get() == conversation


def test_without_anybody_online_the_visitor_is_offered_to_leave_a_message():
    set_bot_enabled(False)
    make_app(online=False)
    conversation = open_conversation()
    visitor_says(conversation, "hello")
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.BOT
    assert "Nobody from the team" in conversation.messages.last().text


# --- joining ----------------------------------------------------------------------------------


@pytest.fixture
def pending():
    set_bot_enabled(False)
    first, second = make_app("First"), make_app("Second")
    conversation = open_conversation()
    visitor_says(conversation, "hello")
    return conversation, first, second


def test_joining_with_participation_reserves_the_conversation_and_the_race_is_lost_clearly(
    pending,
):
    conversation, first, second = pending
    membership = app_services.conversation_join(
        conversation_id=conversation.pk, app=first, participating=True, pending_only=True
    )
    assert membership.is_participating
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.AGENT
    assert conversation.assigned_agent == first.user
    assert conversation.messages.last().text == "First (Assistant) joined and is answering now."
    with pytest.raises(services.ConversationTaken):
        app_services.conversation_join(
            conversation_id=conversation.pk, app=second, participating=True, pending_only=True
        )
    with pytest.raises(services.ConversationTaken):
        app_services.conversation_join(
            conversation_id=conversation.pk, app=second, participating=True
        )
    # The loser holds no membership; joining again as the winner changes nothing.
    assert not Membership.objects.filter(user=second.user).exists()
    app_services.conversation_join(
        conversation_id=conversation.pk, app=first, participating=True, pending_only=True
    )
    # Watching without reserving is still allowed.
    watcher = app_services.conversation_join(
        conversation_id=conversation.pk, app=second, participating=False
    )
    assert not watcher.is_participating


def test_a_person_who_took_the_conversation_first_wins_over_the_bot(pending):
    conversation, first, _ = pending
    anna = make_agent("anna", first_name="Anna")
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    with pytest.raises(services.ConversationTaken):
        app_services.conversation_join(
            conversation_id=conversation.pk, app=first, participating=True, pending_only=True
        )


def test_a_conversation_not_routed_to_the_app_cannot_be_joined_or_read():
    conversation = open_conversation()
    latecomer = make_app("Late")
    with pytest.raises(services.ConversationNotFound):
        app_services.conversation_join(
            conversation_id=conversation.pk, app=latecomer, participating=True
        )
    assert (
        app_selectors.bot_conversation_get(app=latecomer, conversation_id=conversation.pk) is None
    )


def test_a_person_takes_a_conversation_over_from_a_bot_app(pending):
    conversation, first, _ = pending
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    anna = make_agent("anna", first_name="Anna")
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    conversation.refresh_from_db()
    assert conversation.assigned_agent == anna
    membership = Membership.objects.get(user=first.user)
    assert not membership.is_participating
    with pytest.raises(services.NotYourConversation):
        app_services.bot_message_post(conversation_id=conversation.pk, app=first, text="still me")
    # And a bot app never takes one from a person.
    with pytest.raises(services.ConversationTaken):
        app_services.conversation_join(
            conversation_id=conversation.pk, app=first, participating=True
        )


# --- messages ---------------------------------------------------------------------------------


def test_a_bot_message_is_stored_once_per_idempotency_key(pending):
    conversation, first, _ = pending
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    buttons = [{"actions": [{"type": "button", "text": "Talk to a person", "value": "x"}]}]
    post = app_services.bot_message_post(
        conversation_id=conversation.pk,
        app=first,
        text="Hi!",
        attachments=buttons,
        idempotency_key="reply-1",
    )
    again = app_services.bot_message_post(
        conversation_id=conversation.pk,
        app=first,
        text="Hi!",
        attachments=buttons,
        idempotency_key="reply-1",
    )
    assert not post.duplicate and again.duplicate and again.message == post.message
    stored = Message.objects.get(sender_user=first.user)
    assert stored.attachments == buttons and stored.sender_name == "First"
    with pytest.raises(services.IdempotencyConflict):
        app_services.bot_message_post(
            conversation_id=conversation.pk, app=first, text="Hello!", idempotency_key="reply-1"
        )
    # Another app's key of the same name is its own.
    assert stored.client_id == f"app{first.pk}:reply-1"


def test_writing_needs_a_membership(pending):
    conversation, first, _ = pending
    with pytest.raises(app_services.NotAMember):
        app_services.bot_message_post(conversation_id=conversation.pk, app=first, text="Hi")


def test_message_events_go_to_members_and_routed_subscribers_including_the_sender(pending):
    conversation, first, second = pending
    routed = make_app("Routed", subscriptions={"subscribes_routed_messages": True})
    conversation.routed_to.add(routed)
    first.subscribes_member_messages = True
    first.save()
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    WebhookDelivery.objects.all().delete()
    app_services.bot_message_post(conversation_id=conversation.pk, app=first, text="Hi!")
    visitor_says(conversation, "I pressed it", response_value="request_human")
    own, visitor = deliveries(first)
    assert {own.event, visitor.event} == {Event.MEMBER_MESSAGE}
    # The bot can tell its own message from the visitor's by the sender.
    assert own.resource["sender_type"] == "user" and own.resource["sender_id"] == first.user_id
    assert visitor.resource["sender_type"] == "visitor"
    assert visitor.resource["response_value"] == "request_human"
    assert [d.event for d in deliveries(routed)] == [Event.ROUTED_MESSAGE] * 2
    # Copies of the conversation's messages: they go with it (erased, or past retention).
    assert {d.conversation_id for d in deliveries(first) + deliveries(routed)} == {conversation.pk}
    # Second is routed but neither a member nor subscribed to routed messages.
    assert deliveries(second) == []


# --- leaving and hand-over --------------------------------------------------------------------


def test_handing_over_invites_the_agents_present_and_leaves(pending):
    conversation, first, second = pending
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    anna = make_agent("anna", first_name="Anna")
    make_agent("ben", first_name="Ben", accepting=False)
    WebhookDelivery.objects.all().delete()
    invited = app_services.conversation_hand_over(conversation_id=conversation.pk, app=first)
    assert invited == [anna.pk]
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.WAITING
    assert conversation.assigned_agent is None
    assert not Membership.objects.filter(user=first.user).exists()
    assert "asked someone from the team" in conversation.messages.last().text
    # It is for people now: no bot app is offered it as pending.
    assert not WebhookDelivery.objects.filter(event=Event.PENDING_CONVERSATION).exists()


def test_handing_over_with_nobody_present_says_so(pending):
    conversation, first, _ = pending
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    assert app_services.conversation_hand_over(conversation_id=conversation.pk, app=first) == []
    assert "Nobody from the team" in conversation.messages.last().text


def test_leaving_gives_the_conversation_back_to_the_site_bot_when_it_answers(pending):
    conversation, first, _ = pending
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    set_bot_enabled(True)
    app_services.conversation_leave(conversation_id=conversation.pk, app=first)
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.BOT
    assert not Membership.objects.exists()
    with pytest.raises(app_services.NotAMember):
        app_services.conversation_leave(conversation_id=conversation.pk, app=first)


def test_leaving_with_the_site_bot_off_makes_it_pending_for_the_other_apps(pending):
    conversation, first, second = pending
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    WebhookDelivery.objects.all().delete()
    app_services.conversation_leave(conversation_id=conversation.pk, app=first)
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.WAITING
    pending_for = WebhookDelivery.objects.filter(event=Event.PENDING_CONVERSATION)
    assert {delivery.app for delivery in pending_for} == {first, second}


def test_typing_is_shown_only_by_the_bot_answering(pending):
    conversation, first, second = pending
    app_services.conversation_join(conversation_id=conversation.pk, app=first, participating=True)
    app_services.conversation_join(conversation_id=conversation.pk, app=second, participating=False)
    app_services.membership_update(
        conversation_id=conversation.pk, app=first, composing_status="typing"
    )
    assert Membership.objects.get(user=first.user).composing_status == "typing"
    with pytest.raises(services.NotYourConversation):
        app_services.membership_update(
            conversation_id=conversation.pk, app=second, composing_status="typing"
        )


def test_bot_users_are_users_of_their_own(pending):
    _, first, second = pending
    assert get_user_model().objects.filter(bot_app__isnull=False).count() == 2
    assert first.user_id != second.user_id


def test_a_visitor_who_asks_the_site_bot_for_a_person_is_not_given_to_a_bot_app():
    app = make_app()
    anna = make_agent("anna", first_name="Anna")
    conversation = open_conversation()
    visitor_says(conversation, "I want to talk to a human")
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.WAITING
    assert "someone from the team" in conversation.messages.last().text
    assert deliveries(app, Event.PENDING_CONVERSATION) == []
    # With no person there, an online bot app is no substitute either.
    anna.chat_clients.all().delete()
    other = open_conversation()
    visitor_says(other, "I want to talk to a human")
    other.refresh_from_db()
    assert other.state == Conversation.State.BOT
    assert "Nobody from the team" in other.messages.last().text


def test_with_only_a_bot_app_online_the_visitor_is_not_promised_a_person():
    set_bot_enabled(False)
    make_app()
    conversation = open_conversation()
    visitor_says(conversation, "hello")
    assert conversation.messages.last().text == "One moment, someone will be with you shortly."
