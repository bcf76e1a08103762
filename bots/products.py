"""Answering from what the shop says about a product: its price, stock, description and the
details its page lists. Plain Python, no ORM: the chat hands the bot a product's facts.

A page's facts are cut into passages (one per detail, one per sentence of the description)
so that a question is answered with the one passage that answers it, in the page's own
words and naming the product, and a question no passage answers is told so, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .base import ProductFacts
from .intents import ProductQuestion
from .text import STOP_WORDS, stem, words


@dataclass(frozen=True)
class Passage:
    """One thing a product's page says: what the bot matches a question against (``text``)
    and what it answers with (``quote``).

    A page's passages are kept with their vectors and answer visitors of every language, so
    a quote the bot words itself (the price, the stock) is a lazy string, worded in the
    language active when it is read; what the shop wrote is quoted as it is.
    """

    text: str
    quote: str
    #: The question the passage answers, when its words alone would not say it: visitors
    #: ask "what is it made of?", the page says "Material: ceramic".
    asked: str = ""
    #: Whether the quote names the product itself (else the reply says whose page it is).
    names_product: bool = False

    @property
    def texts(self) -> tuple[str, ...]:
        """What a question is matched against: the passage, and the question it answers."""
        return (self.text, self.asked) if self.asked else (self.text,)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def passages(product: ProductFacts) -> list[Passage]:
    """What the product's page says, one fact a passage."""
    # Matched without the product's name, which every passage would share: it would make
    # them all alike, and the question's own words tell them apart.
    found = [
        Passage(
            f"price: costs ${product.price}", _lazy_price_sentence(product), names_product=True
        ),
        Passage("stock: availability, in stock", _lazy_stock_sentence(product), names_product=True),
    ]
    for name, value in product.attributes:
        found.append(
            Passage(f"{name}: {value}", f"{name}: {value}.", asked=f"What is its {name.lower()}?")
        )
    for sentence in _SENTENCE_END.split(product.description.strip()):
        if sentence:
            found.append(Passage(sentence, _lazy_quoted(sentence)))
    return found


def shared_words(question: str, product: ProductFacts, found: list[Passage]) -> list[float]:
    """For each passage, the share of the question's own words (not the product's name, nor
    "it" or "this") it contains, by stem: "is it a paperback?" and "Format: Paperback"."""
    name = name_words(product.name)
    asked = {
        stem(word)
        for word in words(question)
        if word not in STOP_WORDS and word not in _POINTERS and word not in name
    }
    if not asked:
        return [0.0] * len(found)
    return [len(asked & {stem(word) for word in words(p.text)}) / len(asked) for p in found]


def price(product: ProductFacts) -> str:
    """The product's price as the visitor's language writes numbers (44.99, 44,99)."""
    try:
        amount = Decimal(product.price)
    except InvalidOperation:
        return product.price  # a catalog's own wording ("on request"): quoted as it is
    return number_format(amount, decimal_pos=max(0, -amount.as_tuple().exponent))


def price_sentence(product: ProductFacts) -> str:
    return _("%(name)s costs $%(price)s.") % {"name": product.name, "price": price(product)}


def stock_sentence(product: ProductFacts) -> str:
    if product.stock > 0:
        return ngettext(
            "%(name)s is in stock: %(count)d available.",
            "%(name)s is in stock: %(count)d available.",
            product.stock,
        ) % {"name": product.name, "count": product.stock}
    return _("%(name)s is out of stock right now, sorry.") % {"name": product.name}


def _quoted(sentence: str) -> str:
    # Each language's own quotation marks.
    return pgettext("a sentence quoted from a product page", "“%(sentence)s”") % {
        "sentence": sentence
    }


_lazy_price_sentence = lazy(price_sentence, str)
_lazy_stock_sentence = lazy(stock_sentence, str)
_lazy_quoted = lazy(_quoted, str)


def answer(product: ProductFacts, asked: ProductQuestion) -> str:
    """The reply to a price, stock or "tell me about it" question on ``product``."""
    if asked is ProductQuestion.PRICE:
        return price_sentence(product)
    if asked is ProductQuestion.STOCK:
        return stock_sentence(product)
    return _("%(name)s: %(description)s It costs $%(price)s. %(stock)s") % {
        "name": product.name,
        "description": product.description,
        "price": price(product),
        "stock": stock_sentence(product),
    }


def quote(product: ProductFacts, passage: Passage) -> str:
    """A passage as the reply, naming the product it is about."""
    if passage.names_product:
        return str(passage.quote)
    return _("The %(name)s page says: %(quote)s") % {"name": product.name, "quote": passage.quote}


def page_silent(product: ProductFacts) -> str:
    """The honest reply to a question on the product that its page does not answer."""
    return _(
        "The %(name)s page doesn't say, and I'd rather not guess. "
        "Shall I ask a person? Just say “talk to a person”."
    ) % {"name": product.name}


#: Words that point at the product on the page without naming it.
_POINTERS = frozenset("it its this that these those they them one product item thing".split())


def name_words(text: str) -> set[str]:
    """The words of ``text`` that could name a product, each also in the singular ("hoodies"
    names the hoodie)."""
    found = {word for word in words(text) if word not in STOP_WORDS and len(word) > 2}
    return found | {word[:-1] for word in found if len(word) > 3 and word.endswith("s")}


def refers_to(question: str, product: ProductFacts) -> bool:
    """Whether ``question`` is about ``product``: it points at it ("is it…", "this one") or
    names it. Only then does the bot say that the page does not answer it."""
    return bool(set(words(question)) & _POINTERS) or bool(
        name_words(question) & name_words(product.name)
    )


def named_product(question: str, candidates: Iterable[ProductFacts]) -> ProductFacts | None:
    """The one candidate whose name the question uses most ("the hoodie", "the coffee mug"),
    or None when it names none, or several as much."""
    asked = name_words(question)
    scored = sorted(
        ((len(name_words(product.name) & asked), product) for product in candidates),
        key=lambda pair: -pair[0],
    )
    scored = [pair for pair in scored if pair[0] > 0]
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]
