from bots.matching import KnowledgeIndex

DOCUMENTS = [
    ("go", "isomorphic go isomorphic go web applications"),
    ("routes", "perform routing web app register routes define routes"),
    ("templates", "render templates perform template rendering"),
]


def test_the_entry_sharing_the_rarest_words_wins():
    index = KnowledgeIndex(DOCUMENTS)
    assert index.best_match("How do I define routes?").key == "routes"
    assert index.best_match("how to render a template").key == "templates"


def test_case_and_punctuation_do_not_matter():
    index = KnowledgeIndex(DOCUMENTS)
    assert index.best_match("WHAT IS ISOMORPHIC GO???").key == "go"


def test_no_shared_word_means_no_match():
    index = KnowledgeIndex(DOCUMENTS)
    assert index.best_match("the weather in Helsinki") is None
    assert index.best_match("") is None


def test_scores_below_the_threshold_are_not_a_match():
    index = KnowledgeIndex(DOCUMENTS, min_score=0.99)
    assert index.best_match("define routes for my web app please") is None
    assert index.rank("define routes for my web app please")[0].key == "routes"


def test_rank_orders_best_first():
    ranked = KnowledgeIndex(DOCUMENTS).rank("perform template rendering or register routes")
    assert [match.score for match in ranked] == sorted(
        (match.score for match in ranked), reverse=True
    )
    assert {match.key for match in ranked} == {"templates", "routes"}


def test_an_empty_knowledge_base_matches_nothing():
    index = KnowledgeIndex([])
    assert len(index) == 0
    assert index.best_match("anything") is None


def test_stop_words_only_knowledge_matches_nothing():
    assert KnowledgeIndex([("x", "the and of")]).best_match("the") is None
