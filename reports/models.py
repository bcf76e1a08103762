from django.db import models

from chat.models import Conversation


class ConversationFigures(models.Model):
    """What the reports need of one conversation's messages (``queries`` defines each word),
    kept so that a report reads a row per conversation instead of every message of theirs.

    Computed from the messages and kept with the conversation's ``last_message_at`` as it was
    then: every new message moves that, which makes the row stale, and a report computes the
    stale rows of its period again before it reads them (``services.figures_refresh``). What
    can change without a message (the conversation's agent, its rating) is never kept here:
    reports read it from the conversation itself.
    """

    class Outcome(models.TextChoices):
        BOTS = "bots", "answered by bots alone"
        PERSON = "person", "handed to a person"
        UNANSWERED = "unanswered", "asked, never answered"
        NO_QUESTION = "no_question", "no question asked"

    class Replier(models.TextChoices):
        BOT = "bot", "the site's bot"
        APP = "app", "a bot app"
        PERSON = "person", "a person"

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_message_at = models.DateTimeField()
    # Which users were bot apps' when these were computed (a digest of their ids): a person
    # and a bot app write alike, as agents, and only that list tells them apart.
    answerers = models.CharField(max_length=16)
    # The visitor's, bots' and people's messages; the chat's notices left out.
    messages = models.PositiveIntegerField()
    asked = models.BooleanField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    first_reply_by = models.CharField(max_length=8, choices=Replier.choices, blank=True)
    # The bot app's user, when a bot app gave the first reply: an id, not a key, so that the
    # figures outlive the user.
    first_reply_app = models.IntegerField(null=True, blank=True)
    first_reply_seconds = models.FloatField(null=True, blank=True)
    # The first person who wrote, by their user's id (None once that user is deleted).
    first_person = models.IntegerField(null=True, blank=True)
    human_reply_seconds = models.FloatField(null=True, blank=True)
    # From its start to its last message, when the visitor asked something.
    duration_seconds = models.FloatField(null=True, blank=True)
    # Whether the site's bot replied to the visitor: a rating of a conversation nobody held
    # at the end is the bot's then.
    bot_answered = models.BooleanField()

    class Meta:
        verbose_name = verbose_name_plural = "conversation figures"

    def __str__(self) -> str:
        return f"Figures of conversation {self.conversation_id}"
