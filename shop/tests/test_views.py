import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils.text import Truncator

from shop.models import Product

pytestmark = pytest.mark.django_db


def test_the_demo_products_are_installed_by_migration():
    assert Product.objects.count() >= 5


def test_product_list_links_every_product_and_carries_the_chat_box(client):
    response = client.get(reverse("shop:product_list"))
    assert response.status_code == 200
    for product in Product.objects.all():
        assert product.get_absolute_url() in response.content.decode()
    assert 'id="chatboxContainer"' in response.content.decode()


def test_product_detail_shows_name_description_price_and_stock(client):
    product = Product.objects.create(
        name="Test Gopher", slug="test-gopher", description="Fluffy.", price="9.50", stock=3
    )
    response = client.get(product.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Test Gopher" in body
    assert "Fluffy." in body
    assert "9.50" in body
    assert "In stock: 3" in body
    assert 'id="chatboxContainer"' in response.content.decode()


def test_product_detail_lists_the_details_staff_gave(client):
    book = Product.objects.get(slug="isomorphic-go-book")
    body = client.get(book.get_absolute_url()).content.decode()
    assert '<th scope="row">Format</th><td>Paperback</td>' in body
    assert '<th scope="row">Author</th><td>Kamesh Balasubramanian</td>' in body
    bare = Product.objects.create(name="Bare", slug="bare", description="-", price=1, stock=1)
    assert "productAttributes" not in client.get(bare.get_absolute_url()).content.decode()


def test_out_of_stock_is_said(client):
    product = Product.objects.create(name="Gone", slug="gone", description="-", price=1, stock=0)
    assert "Out of stock" in client.get(product.get_absolute_url()).content.decode()


def test_unknown_product_is_404(client):
    assert client.get("/products/no-such-thing/").status_code == 404


def test_product_text_is_escaped(client):
    product = Product.objects.create(
        name="<script>alert(1)</script>", slug="xss", description="<b>x</b>", price=1, stock=1
    )
    body = client.get(product.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# --- in the visitor's language ------------------------------------------------------------------

# Names that stay as they are in every language: the shop's, the bot's, the topic's.
PROPER_NOUNS = ("Gopher Goods", "Case", "Isomorphic Go")
# Words spelled as in English in that language, rightly.
SPELLED_AS_IN_ENGLISH = {"de": ["Chat", "Name"], "es": ["Chat"]}
# Elements whose text a visitor does not read as the page's own.
UNREAD = frozenset({"script", "style", "template", "noscript"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# Attributes a visitor reads or hears: tooltips, labels for screen readers, placeholders.
READ_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
# Nothing is left out: the chat box (the chat app's chatbox.html) is checked with the page.
NOT_CHECKED_IDS: frozenset[str] = frozenset()


class VisibleText(HTMLParser):
    """The texts of a page a visitor reads or hears, in order: its text nodes and the
    attributes above. Left out: scripts and templates, NOT_CHECKED_IDS, and whatever is marked
    as written in a language of its own (``lang``), such as the language switcher's options,
    each named in its language."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skipping: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skipped = any(self._skipping)
        if tag not in VOID:
            self._skipping.append(
                tag in UNREAD
                or attributes.get("id") in NOT_CHECKED_IDS
                or (tag != "html" and "lang" in attributes)
            )
        if skipped or (tag not in VOID and self._skipping[-1]):
            return
        if tag == "input" and attributes.get("type") in {"submit", "button"}:
            self._add(attributes.get("value"))
        for name in READ_ATTRIBUTES:
            self._add(attributes.get(name))

    def handle_endtag(self, tag):
        if tag not in VOID and self._skipping:
            self._skipping.pop()

    def handle_data(self, data):
        if not any(self._skipping):
            self._add(data)

    def _add(self, text):
        text = " ".join((text or "").split())
        if text:
            self.texts.append(text)


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def shop_data() -> list[str]:
    """What the shop's staff wrote: shown as written, in every language (as the pages show it,
    descriptions shortened on the list)."""
    data = []
    for product in Product.objects.prefetch_related("attributes"):
        data += [product.name, product.description, Truncator(product.description).words(20, " …")]
        for attribute in product.attributes.all():
            data += [attribute.name, attribute.value]
    return data


def staff_written(english_page: str) -> list[str]:
    """The chat box's welcome text, written in admin (Chat settings) in one language, as the
    knowledge base is: read off the page, since the shop never imports the chat."""
    return re.findall(r'<p class="chatboxWelcome">([^<]*)</p>', english_page)


def untranslated(english: str, translated: str, *, data: list[str]) -> list[str]:
    """The texts of ``translated`` that are word for word in ``english`` too, but for what
    needs no translation: proper nouns, the shop's data, numbers and signs."""
    same = set(visible_texts(english))
    phrases = sorted([*PROPER_NOUNS, *data], key=len, reverse=True)
    found = []
    for text in visible_texts(translated):
        if text not in same or any(text in " ".join(item.split()) for item in data):
            continue
        rest = text
        for phrase in phrases:
            rest = rest.replace(" ".join(phrase.split()), " ")
        if re.search(r"[^\W\d_]", rest):  # a letter is left: words a visitor reads
            found.append(text)
    return found


def test_the_check_finds_a_text_nobody_wrapped():
    english = '<html lang="en"><p>Fresh today</p><p>Gopher Goods</p><p>$3.00</p></html>'
    german = '<html lang="de"><p>Fresh today</p><p>Gopher Goods</p><p>3,00 $</p></html>'
    assert untranslated(english, german, data=[]) == ["Fresh today"]
    # What a visitor does not read, or reads as the language it says it is in, is not checked.
    hidden = '<p lang="en">Fresh today</p><script>var x = "Fresh today";</script>'
    assert untranslated(hidden, hidden, data=[]) == []
    read = '<button aria-label="Close" title="Close"></button><input type="submit" value="Go">'
    assert untranslated(read, read, data=[]) == ["Close", "Close", "Go"]


def shop_pages() -> list[str]:
    out_of_stock = Product.objects.create(
        name="Gopher Socks", slug="gopher-socks", description="Warm socks.", price="7.00", stock=0
    )
    book = Product.objects.get(slug="isomorphic-go-book")
    return [reverse("shop:product_list"), book.get_absolute_url(), out_of_stock.get_absolute_url()]


@pytest.mark.parametrize("language", ["de", "es"])
def test_every_text_of_the_shop_s_pages_is_in_the_visitor_s_language(client, language):
    data = shop_data() + ["Gopher Socks", "Warm socks."] + SPELLED_AS_IN_ENGLISH[language]
    for url in shop_pages():
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        translated = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<html lang="{language}">' in translated
        assert untranslated(english, translated, data=data + staff_written(english)) == [], url


def test_an_empty_shop_says_so_in_the_visitor_s_language(client):
    Product.objects.all().delete()
    url = reverse("shop:product_list")
    english = client.get(url).content.decode()
    assert "No products yet." in english
    for language in ("de", "es"):
        translated = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        data = staff_written(english) + SPELLED_AS_IN_ENGLISH[language]
        assert untranslated(english, translated, data=data) == []


def test_prices_are_written_the_visitor_s_way(client):
    book = Product.objects.get(slug="isomorphic-go-book")
    assert "$44.99" in client.get(book.get_absolute_url()).content.decode()
    german = client.get(book.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "44,99 $" in german
    spanish = client.get(book.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "44,99 US$" in spanish


def test_the_footer_s_switcher_changes_the_language_without_javascript(client):
    book = Product.objects.get(slug="isomorphic-go-book")
    page = client.get(book.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in page
    # A labelled select of every language, each named in its own, the page's selected...
    assert '<label for="languageSwitcherSelect">Sprache</label>' in page
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page
    assert '<option value="es" lang="es">Español</option>' in page
    assert f'<input name="next" type="hidden" value="{book.get_absolute_url()}">' in page
    # ... posted as a plain form to Django's set_language, which comes back to the page.
    switched = client.post(
        reverse("set_language"), {"language": "es", "next": book.get_absolute_url()}
    )
    assert switched.status_code == 302
    assert switched["Location"] == book.get_absolute_url()
    # The choice outweighs what the browser asks for.
    page = client.get(book.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="es">' in page
    assert "Todos los productos" in page
