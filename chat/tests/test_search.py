"""chat/search.py on PostgreSQL: full-text search over each conversation's words, which the
trigger of migration 0016 keeps however messages are inserted. (What every database does
alike, the console's list finding conversations by words, is in test_selectors.py.)"""

import uuid

import pytest
from django.db import connection

from chat import search
from chat.models import Conversation, Message
from testsupport.harness import require_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql(db):
    require_postgresql()


def conversation(*said, role="visitor"):
    made = Conversation.objects.create(session_key=uuid.uuid4().hex)
    for text in said:
        Message.objects.create(conversation=made, sender_role=role, sender_name=role, text=text)
    return made


def found(*terms):
    return set(
        search.conversations_with_words(Conversation.objects.all(), terms=terms).values_list(
            "pk", flat=True
        )
    )


def words_of(made):
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM chat_conversation WHERE id = %s", [made.pk])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("said", "term"),
    [
        # Each word is the start of words: what stemming would give, in every language.
        ("When is it shipping?", "ship"),
        ("Die Versandkosten nach Berlin?", "Versand"),
        ("¿Hacen envíos a España?", "envío"),
        ("Über die Größe", "über"),
        ("ÜBER DIE GRÖSSE", "Über"),
        # Written as agents copy them: addresses, order numbers, hyphenated words.
        ("Write to anna.k@example.org please", "anna.k@example.org"),
        ("Order GG-482113 has not arrived", "GG-482113"),
        ("Order GG-482113 has not arrived", "482113"),
        ("Order #482113 has not arrived", "482113"),
        ("My e-mail bounced", "e-mail"),
        ("My e-mail bounced", "mail"),
    ],
)
def test_a_word_finds_the_words_it_begins_in_any_language(said, term):
    made = conversation(said)
    assert found(term) == {made.pk}


def test_a_word_found_nowhere_is_not_found_and_words_are_not_their_middles():
    conversation("The coffee mug", "Shipping to Germany")
    assert found("offee") == set()
    assert found("mugs") == set()
    assert found("ship", "xylophone") == set()


def test_every_word_must_be_there_in_any_of_the_messages():
    both = conversation("Can I return the hoodie?", "Here is your refund.")
    one = conversation("The hoodie is too small")
    assert found("hoodie", "refund") == {both.pk}
    assert found("hoodie") == {both.pk, one.pk}


def test_messages_inserted_any_way_are_searchable_and_the_chat_s_notices_are_not():
    single = conversation("kaleidoscope")
    other = Conversation.objects.create(session_key=uuid.uuid4().hex)
    # One INSERT of several conversations' messages (as a batch of visitors' questions is).
    Message.objects.bulk_create(
        [
            Message(conversation=single, sender_role="bot", sender_name="Case", text="periscope"),
            Message(conversation=other, sender_role="agent", sender_name="Anna", text="telescope"),
            Message(conversation=other, sender_role="system", sender_name="Chat", text="joined"),
        ]
    )
    assert found("kaleidoscope", "periscope") == {single.pk}
    assert found("telescope") == {other.pk}
    assert found("joined") == set()
    assert "joined" not in words_of(other)


def test_a_conversation_s_words_stop_growing_before_they_are_too_many_to_store():
    # A tsvector holds at most 1 MB: a visitor pasting tens of thousands of different words
    # must not make their next message fail. 30 batches of 2,000 new words each.
    chatty = conversation()
    for batch in range(30):
        Message.objects.bulk_create(
            Message(
                conversation=chatty,
                sender_role="visitor",
                sender_name="Visitor",
                text=" ".join(f"w{batch:02d}x{n:04d}{'y' * 20}" for n in range(n0, n0 + 250)),
            )
            for n0 in range(0, 2000, 250)
        )
    Message.objects.create(
        conversation=chatty, sender_role="visitor", sender_name="Visitor", text="kaleidoscope"
    )
    assert 400_000 < len(words_of(chatty)) < 500_000
    assert found("w00x0000") == {chatty.pk}
    assert found("w29x0000") == set()
    # Stored all the same.
    assert Message.objects.filter(conversation=chatty).count() == 30 * 8 + 1


def test_a_term_is_quoted_so_that_nothing_in_it_is_an_operator():
    assert search.prefix_query("hoodie") == "'hoodie':*"
    assert search.prefix_query("it's") == "'it\\'s':*"
    assert search.prefix_query("a\\b") == "'a\\\\b':*"
    assert search.prefix_query("482113") == "'482113':* | '-482113':*"
    conversation("It's a|b, not !mug")
    for term in ("it's", "a|b", "!mug", "(mug)", "mug:*", "&", "<->"):
        found(term)  # no syntax error, whatever is found
