"""What the chat knows of the shop around it: the product on the visitor's page.

The chat runs on sites without a shop too. A site with one names, in the setting
``CHAT_CATALOG``, a class whose instances have the three methods of ``Catalog`` below (this
project names ``shop.catalog.Catalog``). A page says which product it shows with
``<body data-product-id="3">``; the chat box passes the id on when its socket opens, the
conversation keeps it, and the bot asks the catalog for that product's facts when it answers
("how much is this?"). Off product pages the bot asks for the products a question names
("how much is the hoodie?"). Staff and bot apps see each conversation's product by its name
and page. With no catalog the bot answers from its knowledge alone.
"""

from collections.abc import Collection, Iterable, Mapping
from functools import cache
from typing import Protocol

from django.utils.module_loading import import_string

from bots.base import ProductFacts

from . import conf


class Catalog(Protocol):
    def products(self, *, ids: Collection[int]) -> Mapping[int, ProductFacts]:
        """The products with these ids that exist, by id; read fresh on every call."""

    def products_named(self, *, words: Collection[str]) -> Iterable[ProductFacts]:
        """Products whose names hold any of these lowercase words (a few dozen at most)."""

    def pages(self, *, ids: Collection[int]) -> Mapping[int, tuple[str, str]]:
        """The name and page path of each product with these ids that exists, by id: what
        staff see of it. Read on every console update, so one light read, without details."""


def catalog() -> Catalog | None:
    path = conf.get("CHAT_CATALOG")
    return _load(path) if path else None


@cache
def _load(path: str) -> Catalog:
    return import_string(path)()
