from bots.thesaurus import slots


def test_each_word_is_a_slot_with_what_it_stands_for():
    assert slots(["any", "advantages"]) == [(("any",), ()), (("advantages",), ("benefits",))]


def test_word_forms_of_listed_words_count():
    assert slots(["watching"]) == [(("watching",), ("talk", "presentation"))]


def test_a_phrase_is_one_slot():
    assert slots(["is", "there", "hot", "reload"]) == [
        (("hot", "reload"), ("kickstart", "recompile", "restart")),
        (("is",), ()),
        (("there",), ()),
    ]
