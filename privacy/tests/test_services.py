"""Erasing one visitor's data, and the purge of what is past retention."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db.models import CASCADE
from django.utils import timezone

from audit.models import Entry
from botapps.models import WebhookDelivery
from bots.models import UnansweredQuestion
from chat.models import Conversation, LeftMessage, Message
from privacy import services
from privacy.selectors import VisitorLookup, visitor_data, visitor_export

from .conftest import conversation, left_message, stored, unanswered

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


# --- erasure ----------------------------------------------------------------------------------


def test_erasing_by_email_deletes_all_of_the_visitor_and_nothing_of_anyone_else(
    jane, omar, admin_user
):
    before = stored()
    erased = services.visitor_erase(
        lookup=VisitorLookup(emails=("JANE@example.com",)), actor_user_id=admin_user.pk
    )
    assert stored() == {
        "conversations": before["conversations"] - 3,
        "messages": before["messages"] - 5,
        "left messages": before["left messages"] - 2,
        "sessions": before["sessions"] - 2,
        "suggestions": 0,
        "memberships": 0,
        "deliveries": 0,
        "unanswered": before["unanswered"] - 1,
    }
    assert erased.deleted["chat.Conversation"] == 3
    assert set(Conversation.objects.all()) == set(omar.conversations)
    assert set(LeftMessage.objects.all()) == set(omar.left_messages)
    assert set(Session.objects.values_list("pk", flat=True)) == set(omar.sessions)
    assert set(UnansweredQuestion.objects.values_list("text", flat=True)) == {
        "hello",
        "Do you ship to Oslo?",
    }


def test_an_erasure_is_in_the_audit_log_without_the_address_or_the_words(jane, admin_user):
    services.visitor_erase(
        lookup=VisitorLookup(emails=("jane@example.com",)), actor_user_id=admin_user.pk
    )
    entry = Entry.objects.get()
    assert (entry.action, entry.actor_name, entry.conversation_id) == ("erased", "admin", None)
    assert entry.detail["lookup"] == "email"
    assert entry.detail["conversations"] == sorted(c.pk for c in jane.conversations)
    assert entry.detail["counts"]["conversations"] == 3
    assert entry.detail["counts"]["left messages"] == 2
    logged = str(entry.detail).lower()
    assert "jane@" not in logged and "gophers" not in logged
    assert not any(key in logged for key in jane.sessions)


def test_erasing_by_a_conversation_takes_its_session_s_conversations_only(jane, admin_user):
    rated, ongoing, at_work = jane.conversations
    services.visitor_erase(
        lookup=VisitorLookup(conversation_ids=(rated.pk,)), actor_user_id=admin_user.pk
    )
    assert list(Conversation.objects.all()) == [at_work]
    assert list(LeftMessage.objects.all()) == [jane.left_messages[1]]
    assert Entry.objects.get().detail["lookup"] == "conversation"


def test_a_conversation_the_visitor_started_after_the_confirmation_goes_too(jane, admin_user):
    home = jane.sessions[0]
    lookup = VisitorLookup(conversation_ids=(jane.conversations[0].pk,))
    Conversation.objects.filter(session_key=home).update(state="closed", closed_at=timezone.now())
    newer = conversation(home, ("visitor", "me again"))
    erased = services.visitor_erase(lookup=lookup, actor_user_id=admin_user.pk)
    assert newer.pk in erased.data.conversation_ids
    assert not Conversation.objects.filter(session_key=home).exists()


def test_erasing_a_visitor_nothing_is_stored_about_writes_nothing(jane, admin_user):
    erased = services.visitor_erase(
        lookup=VisitorLookup(emails=("nobody@example.com",)), actor_user_id=admin_user.pk
    )
    assert erased.deleted == {}
    assert not Entry.objects.exists()


def test_an_export_is_the_visitor_s_data_and_is_in_the_audit_log(jane, admin_user):
    lookup = VisitorLookup(emails=("jane@example.com",))
    export = services.visitor_export(lookup=lookup, actor_user_id=admin_user.pk)
    assert (
        export["conversations"] == visitor_export(data=visitor_data(lookup=lookup))["conversations"]
    )
    entry = Entry.objects.get()
    assert (entry.action, entry.actor_name) == ("exported", "admin")
    assert entry.detail["counts"] == {"conversations": 3, "left messages": 2}


def test_everything_tied_to_a_conversation_goes_with_it():
    """What another app ties to a conversation must cascade (or be one of the few the
    privacy app deletes itself): else erasure and retention would leave it behind, or fail
    on a protecting key."""
    handled = {(LeftMessage, "conversation")}
    for relation in Conversation._meta.related_objects:
        model, field = relation.related_model, relation.field
        if relation.many_to_many or (model, field.name) in handled or model is Conversation:
            continue
        assert relation.on_delete is CASCADE, (
            f"{model._meta.label}.{field.name} must cascade from the conversation "
            "(privacy deletes visitors' data by deleting conversations)"
        )
    # The webhook copies of a conversation's messages know it, and go with it.
    assert WebhookDelivery._meta.get_field("conversation").remote_field.on_delete is CASCADE


# --- retention --------------------------------------------------------------------------------


@pytest.fixture
def retention(settings):
    settings.CHAT_RETENTION_DAYS = 30
    return settings


def test_with_retention_off_the_purge_deletes_nothing(jane):
    before = stored()
    purged = services.chat_data_purge()
    assert (purged.retention_days, purged.before, purged.deleted) == (None, None, {})
    assert stored() == before
    assert not Entry.objects.exists()


def test_the_purge_deletes_what_is_past_retention_with_all_tied_to_it(retention, jane, omar):
    old = conversation("s" * 32, ("visitor", "long ago"), ("bot", "indeed"), ago=31 * DAY)
    old.rating_score = 4
    old.save()
    left_message("old@example.com", session_key="s" * 32, conversation=old)  # left recently
    left_message("old-alone@example.com", ago=31 * DAY)
    recent_left = left_message("recent@example.com", ago=29 * DAY)
    kept = conversation("k" * 32, ("visitor", "not so long ago"), ago=29 * DAY)
    app = WebhookDelivery.objects.get().app
    stale = WebhookDelivery.objects.create(app=app, event="routed_message", resource={})
    WebhookDelivery.objects.filter(pk=stale.pk).update(created_at=timezone.now() - 31 * DAY)
    unanswered("Asked long ago?", ago=31 * DAY)
    before = stored()

    purged = services.chat_data_purge()

    assert purged.retention_days == 30
    assert dict(purged.deleted) == {
        "chat.Conversation": 1,
        "chat.Message": 2,
        "chat.LeftMessage": 2,
        "botapps.WebhookDelivery": 1,
        "bots.UnansweredQuestion": 1,
    }
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert Conversation.objects.filter(pk=kept.pk).exists()
    assert LeftMessage.objects.filter(pk=recent_left.pk).exists()
    assert stored()["conversations"] == before["conversations"] - 1
    assert (
        len(jane.conversations)
        == Conversation.objects.filter(pk__in=[c.pk for c in jane.conversations]).count()
    )
    entry = Entry.objects.get()
    assert (entry.action, entry.actor_user_id, entry.actor_name) == ("purged", None, "")
    assert entry.detail["retention_days"] == 30
    assert entry.detail["counts"] == {
        "conversations": 1,
        "messages": 2,
        "left messages": 2,
        "unanswered questions": 1,
        "webhook deliveries": 1,
    }


def test_the_purge_goes_in_batches_and_skips_a_conversation_that_came_back_to_life(retention):
    old = [conversation(f"{n:032d}", ("visitor", f"q{n}"), ago=40 * DAY) for n in range(5)]
    batches = []

    def progress(by_model):
        batches.append(by_model)
        if len(batches) == 1:
            # The visitor of the last one writes again while the purge is under way.
            Conversation.objects.filter(pk=old[-1].pk).update(last_message_at=timezone.now())

    purged = services.chat_data_purge(batch_size=2, progress=progress)

    assert [batch.get("chat.Conversation") for batch in batches] == [2, 2]
    assert purged.deleted["chat.Conversation"] == 4
    assert list(Conversation.objects.all()) == [old[-1]]
    assert Message.objects.filter(conversation=old[-1]).exists()


def test_expired_sessions_are_cleared_in_batches(jane, omar):
    Session.objects.filter(pk=jane.sessions[0]).update(expire_date=timezone.now() - DAY)
    Session.objects.filter(pk=jane.sessions[1]).update(expire_date=timezone.now() - 2 * DAY)
    batches = []
    assert services.sessions_clear_expired(batch_size=1, progress=batches.append) == 2
    assert batches == [{"sessions.Session": 1}, {"sessions.Session": 1}]
    assert not Session.objects.filter(pk__in=jane.sessions).exists()
    assert list(Session.objects.values_list("pk", flat=True)) == omar.sessions


def test_sessions_kept_elsewhere_expire_by_their_store(settings, monkeypatch):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    assert services.sessions_clear_expired() == 0
