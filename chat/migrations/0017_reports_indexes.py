# The reports' indexes: the conversations started in a period, and every message of theirs in
# order with its role, time and sender, read from the index alone on PostgreSQL. The new
# (conversation, id) index serves the conversation's foreign key too: its own index goes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0016_business_hours_and_auto_assignment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["created_at"], name="chat_conversation_created"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["conversation", "id"],
                include=("sender_role", "sent_at", "sender_user"),
                name="chat_message_in_order",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="conversation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="chat.conversation",
            ),
        ),
    ]
