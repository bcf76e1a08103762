from django.core.validators import RegexValidator
from django.db import models

thumbnail_path_validator = RegexValidator(
    r"^(https?://\S+|/\S+|[\w.-]+(/[\w.-]+)*)$",
    "Give a static file path (images/chat/Case.png), a site path (/media/x.png) "
    "or an http(s) URL, without spaces.",
)


class Agent(models.Model):
    """A bot's editable profile: who it says it is, and what it knows."""

    slug = models.SlugField(
        unique=True, help_text="Which bot class this profile belongs to (its slug)."
    )
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=200, blank=True)
    thumbnail_path = models.CharField(
        max_length=300,
        validators=[thumbnail_path_validator],
        help_text="Path of a static file (images/chat/Case.png) or a full URL.",
    )
    # Bumped by every edit of the profile, its knowledge or its sample
    # questions, so that each worker process notices and rebuilds its bot.
    revision = models.PositiveBigIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class KnowledgeEntry(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="knowledge")
    terms = models.TextField(help_text="Words that questions on this topic are likely to contain.")
    answer = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agent", "id"]
        verbose_name_plural = "knowledge entries"

    def __str__(self) -> str:
        return self.terms[:80]


class SampleQuestion(models.Model):
    """Questions the bot offers in its greeting to start the conversation."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="sample_questions")
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["agent", "id"]

    def __str__(self) -> str:
        return self.text
