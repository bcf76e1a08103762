"""The Bot interface: what the chat needs from anything that answers visitors.

It mirrors the seed's Go interface (Greeting, Reply, Name, Title,
ThumbnailPath and their setters); in Python the identity fields are plain
attributes, so assigning to them is the setter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Self


@dataclass(frozen=True)
class KnowledgeItem:
    """One entry of a knowledge base: the terms a question may contain, and the answer."""

    key: str
    terms: str
    answer: str


@dataclass(frozen=True)
class BotProfile:
    """What staff can edit about a bot, as plain data (no ORM in the bots' logic)."""

    name: str
    title: str
    thumbnail_path: str
    knowledge: tuple[KnowledgeItem, ...] = ()
    sample_questions: tuple[str, ...] = ()
    revision: int = 0


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
    def from_profile(cls, profile: BotProfile) -> Self:
        """Build the bot from its stored profile; bots with knowledge override this."""
        return cls(name=profile.name, title=profile.title, thumbnail_path=profile.thumbnail_path)

    @abstractmethod
    def greeting(self) -> str:
        """The first message of a new conversation."""

    @abstractmethod
    def reply(self, question: str) -> str:
        """The answer to a visitor's message."""
