import pytest

from shop.catalog import Catalog
from shop.models import Product

pytestmark = pytest.mark.django_db


def test_products_are_the_ones_that_exist_with_their_details():
    book = Product.objects.get(slug="isomorphic-go-book")
    found = Catalog().products(ids=[book.pk, 987654])
    assert list(found) == [book.pk]
    facts = found[book.pk]
    assert (facts.name, facts.price, facts.url) == (
        "Isomorphic Go Book",
        str(book.price),
        book.get_absolute_url(),
    )
    assert ("Format", "Paperback") in facts.attributes


def test_an_edit_is_read_on_the_next_call():
    book = Product.objects.get(slug="isomorphic-go-book")
    Product.objects.filter(pk=book.pk).update(price="1.00")
    assert Catalog().products(ids=[book.pk])[book.pk].price == "1.00"


def test_pages_are_the_names_and_links_of_the_products_that_exist(django_assert_num_queries):
    book = Product.objects.get(slug="isomorphic-go-book")
    with django_assert_num_queries(1):
        pages = Catalog().pages(ids=[book.pk, 987654])
    assert pages == {book.pk: ("Isomorphic Go Book", book.get_absolute_url())}


def test_products_named_are_those_sharing_a_word_of_their_name():
    names = {facts.name for facts in Catalog().products_named(words={"hoodie"})}
    assert names == {"Gopher Hoodie"}
    assert list(Catalog().products_named(words=set())) == []
