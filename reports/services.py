"""What the reports write: the figures they keep of each conversation (a cache of what its
messages say, ``models.ConversationFigures``)."""

from __future__ import annotations

import hashlib

from django.db import connection, transaction

from . import queries, selectors
from .periods import Period

#: Where refreshes of the stored figures queue (PostgreSQL's advisory lock): two reports
#: computing the same rows at once would wait on each other's rows, in any order.
REFRESH_LOCK = 0x7265706F  # "repo"
#: Conversations computed by one statement: a parameter each, well under SQLite's limit.
COMPUTED_AT_ONCE = 1_000


def answerers_digest(bot_app_ids: list[int]) -> str:
    """The list of bot apps' users, as the figures keep it: when it changes, every figure is
    computed again (people and bot apps write alike, as agents)."""
    text = ",".join(str(user_id) for user_id in sorted(bot_app_ids))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def figures_refresh(*, period: Period) -> int:
    """Compute again the stored figures of the period's conversations that a message (or a
    change of bot apps) made stale, and those never computed: a report reads them next. How
    many it computed."""
    start_at, end_at = period.bounds()
    bot_app_ids = sorted(selectors.bot_app_ids())
    answerers = answerers_digest(bot_app_ids)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        sql, params = queries.stale_statement(start_at=start_at, end_at=end_at, answerers=answerers)
        stale = [conversation_id for (conversation_id,) in queries.run(sql, params)]
        for start in range(0, len(stale), COMPUTED_AT_ONCE):
            sql, params = queries.compute_statement(
                conversation_ids=stale[start : start + COMPUTED_AT_ONCE],
                bot_app_ids=bot_app_ids,
                answerers=answerers,
            )
            queries.write(sql, params)
    return len(stale)
