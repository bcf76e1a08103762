"""The Bot interface: what the chat needs from anything that answers visitors.

It keeps the original Go chat's interface (Greeting, Reply, Name, Title, ThumbnailPath
and their setters), so a bot written for it ports line by line; in Python the identity
fields are plain attributes, so assigning to them is the setter. ``respond`` is ``reply``
with what the chat needs besides the text: what kind of answer it is (so a question the
bot could not answer can be recorded for staff) and the page the visitor is on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Self

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Semantics:
    """What a bot needs to understand meaning: a sentence encoder (``bots.meaning`` gives
    the process's)."""

    #: Unit vectors (float32, one row a text) of texts seen for the first time: questions.
    encode: Callable[[Sequence[str]], np.ndarray]
    #: The same for texts of the knowledge base, kept so that they are encoded once.
    stored: Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class KnowledgeItem:
    """One entry of a knowledge base: the terms a question may contain, and the answer."""

    key: str
    terms: str
    answer: str
    #: Ways visitors ask what the entry answers (staff add them in admin).
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class BotProfileData:
    """What staff can edit about a bot, as plain data (no ORM in the bots' logic)."""

    name: str
    title: str
    thumbnail_path: str
    knowledge: tuple[KnowledgeItem, ...] = ()
    sample_questions: tuple[str, ...] = ()
    #: Questions the bot must decline though they sound like its knowledge.
    out_of_scope: tuple[str, ...] = ()
    revision: int = 0


@dataclass(frozen=True)
class ProductFacts:
    """The product on the visitor's page, as the shop describes it."""

    name: str
    price: str
    stock: int
    description: str
    url: str = ""
    #: What the page's details table says, as (name, value) pairs: ("Format", "Paperback").
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PageContext:
    """Where the visitor is while asking."""

    page: str = ""
    product: ProductFacts | None = None
    #: Finds the product a question names ("how much is the hoodie?") when the page has none.
    find_product: Callable[[str], ProductFacts | None] | None = None


class ReplyKind(StrEnum):
    ANSWER = "answer"  # from the knowledge base
    PRODUCT = "product"  # about the product on the page
    SMALLTALK = "smalltalk"  # greetings, thanks, goodbyes
    HANDOFF = "handoff"  # the visitor asked for a person
    FALLBACK = "fallback"  # the bot does not know


@dataclass(frozen=True)
class Reply:
    #: In the language active when the reply was made: a bot's fixed phrases may be lazy
    #: translations, and the reply is stored later, maybe while another language is active.
    text: str
    kind: ReplyKind
    #: The knowledge entry answered from (ANSWER only).
    entry_key: str | None = None
    score: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", str(self.text))


@dataclass(frozen=True)
class Candidate:
    """A knowledge entry considered for a question, with its score."""

    key: str
    #: The lexical score: the share of the question's words the entry covers.
    score: float
    #: The semantic score: the best cosine between the question and one of the entry's
    #: texts; None without the semantic stage.
    semantic: float | None = None


@dataclass(frozen=True)
class Explanation:
    """Why a bot answers a question the way it does: for staff trying questions."""

    reply: Reply
    #: The best-scoring knowledge entries, best first (the answer's, if any, among them).
    candidates: tuple[Candidate, ...]
    #: Below this score a question is not taken to be about an entry.
    threshold: float
    #: The decision taken, in a sentence ("Answered on meaning: …").
    decision: str = ""
    #: The semantic stage's thresholds (None without it): the least cosine, and the least
    #: lead over the runner-up.
    semantic_threshold: float | None = None
    semantic_lead: float | None = None


class Bot(ABC):
    #: Identifies the bot's editable profile (name, title, knowledge) in the database.
    slug: ClassVar[str]
    default_name: ClassVar[str]
    default_title: ClassVar[str] = ""
    default_thumbnail_path: ClassVar[str] = ""

    def __init__(
        self,
        *,
        name: str | None = None,
        title: str | None = None,
        thumbnail_path: str | None = None,
    ) -> None:
        self.name = name or self.default_name
        self.title = title if title is not None else self.default_title
        self.thumbnail_path = (
            thumbnail_path if thumbnail_path is not None else self.default_thumbnail_path
        )

    @classmethod
    def from_profile(cls, profile: BotProfileData, *, semantics: Semantics | None = None) -> Self:
        """Build the bot from its stored profile; bots with knowledge override this (and may
        use ``semantics``, the sentence encoder, when the model is installed)."""
        return cls(name=profile.name, title=profile.title, thumbnail_path=profile.thumbnail_path)

    @abstractmethod
    def greeting(self) -> str:
        """The first message of a new conversation."""

    @abstractmethod
    def respond(self, question: str, *, context: PageContext | None = None) -> Reply:
        """The answer to a visitor's message, and what kind of answer it is."""

    def reply(self, question: str) -> str:
        """Just the answer's text, for callers that need nothing more."""
        return self.respond(question).text
