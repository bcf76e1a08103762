"""What the visitor has read (``visitor_read_through``) and their rating of a closed chat, with
admin's "Ratings" report (a proxy of Conversation).

Open conversations count as read through their newest message: their visitors have seen
them, and the chat box must not greet them after the upgrade with a badge of old messages.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def read_through_newest(apps, schema_editor):
    Conversation = apps.get_model("chat", "Conversation")
    Message = apps.get_model("chat", "Message")
    newest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-id").values("pk")[:1]
    Conversation.objects.filter(closed_at__isnull=True).update(
        visitor_read_through=Subquery(newest)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0011_bot_apps_move_to_botapps"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConversationRating",
            fields=[],
            options={
                "verbose_name": "rating",
                "verbose_name_plural": "ratings",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("chat.conversation",),
        ),
        migrations.AddField(
            model_name="conversation",
            name="rated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="conversation",
            name="rating_comment",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="conversation",
            name="rating_score",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (None, "not rated"),
                    (1, "1/5"),
                    (2, "2/5"),
                    (3, "3/5"),
                    (4, "4/5"),
                    (5, "5/5"),
                ],
                null=True,
                verbose_name="rating",
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="visitor_read_through",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="chat.message",
            ),
        ),
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("rating_score__isnull", True), ("rating_score__range", (1, 5)), _connector="OR"
                ),
                name="chat_rating_score_1_to_5",
            ),
        ),
        migrations.RunPython(read_through_newest, migrations.RunPython.noop),
    ]
