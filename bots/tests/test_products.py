"""What the shop says about a product, as the bot answers from it (bots/products.py)."""

import re
from dataclasses import replace

import pytest
from django.utils import translation

from bots import products
from bots.intents import ProductQuestion, asks_for_a_person

from .catalog import BOOK, HOODIE, MUG


def test_a_page_is_cut_into_one_fact_a_passage():
    passages = products.passages(BOOK)
    quotes = [passage.quote for passage in passages]
    assert quotes == [
        "Isomorphic Go Book costs $44.99.",
        "Isomorphic Go Book is in stock: 15 available.",
        "Author: Kamesh Balasubramanian.",
        "Format: Paperback.",
        "Pages: 500.",
        "“Learn to build isomorphic web applications in Go.”",
        "“Paperback, 500 pages.”",
    ]
    # What is matched is the detail alone: the product's name, in every passage, would make
    # them all alike.
    assert passages[2].text == "Author: Kamesh Balasubramanian"


def test_a_detail_is_matched_with_the_question_it_answers_too():
    author = products.passages(BOOK)[2]
    assert author.texts == ("Author: Kamesh Balasubramanian", "What is its author?")
    # A sentence of the description says what it answers itself.
    sentence = products.passages(BOOK)[-1]
    assert sentence.texts == ("Paperback, 500 pages.",)


def test_the_question_s_own_words_in_each_passage():
    found = products.passages(BOOK)
    shared = products.shared_words("is the book a paperback?", BOOK, found)
    # "book" names the product and "is", "the", "a" are no content: "paperback" is all.
    assert shared[3] == 1.0 and shared[6] == 1.0
    assert shared[2] == 0.0
    assert products.shared_words("is it?", BOOK, found) == [0.0] * len(found)


def test_a_quote_names_the_product():
    format_passage = products.passages(BOOK)[3]
    assert products.quote(BOOK, format_passage) == (
        "The Isomorphic Go Book page says: Format: Paperback."
    )
    price = products.passages(BOOK)[0]
    assert products.quote(BOOK, price) == "Isomorphic Go Book costs $44.99."


def test_price_stock_and_about_answers():
    assert products.answer(BOOK, ProductQuestion.PRICE) == "Isomorphic Go Book costs $44.99."
    assert products.answer(HOODIE, ProductQuestion.STOCK) == (
        "Gopher Hoodie is out of stock right now, sorry."
    )
    about = products.answer(BOOK, ProductQuestion.ABOUT)
    assert about.startswith("Isomorphic Go Book: Learn to build") and "$44.99" in about


def test_the_page_silent_reply_is_honest_and_offers_a_person():
    reply = products.page_silent(BOOK)
    assert "Isomorphic Go Book page doesn't say" in reply
    assert "person" in reply


def test_a_question_refers_to_the_product_by_pointing_or_naming():
    assert products.refers_to("is it a paperback?", BOOK)
    assert products.refers_to("does this one come signed", BOOK)
    assert products.refers_to("any ebook of the book?", BOOK)
    assert not products.refers_to("what's the weather in Paris", BOOK)


def test_a_product_is_found_by_the_words_of_its_name():
    catalog = [BOOK, HOODIE, MUG]
    assert products.named_product("how much is the hoodie?", catalog) is HOODIE
    assert products.named_product("are the hoodies warm", catalog) is HOODIE
    assert products.named_product("price of the gopher coffee mug", catalog) is MUG
    # "gopher" alone names two products as much: no guess.
    assert products.named_product("how much is the gopher?", catalog) is None
    assert products.named_product("how much is shipping?", catalog) is None


# --- in the visitor's language ------------------------------------------------------------------


def test_the_bot_words_a_page_in_the_visitor_s_language():
    with translation.override("de"):
        assert products.answer(BOOK, ProductQuestion.PRICE) == "Isomorphic Go Book kostet 44,99 $."
        assert products.answer(HOODIE, ProductQuestion.STOCK) == (
            "Gopher Hoodie ist gerade leider nicht vorrätig."
        )
        format_passage = products.passages(BOOK)[3]
        # What the shop wrote is quoted as it is.
        assert products.quote(BOOK, format_passage) == (
            "Auf der Seite von Isomorphic Go Book steht: Format: Paperback."
        )
    with translation.override("es"):
        assert products.answer(MUG, ProductQuestion.STOCK) == (
            "Gopher Coffee Mug está disponible: quedan 120 unidades."
        )
        sentence = products.passages(BOOK)[-1]
        assert products.quote(BOOK, sentence) == (
            "La página de Isomorphic Go Book dice: «Paperback, 500 pages.»"
        )


def test_a_page_s_passages_are_worded_when_they_are_read():
    # The bot keeps a page's passages (and their vectors) for visitors of every language.
    found = products.passages(BOOK)
    with translation.override("de"):
        assert products.quote(BOOK, found[0]) == "Isomorphic Go Book kostet 44,99 $."
    with translation.override("es"):
        assert products.quote(BOOK, found[0]) == "Isomorphic Go Book cuesta 44,99 US$."
    assert products.quote(BOOK, found[0]) == "Isomorphic Go Book costs $44.99."


def test_a_price_the_catalog_words_itself_is_quoted_as_it_is():
    assert products.price(replace(BOOK, price="on request")) == "on request"
    with translation.override("de"):
        assert products.price(replace(BOOK, price="1234.5")) == "1234,5"


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_what_the_bot_tells_visitors_to_say_asks_for_a_person(language):
    # The page-silent reply tells the visitor how to reach a person, in their language: the bot
    # must understand what it told them to say.
    with translation.override(language):
        reply = products.page_silent(BOOK)
    said = re.search(r"[“„«](.+?)[”“»]\.?$", reply).group(1)
    assert asks_for_a_person(said), said
