import hashlib
import re
import unicodedata

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

thumbnail_path_validator = RegexValidator(
    r"^(https?://\S+|/\S+|[\w.-]+(/[\w.-]+)*)$",
    "Give a static file path (images/chat/Case.png), a site path (/media/x.png) "
    "or an http(s) URL, without spaces.",
)


class BotProfile(models.Model):
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
    # Off: the bot answers nobody, and the chat is online only while a person accepts
    # chats.
    is_online_enabled = models.BooleanField(
        "answers visitors",
        default=True,
        help_text="Off: visitors' questions wait for a person, or for a left message.",
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
    profile = models.ForeignKey(BotProfile, on_delete=models.CASCADE, related_name="knowledge")
    terms = models.TextField(help_text="Words that questions on this topic are likely to contain.")
    answer = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["profile", "id"]
        verbose_name_plural = "knowledge entries"

    def __str__(self) -> str:
        return self.terms[:80]


class ExampleQuestion(models.Model):
    """A way visitors ask what an entry answers: the semantic stage matches questions
    against these as well as against the entry's terms and answer."""

    entry = models.ForeignKey(KnowledgeEntry, on_delete=models.CASCADE, related_name="examples")
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "text"], name="bots_example_entry_text")
        ]

    def __str__(self) -> str:
        return self.text


class OutOfScopeQuestion(models.Model):
    """A question the bot must decline though it sounds like its knowledge ("do you have a
    discount code?" beside the starter code): a question nearer in meaning to one of these
    than to the entry it resembles gets the fallback, not that entry's answer."""

    profile = models.ForeignKey(BotProfile, on_delete=models.CASCADE, related_name="out_of_scope")
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["profile", "id"]
        verbose_name = "out-of-scope question"
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "text"], name="bots_out_of_scope_profile_text"
            )
        ]

    def __str__(self) -> str:
        return self.text


class StoredVector(models.Model):
    """A text's sentence embedding, kept so that a worker starts, and an edit goes live,
    without encoding again what was encoded before. Keyed by the model and the text's digest:
    an edited text is a new row, and a new model never reads an old model's vectors."""

    model = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    vector = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "digest"], name="bots_vector_model_digest")
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.digest[:12]}"


class SampleQuestion(models.Model):
    """Questions the bot offers in its greeting to start the conversation."""

    profile = models.ForeignKey(
        BotProfile, on_delete=models.CASCADE, related_name="sample_questions"
    )
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["profile", "id"]

    def __str__(self) -> str:
        return self.text


class UnansweredQuestion(models.Model):
    """A question the bot could not answer, for staff to answer: one row for every way of
    asking it, by its normalised form or, with the semantic stage, by meaning."""

    profile = models.ForeignKey(
        BotProfile, on_delete=models.CASCADE, related_name="unanswered_questions"
    )
    text = models.CharField(max_length=2000, help_text="The question as first asked.")
    # A digest of the normalised question, not the normalised text itself: a unique index
    # on up to 2000 characters (8000 bytes in UTF-8) would exceed PostgreSQL's B-tree limit.
    key = models.CharField(max_length=64, editable=False)
    count = models.PositiveIntegerField(default=1, help_text="How many times it was asked.")
    first_asked = models.DateTimeField(default=timezone.now)
    last_asked = models.DateTimeField(default=timezone.now)
    last_page = models.CharField(
        max_length=300, blank=True, help_text="The path of the page it was last asked on."
    )
    # The question's sentence embedding: a question near it in meaning counts on this row.
    vector = models.BinaryField(null=True, editable=False)

    class Meta:
        ordering = ["-count", "-last_asked"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "key"], name="bots_unanswered_profile_key")
        ]
        indexes = [models.Index(fields=["-count", "-last_asked"], name="bots_unanswered_by_count")]

    def __str__(self) -> str:
        return self.text[:80]

    @staticmethod
    def normalize(text: str) -> str:
        """The form that groups ways of asking the same thing ("What is X?", "what is  x")."""
        folded = " ".join(text.casefold().split())
        end = len(folded)
        while end and (
            folded[end - 1].isspace() or unicodedata.category(folded[end - 1])[0] == "P"
        ):
            end -= 1
        return folded[:end]

    @classmethod
    def key_for(cls, text: str) -> str:
        return hashlib.sha256(cls.normalize(text).encode()).hexdigest()

    @property
    def words(self) -> list[str]:
        """The question's words, casefolded, each once, in order: to use as an entry's terms."""
        return words_of(self.text)


_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def words_of(text: str) -> list[str]:
    """Casefolded words of ``text``, each once, in order ("react-like" and "don't" stay whole)."""
    return list(dict.fromkeys(_WORD.findall(text.casefold())))
