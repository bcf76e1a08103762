"""Bots that run outside the site: their registrations, their places in conversations, and
the webhooks the site sends them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from bots.models import thumbnail_path_validator
from chat.models import Conversation


class BotApp(models.Model):
    """A bot that runs outside the site: told of events by
    signed webhooks, acting through the HTTP API as its own bot user."""

    name = models.CharField(max_length=100, unique=True)
    # Takes part in conversations as agents do: presence (AgentClient), name and title
    # (AgentStatus), assigned conversations, messages.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bot_app", editable=False
    )
    avatar = models.CharField(
        max_length=300,
        blank=True,
        validators=[thumbnail_path_validator],
        help_text="Path of a static file (images/chat/Case.png) or a full URL.",
    )
    webhook_url = models.URLField(
        max_length=500, help_text="Where events are POSTed, signed with the signing secret."
    )
    # Kept to sign with (it cannot be hashed); admin shows it once, when made or rotated.
    signing_secret = models.CharField(max_length=100, editable=False)
    # The API key itself is shown once; only its digest is kept.
    api_key_digest = models.CharField(max_length=64, editable=False, db_index=True)
    # Bumped on every rotation and deactivation: access tokens given out before stop working.
    token_generation = models.PositiveIntegerField(default=1, editable=False)
    subscribes_routed_conversations = models.BooleanField(
        "new routed conversations",
        default=False,
        help_text="Every new conversation routed to the bot, before the visitor writes.",
    )
    subscribes_pending_conversations = models.BooleanField(
        "new pending conversations",
        default=True,
        help_text="Conversations that start waiting for someone to join.",
    )
    subscribes_member_messages = models.BooleanField(
        "new messages where it is a member",
        default=True,
        help_text="Every message in conversations the bot has joined.",
    )
    subscribes_routed_messages = models.BooleanField(
        "new messages in routed conversations",
        default=False,
        help_text="Every message in every conversation routed to the bot.",
    )
    is_active = models.BooleanField(
        default=True, help_text="Off: no conversation is routed to it, and it cannot log in."
    )
    # Switched by the bot itself through the API: online, present and active, it answers.
    is_online_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The conversations that started while it was active: only it hears of them and may read them.
    routed_conversations = models.ManyToManyField(
        Conversation,
        blank=True,
        related_name="routed_to",
        editable=False,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "bot app"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A bot user's place in a conversation: joined, participating, composing."""

    class Composing(models.TextChoices):
        IDLE = "idle"
        TYPING = "typing"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships"
    )
    # Participating reserves the conversation: it is the member's to answer.
    is_participating = models.BooleanField(default=True)
    composing_status = models.CharField(
        max_length=8, choices=Composing.choices, default=Composing.IDLE
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="botapps_membership_once_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"


class WebhookDelivery(models.Model):
    """One event for one bot app, recorded in the transaction of the change that caused
    it and POSTed by the webhook worker until the bot takes it or attempts run out."""

    class Event(models.TextChoices):
        ROUTED_CONVERSATION = "routed_conversation", "new routed conversation"
        PENDING_CONVERSATION = "pending_conversation", "new pending conversation"
        MEMBER_MESSAGE = "member_message", "new message where it is a member"
        ROUTED_MESSAGE = "routed_message", "new message in a routed conversation"

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    # The delivery id the bot sees; the same on every attempt, so it can skip repeats.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    app = models.ForeignKey(BotApp, on_delete=models.CASCADE, related_name="deliveries")
    # The conversation the event is of: its resource is a copy of the visitor's conversation
    # or message, so it goes when the conversation does (a visitor's data erased, or past
    # retention). Empty only for deliveries recorded before it was kept.
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    event = models.CharField(max_length=32, choices=Event.choices)
    # The resource as it was when the event happened, in the API's shape.
    resource = models.JSONField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A worker holds the delivery until then, so that two never POST it at once.
    locked_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.app_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery, and how it went."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    # None when no HTTP answer came (refused connection, time-out).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"
