from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from chat import conf as chat_conf
from chat.models import Conversation

from . import canned

#: Words of letters and digits joined by - or _; kept in lower case.
SHORTCUT_PATTERN = r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*"


class CannedResponse(models.Model):
    """A short named reply the team shares: an agent types ``/`` and its shortcut in the
    console's composer to insert it, placeholders filled (console.canned)."""

    shortcut = models.CharField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                f"^{SHORTCUT_PATTERN}$",
                "Letters and digits, words joined by - or _ (e.g. shipping-times).",
                code="invalid_shortcut",
            )
        ],
        help_text="Typed after / in the console's composer, e.g. shipping-times.",
    )
    title = models.CharField(max_length=100, help_text="What the suggestion list shows.")
    text = models.TextField(
        validators=[canned.validate_text],
        help_text="The reply. {visitor_name} and {agent_name} are filled in when it is "
        "inserted; write {{ or }} for a brace itself.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shortcut"]

    def __str__(self) -> str:
        return f"/{self.shortcut}"

    def clean(self) -> None:
        # What one types: "/Shipping" finds "shipping", so two differing in case would clash.
        self.shortcut = self.shortcut.strip().lower()
        self.title = self.title.strip()
        self.text = self.text.strip()
        # Read when validating, never at import: a site may change the limit.
        limit = chat_conf.get("CHAT_MAX_MESSAGE_LENGTH")
        if len(self.text) > limit:
            raise ValidationError(
                {
                    "text": ValidationError(
                        "A reply is a message: at most %(limit)d characters; this has %(length)d.",
                        code="too_long",
                        params={"limit": limit, "length": len(self.text)},
                    )
                }
            )


class SeenConversation(models.Model):
    """How far an agent has seen a conversation in the console: up to its visitor's n-th
    message. The console counts the visitor's later ones as unread for that agent, on any of
    their screens and after a reload."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    # chat.selectors' "visitor_messages" of the conversation when the agent last saw it.
    visitor_messages = models.PositiveIntegerField(default=0)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "conversation"], name="console_seen_once_per_agent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} saw {self.conversation} to visitor message {self.visitor_messages}"
