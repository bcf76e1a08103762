import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy

from . import colors, hours, origins


class Rating(models.IntegerChoices):
    """How the visitor rated a chat: 1 (poor) to 5 (excellent)."""

    ONE = 1, "1/5"
    TWO = 2, "2/5"
    THREE = 3, "3/5"
    FOUR = 4, "4/5"
    FIVE = 5, "5/5"
    __empty__ = "not rated"


class Conversation(models.Model):
    """A visitor's conversation, found again by their session on every page."""

    class State(models.TextChoices):
        BOT = "bot", "with the bot"
        WAITING = "waiting", "waiting for a person"
        AGENT = "agent", "with an agent"
        CLOSED = "closed", "closed"

    session_key = models.CharField(max_length=40, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.BOT)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    # People answer and the bot only suggests answers that agents see.
    sidekick = models.BooleanField(default=False)
    # Questions in a row the bot could not answer; two make it call a person.
    bot_misses = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The visitor's open chat sockets (tabs), counted so that a visitor with one tab
    # is answered without a broadcast. A process that dies leaves its count too high,
    # which only costs a needless broadcast, never a missed one.
    open_sockets = models.PositiveIntegerField(default=0)
    # Where the visitor was when they last opened the chat.
    current_page = models.CharField(max_length=300, blank=True)
    # The product that page showed, by its id in the catalog (chat/catalog.py).
    current_product_id = models.BigIntegerField(null=True, blank=True)
    # When it last started waiting for a person: who waited longest is assigned first.
    waiting_since = models.DateTimeField(null=True, blank=True)
    # The agent who handed it back to the waiting ones, when that is how its wait started:
    # auto-assignment gives it to anyone but them.
    handed_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The language the visitor last opened the chat in (chat.languages), a code of LANGUAGES:
    # what the chat stores for them (the bot's answers, notices of staff's actions) is written
    # in it. Empty: the site's LANGUAGE_CODE.
    language = models.CharField(max_length=15, blank=True)
    # The newest message the visitor has read, in any of their tabs: what comes after it
    # is unread. It only moves forward; the greeting is read from the start.
    visitor_read_through = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The visitor's rating of the chat, given once after it closed.
    rating_score = models.PositiveSmallIntegerField(
        "rating", choices=Rating.choices, null=True, blank=True
    )
    # As long as chat.protocol lets a comment be.
    rating_comment = models.CharField(max_length=1000, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # What agents filed it under (billing, a bug, ...), for finding it again in the console.
    labels = models.ManyToManyField(
        "Label", through="ConversationLabel", related_name="conversations", blank=True
    )
    # PostgreSQL also keeps the words of a conversation's messages here, in a column the
    # model never reads (chat.search): migration 0018 adds it, with the trigger that fills it.

    class Meta:
        ordering = ["-last_message_at"]
        permissions = [("chat_with_visitors", "Can chat with visitors in the staff console")]
        indexes = [
            # The reports: the conversations started in a period.
            models.Index(fields=["created_at"], name="chat_conversation_created"),
            # The console's list: newest activity first, paged by (last_message_at, id)
            # (chat.listing.Cursor). Each filter that narrows the list most has its own, in the
            # list's order, so that a page of it is read in order rather than sorted.
            models.Index(fields=["-last_message_at", "-id"], name="chat_conv_activity"),
            models.Index(fields=["state", "-last_message_at", "-id"], name="chat_conv_state"),
            models.Index(
                fields=["assigned_agent", "-last_message_at", "-id"], name="chat_conv_agent"
            ),
        ]
        constraints = [
            # Two tabs connecting at once must find one conversation, not make two.
            models.UniqueConstraint(
                fields=["session_key"],
                condition=Q(closed_at__isnull=True),
                name="chat_one_open_conversation_per_session",
            ),
            models.CheckConstraint(
                condition=Q(rating_score__isnull=True) | Q(rating_score__range=(1, 5)),
                name="chat_rating_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"


class Label(models.Model):
    """What agents file conversations under ("Billing", "Bug"), defined in admin. Its colour
    is a swatch beside its name, never the only thing that tells labels apart."""

    name = models.CharField(max_length=40)
    color = models.CharField(
        "colour",
        max_length=7,
        default="#6b7280",
        validators=[colors.validate_hex_color],
        help_text="As #rrggbb: a swatch beside the name in the console.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # "Billing" and "billing" would be one label to agents: one name, whatever its case.
            models.UniqueConstraint(
                Lower("name"),
                name="chat_label_name_unique",
                violation_error_message="There is a label of this name already.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = self.name.strip()
        self.color = self.color.lower()


class ConversationLabel(models.Model):
    """A label on a conversation: who put it there, and when."""

    # The unique constraint's index (conversation first) serves the conversation's side.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, db_index=False)
    label = models.ForeignKey(Label, on_delete=models.CASCADE)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "label"], name="chat_label_once_per_conversation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} on {self.conversation}"


class ConversationRating(Conversation):
    """Conversations as their ratings: admin's "Ratings" report (the same rows)."""

    class Meta:
        proxy = True
        verbose_name = "rating"
        verbose_name_plural = "ratings"


class Message(models.Model):
    class Role(models.TextChoices):
        VISITOR = "visitor"
        BOT = "bot"
        AGENT = "agent"
        # Who is answering now, and such: shown to everybody, answered by nobody.
        SYSTEM = "system"

    # Indexed with the message's id (Meta.indexes), which orders a conversation's messages.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sender_role = models.CharField(max_length=16, choices=Role.choices)
    # Who the visitor saw as the sender at the time, kept even if a name changes later.
    sender_name = models.CharField(max_length=100)
    sender_title = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    # The staff member or bot app user who sent it (agents' and bot apps' messages).
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Rich content from bot apps: link and quick-reply buttons (see chat.attachments).
    attachments = models.JSONField(default=list, blank=True)
    # A visitor's press of a quick-reply button: the button's value; the text is its label.
    response_value = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    # The id the sending client gave its message; a resend with it is not stored
    # again. NULL (not "") for "none given", so the unique constraint skips it.
    # Bot apps' idempotency keys are kept here too, prefixed with their app.
    client_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "id"]
        indexes = [
            # A conversation's messages in order: its history, and the reports, which read
            # the role, time and sender of every message of a period's conversations from
            # this index alone (PostgreSQL; SQLite leaves the included columns out).
            models.Index(
                fields=["conversation", "id"],
                include=["sender_role", "sent_at", "sender_user"],
                name="chat_message_in_order",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="chat_message_client_id_once_per_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender_name}: {self.text[:60]}"


class Suggestion(models.Model):
    """An answer the bot proposes to agents in side-kick mode; visitors never see it."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="suggestions"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The visitor message it answers.
    question = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set once an agent sent it (as written or edited): it is not offered again.
    sent_message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["conversation", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Note(models.Model):
    """A staff member's private note in a conversation, read by staff beside its messages.

    A table of its own rather than a kind of Message: everything the visitor, their
    transcript and bot apps are given is read from messages, so no filter forgotten in one
    of those paths can ever let a note out. Staff read notes through the console alone
    (chat.selectors.conversation_staff_frames, chat.realtime to the staff's group).
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The author's name when they wrote it, kept if they are renamed or leave.
    author_name = models.CharField(max_length=100)
    text = models.TextField()
    # As Message.client_id: the console's id for it, so that a resend is stored once.
    client_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="chat_note_client_id_once_per_conversation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:60]}"


class AgentStatus(models.Model):
    """A staff member as a chat agent: the title visitors see, and whether they take chats."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_agent"
    )
    title = models.CharField(max_length=200, blank=True, default="Support")
    # Off: present, but taking no new chats; online means accepting and present.
    accepting_chats = models.BooleanField(default=True)
    capacity = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Auto-assignment gives the agent conversations only while fewer than this "
        "many are theirs to answer. They may still take more themselves.",
    )
    # When auto-assignment last gave the agent a conversation: of agents answering as many,
    # the one who waited longest for one gets the next.
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "agent status"
        verbose_name_plural = "agent statuses"

    def __str__(self) -> str:
        return str(self.user)


class AgentClient(models.Model):
    """One open staff console, or one presence of a bot app's user. An agent is present
    while one of theirs has not expired; the console renews it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_clients"
    )
    key = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user} until {self.expires_at:%H:%M:%S}"


class LeftMessage(models.Model):
    """What a visitor wrote in "leave a message" while nobody was there to chat."""

    name = models.CharField(max_length=100)
    email = models.EmailField()
    text = models.TextField()
    session_key = models.CharField(max_length=40, blank=True)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    page = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    handled = models.BooleanField(default=False)

    class Meta:
        ordering = ["handled", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>: {self.text[:40]}"


#: The away text when staff leave theirs empty: in the visitor's language.
DEFAULT_AWAY_TEXT = gettext_lazy(
    "We are away right now. Leave your email and a message, and we will get back to you "
    "when we are back."
)


def site_time_zone() -> str:
    """The business hours' time zone until staff choose one: the site's TIME_ZONE."""
    return settings.TIME_ZONE


class ChatSettings(models.Model):
    """Site-wide chat settings, one row, edited in admin."""

    class LauncherSide(models.TextChoices):
        RIGHT = "right", "bottom right"
        LEFT = "left", "bottom left"

    sidekick_default = models.BooleanField(
        default=False,
        help_text="New conversations start in side-kick mode: people answer and the bot "
        "only suggests answers to them.",
    )
    # The chat box's look, on the site's pages and on other sites alike (chat.frontend).
    primary_color = models.CharField(
        "brand colour",
        max_length=7,
        default=colors.DEFAULT_PRIMARY_COLOR,
        validators=[colors.validate_primary_color],
        help_text="The launcher, the header, the buttons and the visitor's messages, as "
        "#rrggbb. They carry white text, so the colour must be dark enough for it (WCAG AA, "
        "4.5:1).",
    )
    launcher_side = models.CharField(
        "launcher position",
        max_length=5,
        choices=LauncherSide.choices,
        default=LauncherSide.RIGHT,
    )
    welcome_text = models.CharField(
        "welcome text",
        max_length=200,
        blank=True,
        default="Hi! Questions about our products? Ask us here.",
        help_text="Shown at the top of the open chat box; leave it empty for none.",
    )
    allowed_origins = models.TextField(
        "sites allowed to embed the chat",
        blank=True,
        help_text="One origin a line, e.g. https://shop.example.org: scheme, host and port "
        "only. Pages there may show the chat box (the embed script) and talk to the chat; "
        "no other site may.",
    )
    # Sharing the work (chat.services.assignment).
    auto_assign = models.BooleanField(
        "assign conversations automatically",
        default=False,
        help_text="A conversation that starts waiting for a person goes at once to the agent "
        "present and accepting chats who answers the fewest, below their capacity (Agent "
        "statuses), never back to an agent who handed it back. When everyone is at capacity it "
        "waits, and the longest waiting goes to the next agent who has room. Within business "
        "hours only, if kept.",
    )
    # Business hours (chat.hours): the opening hours and holidays are rows of their own.
    business_hours = models.BooleanField(
        "keep business hours",
        default=False,
        help_text="Outside the opening hours below, and on holidays, people are away: the "
        "chat box shows the away text and offers to leave a message instead of a person. "
        "The bot, if on, still answers.",
    )
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        choices=hours.time_zone_choices,
        default=site_time_zone,
        help_text="The opening hours and holidays are in this time zone's local time, daylight "
        "saving time included.",
    )
    away_text = models.CharField(
        "away text",
        max_length=300,
        blank=True,
        help_text="Shown to visitors outside business hours, in the chat box and when they "
        "ask for a person. Leave it empty for the chat's own text, in the visitor's language "
        "(\u201cWe are away right now\u2026\u201d).",
    )

    class Meta:
        verbose_name = verbose_name_plural = "chat settings"

    def __str__(self) -> str:
        return "Chat settings"

    def clean(self) -> None:
        self.primary_color = self.primary_color.lower()
        # Stored as browsers send Origin, so that a page's origin is simply looked up in it.
        try:
            self.allowed_origins = "\n".join(origins.origins_from_lines(self.allowed_origins))
        except ValidationError as error:
            raise ValidationError({"allowed_origins": error.error_list}) from None

    def origin_list(self) -> tuple[str, ...]:
        """The allowed origins, as stored (normalized by ``clean``)."""
        return tuple(line for line in self.allowed_origins.splitlines() if line)


class OpeningInterval(models.Model):
    """One interval of a weekday's opening hours (chat.hours); a day may have several."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    chat_settings = models.ForeignKey(
        ChatSettings, on_delete=models.CASCADE, related_name="opening_intervals"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 closes at midnight, at the end of the day.")

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = "opening hours interval"
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")) | Q(closes=hours.MIDNIGHT),
                name="chat_opening_interval_ends_after_start",
                violation_error_message="An interval must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return str(self.interval())

    def interval(self) -> hours.Interval:
        return hours.Interval(self.weekday, self.opens, self.closes)

    def clean(self) -> None:
        if (
            self.opens is not None
            and self.closes is not None
            and not hours.ends_after_start(self.opens, self.closes)
        ):
            raise ValidationError(
                {
                    "closes": f"An interval must end after it starts: this one opens at "
                    f"{hours.clock(self.opens)} and closes at {hours.clock(self.closes)}. "
                    "For hours past midnight, close at 00:00 and add the rest to the next day."
                }
            )


class Holiday(models.Model):
    """A date the business is closed all day, in its time zone, whatever the opening hours."""

    chat_settings = models.ForeignKey(
        ChatSettings, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True, help_text="Optional, e.g. Christmas Day.")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["chat_settings", "date"],
                name="chat_holiday_once_a_date",
                violation_error_message="This date is a holiday already.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
