"""The shop's products as the chat's bot, its staff and bot apps read them.

The project's settings name this class in ``CHAT_CATALOG``; ``chat.catalog`` documents the
three methods the chat calls. Products are read fresh on every call: a price edited in admin
is the price the bot quotes next.
"""

from collections.abc import Collection

from bots.base import ProductFacts

from . import selectors
from .models import Product


class Catalog:
    def products(self, *, ids: Collection[int]) -> dict[int, ProductFacts]:
        return {p.pk: _facts(p) for p in selectors.products_with_attributes(ids=ids)}

    def products_named(self, *, words: Collection[str]) -> list[ProductFacts]:
        return [_facts(p) for p in selectors.products_named(words=words)]

    def pages(self, *, ids: Collection[int]) -> dict[int, tuple[str, str]]:
        return {
            p.pk: (p.name, p.get_absolute_url())
            for p in selectors.product_list().filter(pk__in=ids).only("name", "slug")
        }


def _facts(product: Product) -> ProductFacts:
    return ProductFacts(
        name=product.name,
        price=str(product.price),
        stock=product.stock,
        description=product.description,
        url=product.get_absolute_url(),
        attributes=tuple((a.name, a.value) for a in product.attributes.all()),
    )
