"""Bot apps, which the chat app held until its migration 0011.

The tables and their rows stay where they are: this migration only tells Django that this
app owns them now, and moves their content types (and with them staff's permissions and
admin history). 0002 renames the tables.
"""

import uuid

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["botapp", "membership", "webhookdelivery", "webhookattempt"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="botapps", model__in=MOVED).values_list(
            "model", flat=True
        )
    )
    ContentType.objects.filter(app_label="chat", model__in=set(MOVED) - taken).update(
        app_label="botapps"
    )


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="botapps", model__in=MOVED).update(app_label="chat")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("chat", "0011_bot_apps_move_to_botapps"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BotApp",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        (
                            "avatar",
                            models.CharField(
                                blank=True,
                                help_text="Path of a static file (images/chat/Case.png) or a full URL.",
                                max_length=300,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^(https?://\\S+|/\\S+|[\\w.-]+(/[\\w.-]+)*)$",
                                        "Give a static file path (images/chat/Case.png), a site path (/media/x.png) or an http(s) URL, without spaces.",
                                    )
                                ],
                            ),
                        ),
                        (
                            "webhook_url",
                            models.URLField(
                                help_text="Where events are POSTed, signed with the signing secret.",
                                max_length=500,
                            ),
                        ),
                        ("signing_secret", models.CharField(editable=False, max_length=100)),
                        (
                            "api_key_digest",
                            models.CharField(db_index=True, editable=False, max_length=64),
                        ),
                        (
                            "token_generation",
                            models.PositiveIntegerField(default=1, editable=False),
                        ),
                        (
                            "subscribes_routed_conversations",
                            models.BooleanField(
                                default=False,
                                help_text="Every new conversation routed to the bot, before the visitor writes.",
                                verbose_name="new routed conversations",
                            ),
                        ),
                        (
                            "subscribes_pending_conversations",
                            models.BooleanField(
                                default=True,
                                help_text="Conversations that start waiting for someone to join.",
                                verbose_name="new pending conversations",
                            ),
                        ),
                        (
                            "subscribes_member_messages",
                            models.BooleanField(
                                default=True,
                                help_text="Every message in conversations the bot has joined.",
                                verbose_name="new messages where it is a member",
                            ),
                        ),
                        (
                            "subscribes_routed_messages",
                            models.BooleanField(
                                default=False,
                                help_text="Every message in every conversation routed to the bot.",
                                verbose_name="new messages in routed conversations",
                            ),
                        ),
                        (
                            "is_active",
                            models.BooleanField(
                                default=True,
                                help_text="Off: no conversation is routed to it, and it cannot log in.",
                            ),
                        ),
                        ("is_online_enabled", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "routed_conversations",
                            models.ManyToManyField(
                                blank=True,
                                db_table="chat_conversation_routed_to",
                                editable=False,
                                related_name="routed_to",
                                to="chat.conversation",
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                editable=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="bot_app",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "bot app",
                        "db_table": "chat_botapp",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="WebhookDelivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("uid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        (
                            "event",
                            models.CharField(
                                choices=[
                                    ("routed_conversation", "new routed conversation"),
                                    ("pending_conversation", "new pending conversation"),
                                    ("member_message", "new message where it is a member"),
                                    ("routed_message", "new message in a routed conversation"),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("resource", models.JSONField()),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("delivered", "Delivered"),
                                    ("failed", "Failed"),
                                ],
                                db_index=True,
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "next_attempt_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                        ("locked_until", models.DateTimeField(blank=True, null=True)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                        (
                            "app",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="botapps.botapp",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "webhook deliveries",
                        "db_table": "chat_webhookdelivery",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="WebhookAttempt",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveSmallIntegerField()),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("duration_ms", models.PositiveIntegerField(default=0)),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("error", models.CharField(blank=True, max_length=500)),
                        (
                            "delivery",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attempt_log",
                                to="botapps.webhookdelivery",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "chat_webhookattempt",
                        "ordering": ["delivery", "number"],
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("is_participating", models.BooleanField(default=True)),
                        (
                            "composing_status",
                            models.CharField(
                                choices=[("idle", "Idle"), ("typing", "Typing")],
                                default="idle",
                                max_length=8,
                            ),
                        ),
                        ("joined_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "conversation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="chat.conversation",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="chat_memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "chat_membership",
                        "ordering": ["conversation", "joined_at"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("conversation", "user"),
                                name="chat_membership_once_per_user",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
