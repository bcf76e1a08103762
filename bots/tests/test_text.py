from bots.text import content_words, normalize, stem, stem_all, words


def test_normalize_folds_case_width_and_apostrophes():
    assert normalize("Don’t ＳＨＯＵＴ") == "dont shout"


def test_words_split_on_punctuation_and_symbols():
    assert words("react-like? (yes!) C'mon_now") == ["react", "like", "yes", "cmon", "now"]


def test_content_words_drop_function_words_only():
    assert content_words("Where can I find a talk on this topic?") == ["find", "talk", "topic"]


def test_stems_join_word_forms():
    assert stem("routing") == stem("routes") == stem("route")
    assert stem_all({"rendering", "render"}) == {"rendering": "render", "render": "render"}
