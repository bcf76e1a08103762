import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    description = models.TextField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("chat:product_detail", kwargs={"slug": self.slug})


class Conversation(models.Model):
    """A visitor's conversation, found again by their session on every page."""

    session_key = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Where the visitor was when they last opened the chat.
    current_page = models.CharField(max_length=300, blank=True)
    current_product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-last_message_at"]
        constraints = [
            # Two tabs connecting at once must find one conversation, not make two.
            models.UniqueConstraint(
                fields=["session_key"],
                condition=Q(closed_at__isnull=True),
                name="chat_one_open_conversation_per_session",
            )
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"


class Message(models.Model):
    class Role(models.TextChoices):
        VISITOR = "visitor"
        BOT = "bot"
        AGENT = "agent"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender_role = models.CharField(max_length=16, choices=Role.choices)
    # Who the visitor saw as the sender at the time, kept even if a name changes later.
    sender_name = models.CharField(max_length=100)
    sender_title = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    # The id the sending client gave its message; a resend with it is not stored
    # again. NULL (not "") for "none given", so the unique constraint skips it.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="chat_message_client_id_once_per_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender_name}: {self.text[:60]}"
