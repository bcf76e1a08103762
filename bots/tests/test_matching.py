from bots.base import KnowledgeItem
from bots.matching import KnowledgeIndex

ITEMS = [
    KnowledgeItem(
        "go",
        "isomorphic go isomorphic go web applications",
        "Isomorphic Go runs the same Go code on the web server and in the web client.",
    ),
    KnowledgeItem(
        "routes",
        "perform routing web app register routes define routes",
        "Use the isokit Router for client-side routing without a full page reload.",
    ),
    KnowledgeItem(
        "templates",
        "render templates perform template rendering",
        "Use template sets, available on both the server-side and the client-side.",
    ),
    KnowledgeItem(
        "kick",
        "kick recompile code restart web server instance",
        "Kick recompiles your Go code and restarts the web server when a file changes.",
    ),
]


def best(question: str, **kwargs) -> str | None:
    match = KnowledgeIndex(ITEMS, **kwargs).best_match(question)
    return match.key if match else None


def test_the_entry_whose_terms_the_question_uses_wins():
    assert best("How do I define routes?") == "routes"
    assert best("how to render a template") == "templates"


def test_word_forms_match_through_their_stems():
    assert best("routing") == "routes"
    assert best("route") == "routes"
    assert best("rendering") == "templates"
    assert best("recompiling") == "kick"


def test_one_or_two_wrong_letters_are_forgiven():
    assert best("routng") == "routes"
    assert best("templtes") == "templates"
    assert best("isomorhpic go") == "go"  # a swap of two letters
    assert best("isomorphic aplicatoins") == "go"  # two letters off in a long word


def test_case_punctuation_and_word_order_do_not_matter():
    assert best("WHAT IS ISOMORPHIC GO???") == "go"
    assert best("go, isomorphic: what?") == "go"
    assert best("routes define I how do") == "routes"


def test_thesaurus_words_match_through_what_they_stand_for():
    assert best("client side navigation") == "routes"
    assert best("hot reload") == "kick"


def test_no_shared_word_means_no_match():
    assert best("the weather in Helsinki") is None
    assert best("") is None
    assert best("???") is None


def test_one_shared_word_in_a_question_about_something_else_is_not_a_match():
    # "server" is in two entries, but the question is mostly about other things.
    assert best("can I buy a dedicated server in Frankfurt for my family photos") is None


def test_scores_below_the_threshold_are_not_a_match():
    assert best("define routes", min_score=1.5) is None
    ranked = KnowledgeIndex(ITEMS, min_score=1.5).rank("define routes")
    assert ranked[0].key == "routes"


def test_rank_orders_best_first_and_limits():
    ranked = KnowledgeIndex(ITEMS).rank("render templates for web routes", limit=2)
    assert len(ranked) == 2
    assert ranked[0].score >= ranked[1].score
    assert {match.key for match in ranked} == {"templates", "routes"}


def test_an_empty_knowledge_base_matches_nothing():
    index = KnowledgeIndex([])
    assert len(index) == 0
    assert index.best_match("anything") is None
    assert index.rank("anything") == []


def test_stop_words_only_knowledge_matches_nothing():
    assert KnowledgeIndex([KnowledgeItem("x", "the and of", "it is")]).best_match("the") is None


def test_a_typo_is_corrected_but_an_english_word_never_becomes_another():
    index = KnowledgeIndex([KnowledgeItem("discord", "discord server bot", "Join our Discord.")])
    assert index.best_match("join the disocrd").key == "discord"  # a typo: no English word
    # "discount" is one letter from "discord", and a word of its own: it asks for a discount.
    assert index.rank("discount") == []
    assert index.knows("Discord") and not index.knows("discount")
