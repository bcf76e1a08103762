"""The periodic tasks, where ``manage.py rundramatiq`` finds them (django_dramatiq imports each
app's ``tasks`` module) and where ``manage.py crontab`` (dramatiq-crontab, the ``scheduler``
service) reads their times: it sends each its message then, and a worker runs it.

Times are the site's TIME_ZONE (UTC). Without Redis there is no queue for another process to
send to: a cron job runs ``manage.py purge_chat_data`` instead (README, "Visitors' data").
"""

from __future__ import annotations

import logging

import dramatiq
from dramatiq_crontab import cron

from . import selectors, services

logger = logging.getLogger(__name__)

QUEUE = "maintenance"
# A purge of a backlog (the first night after retention is switched on) takes minutes; it is
# not cut short at Dramatiq's default ten.
PURGE_TIME_LIMIT_MS = 60 * 60 * 1000


# max_retries=0: a purge that failed (the database was restarting, say) is simply done again
# the next night, or the next hour for sessions; a retry would only pile onto the next.
@cron("17 3 * * *")
@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=PURGE_TIME_LIMIT_MS)
def chat_data_purge() -> None:
    """Every night: what is past CHAT_RETENTION_DAYS, and the expired sessions."""
    purged = services.chat_data_purge()
    sessions = services.sessions_clear_expired()
    logger.info(
        "Purged past retention (%s): %s; expired sessions: %d",
        f"{purged.retention_days} days" if purged.retention_days else "off",
        ", ".join(selectors.in_words(purged.deleted)) or "nothing",
        sessions,
    )


@cron("7 * * * *")
@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=PURGE_TIME_LIMIT_MS)
def sessions_clear() -> None:
    """Every hour: the expired sessions (one starts whenever a visitor opens the chat)."""
    logger.info("Expired sessions cleared: %d", services.sessions_clear_expired())
