"""Each webhook delivery knows its conversation, so that it goes with it: its resource is a
copy of the visitor's conversation or message (a visitor's data erased, or past retention)."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000
# Where each kind of resource names its conversation (botapps.api.serializers).
CONVERSATION_KEY = {
    "routed_conversation": "id",
    "pending_conversation": "id",
    "member_message": "chat_id",
    "routed_message": "chat_id",
}


def conversations_fill(apps, schema_editor):
    """Deliveries recorded before: their conversation, read from their resource. Those of a
    conversation that is gone stay without one (retention removes them by their age)."""
    Delivery = apps.get_model("botapps", "WebhookDelivery")
    Conversation = apps.get_model("chat", "Conversation")
    rows = Delivery.objects.filter(conversation__isnull=True).values_list("pk", "event", "resource")
    pending: list[tuple[int, int]] = []

    def flush() -> None:
        existing = set(
            Conversation.objects.filter(pk__in={c for _, c in pending}).values_list("pk", flat=True)
        )
        Delivery.objects.bulk_update(
            [Delivery(pk=pk, conversation_id=c) for pk, c in pending if c in existing],
            ["conversation"],
        )
        pending.clear()

    for pk, event, resource in rows.iterator(chunk_size=BATCH):
        key = CONVERSATION_KEY.get(event)
        conversation_id = resource.get(key) if key and isinstance(resource, dict) else None
        if isinstance(conversation_id, int):
            pending.append((pk, conversation_id))
        if len(pending) >= BATCH:
            flush()
    if pending:
        flush()


class Migration(migrations.Migration):
    dependencies = [
        ("botapps", "0002_tables"),
        ("chat", "0014_conversation_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="conversation",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="chat.conversation",
            ),
        ),
        migrations.RunPython(conversations_fill, migrations.RunPython.noop, elidable=True),
    ]
