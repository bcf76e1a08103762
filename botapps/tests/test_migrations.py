"""Bot apps moved from the chat app to their own: a database that held them keeps every row."""

import pytest
from django.db import IntegrityError, transaction

from testsupport.migrations import migrate, migrated_back

BEFORE = [("chat", "0010_products_move_to_shop"), ("botapps", None)]
AFTER = [("chat", "0011_bot_apps_move_to_botapps"), ("botapps", "0002_tables")]
# Transactional with a serialized rollback, as testsupport.migrations explains.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def old_apps():
    with migrated_back(BEFORE) as apps:
        yield apps


def rows(model, *fields):
    return sorted(model.objects.values_list(*fields))


def test_moving_bot_apps_keeps_every_row(old_apps):
    User = old_apps.get_model("auth", "User")
    BotApp = old_apps.get_model("chat", "BotApp")
    Conversation = old_apps.get_model("chat", "Conversation")
    Membership = old_apps.get_model("chat", "Membership")
    Delivery = old_apps.get_model("chat", "WebhookDelivery")
    Attempt = old_apps.get_model("chat", "WebhookAttempt")
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    app = BotApp.objects.create(
        name="Robo",
        user=User.objects.create(username="bot-app-robo"),
        webhook_url="https://bots.example.com/hook",
        signing_secret="s" * 43,
        api_key_digest="d" * 64,
        is_online_enabled=True,
    )
    routed = Conversation.objects.create(session_key="r" * 32)
    Conversation.objects.create(session_key="n" * 32)
    routed.routed_to.add(app)
    Membership.objects.create(conversation=routed, user=app.user, composing_status="typing")
    delivery = Delivery.objects.create(app=app, event="routed_message", resource={"id": 1})
    Attempt.objects.create(delivery=delivery, number=1, status_code=502, error="Bad gateway")
    ContentType.objects.get_or_create(app_label="chat", model="botapp")
    before = {
        "apps": rows(BotApp, "pk", "name", "user_id", "signing_secret", "is_online_enabled"),
        "memberships": rows(Membership, "pk", "conversation_id", "user_id", "composing_status"),
        "deliveries": rows(Delivery, "pk", "uid", "app_id", "event", "resource"),
        "attempts": rows(Attempt, "pk", "delivery_id", "status_code", "error"),
    }

    new_apps = migrate(AFTER)

    BotApp = new_apps.get_model("botapps", "BotApp")
    Membership = new_apps.get_model("botapps", "Membership")
    Delivery = new_apps.get_model("botapps", "WebhookDelivery")
    Attempt = new_apps.get_model("botapps", "WebhookAttempt")
    ContentType = new_apps.get_model("contenttypes", "ContentType")
    assert {
        "apps": rows(BotApp, "pk", "name", "user_id", "signing_secret", "is_online_enabled"),
        "memberships": rows(Membership, "pk", "conversation_id", "user_id", "composing_status"),
        "deliveries": rows(Delivery, "pk", "uid", "app_id", "event", "resource"),
        "attempts": rows(Attempt, "pk", "delivery_id", "status_code", "error"),
    } == before
    moved = BotApp.objects.get(pk=app.pk)
    assert list(moved.routed_conversations.values_list("pk", flat=True)) == [routed.pk]
    assert BotApp._meta.db_table == "botapps_botapp"
    assert ContentType.objects.filter(app_label="botapps", model="botapp").exists()
    assert not ContentType.objects.filter(app_label="chat", model="botapp").exists()
    # The constraint moved with its table: one membership per user and conversation.
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(conversation_id=routed.pk, user_id=app.user_id)


def test_the_move_can_be_undone_without_losing_a_row(old_apps):
    User = old_apps.get_model("auth", "User")
    BotApp = old_apps.get_model("chat", "BotApp")
    Conversation = old_apps.get_model("chat", "Conversation")
    app = BotApp.objects.create(
        name="Robo",
        user=User.objects.create(username="bot-app-robo"),
        webhook_url="https://bots.example.com/hook",
    )
    Conversation.objects.create(session_key="r" * 32).routed_to.add(app)
    migrate(AFTER)
    back = migrate(BEFORE)
    again = back.get_model("chat", "BotApp").objects.get(pk=app.pk)
    assert again.name == "Robo"
    assert again.routed_conversations.count() == 1


def test_deliveries_recorded_before_learn_their_conversation_from_their_resource():
    """0003: each delivery knows its conversation (to go with it); a delivery of a
    conversation that is gone, or with a resource that names none, keeps none."""
    before = [("chat", "0014_conversation_language"), ("botapps", "0002_tables")]
    with migrated_back(before) as apps:
        User = apps.get_model("auth", "User")
        BotApp = apps.get_model("botapps", "BotApp")
        Conversation = apps.get_model("chat", "Conversation")
        Delivery = apps.get_model("botapps", "WebhookDelivery")
        app = BotApp.objects.create(
            name="Robo",
            user=User.objects.create(username="bot-app-robo"),
            webhook_url="https://bots.example.com/hook",
        )
        first = Conversation.objects.create(session_key="a" * 32)
        second = Conversation.objects.create(session_key="b" * 32)
        made = {
            "routed": Delivery.objects.create(
                app=app, event="routed_conversation", resource={"id": first.pk}
            ),
            "message": Delivery.objects.create(
                app=app, event="member_message", resource={"chat_id": second.pk}
            ),
            "gone": Delivery.objects.create(
                app=app, event="routed_message", resource={"chat_id": 987654}
            ),
            "odd": Delivery.objects.create(
                app=app, event="pending_conversation", resource={"id": "x"}
            ),
        }

        after = migrate([("botapps", "0003_webhook_delivery_conversation")])

        Delivery = after.get_model("botapps", "WebhookDelivery")
        found = {
            name: Delivery.objects.get(pk=row.pk).conversation_id for name, row in made.items()
        }
        assert found == {"routed": first.pk, "message": second.pk, "gone": None, "odd": None}
