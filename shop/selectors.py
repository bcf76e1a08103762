from collections.abc import Collection

from django.db.models import Q, QuerySet

from .models import Product

#: Most products one name search returns: a question names one or two.
NAMED_LIMIT = 50


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def products_with_attributes(*, ids: Collection[int]) -> QuerySet[Product]:
    return Product.objects.prefetch_related("attributes").filter(pk__in=ids)


def products_named(*, words: Collection[str]) -> QuerySet[Product]:
    """Products whose name holds any of the words, their details read with them."""
    if not words:
        return Product.objects.none()
    query = Q()
    for word in words:
        query |= Q(name__icontains=word)
    return Product.objects.filter(query).prefetch_related("attributes")[:NAMED_LIMIT]
