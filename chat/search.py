"""Finding conversations by the words of their messages (the console's search).

On PostgreSQL, full-text search. Every conversation keeps the words of its messages in a
tsvector column of its own row, ``search_vector``, which a trigger on chat_message fills
however a message is inserted (migration 0018), under a GIN index. The model never reads the
column: ``ConversationWords`` names it in queries. One row per conversation puts the words
beside the list's order and filters, so PostgreSQL either walks the list's index and tests
each row's words in place (a common word: the first page is found within a few hundred
rows) or goes through the GIN index first (a rare one); a column per message instead needed
a subquery per conversation, and took 700 ms over 100,000 conversations for a word no message
had, where this takes under 1 ms (benchmarks/console/bench_search.py).

The 'simple' configuration, not a language's: conversations are in English, German and
Spanish, often mixed (a German visitor's order number, the bot's English product names), and
what agents look for is names, order numbers, email addresses and product words. 'simple'
lower-cases words and keeps every one as written, in any language, where a language's
stemmer would mangle the other languages' words, drop their stop words, and need the
conversation's language at indexing time and every language's at search time. What stemming
gives, finding "shipping" by "ship", each word of a search gets by matching as a prefix
("ship" finds "shipped", "Versand" finds "Versandkosten", "envío" finds "envíos").

Other databases (SQLite, in development) have no such column: a search there is a plain,
case-insensitive substring match over the messages, word by word.
"""

from __future__ import annotations

from functools import reduce
from operator import and_

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connections
from django.db.models import Exists, Expression, OuterRef, QuerySet

from .models import Conversation, Message

CONFIG = "simple"
COLUMN = "search_vector"


class ConversationWords(Expression):
    """The words of the conversation a query is about (its rows' ``search_vector``)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.query.get_initial_alias()
        quoted = compiler.quote_name_unless_alias(table)
        return f"{quoted}.{connection.ops.quote_name(COLUMN)}", []


def prefix_query(term: str) -> str:
    """``term`` as a tsquery that finds the words it begins, however it is written: quoted
    (an operator in it is a character like any other) and parsed by 'simple' as a message
    is, so "e-mail" is found as the phrase "e-mail" and "anna@example.com" as the address.

    A number is also found after a hyphen: the parser reads "GG-482113" as "gg" and the
    negative number "-482113", and agents search an order number by its digits."""
    quoted = term.replace("\\", "\\\\").replace("'", "\\'")
    if term.isascii() and term.isdigit():
        return f"'{quoted}':* | '-{quoted}':*"
    return f"'{quoted}':*"


def conversations_with_words(
    conversations: QuerySet[Conversation], *, terms: tuple[str, ...]
) -> QuerySet[Conversation]:
    """Those of ``conversations`` whose messages (the chat's own notices left out) hold
    every one of ``terms``, each in any message."""
    if not terms:
        return conversations
    if connections[conversations.db].vendor == "postgresql":
        query = reduce(
            and_,
            (SearchQuery(prefix_query(term), config=CONFIG, search_type="raw") for term in terms),
        )
        return conversations.alias(words=ConversationWords()).filter(words=query)
    for term in terms:
        said = Message.objects.filter(conversation=OuterRef("pk"), text__icontains=term)
        conversations = conversations.filter(Exists(said.exclude(sender_role=Message.Role.SYSTEM)))
    return conversations
