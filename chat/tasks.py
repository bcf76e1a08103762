"""The webhook queue's actor (Dramatiq), worked off by ``manage.py rundramatiq`` on Redis or
by the server's own worker without it (chat/worker.py).

Its options are constants: settings are read when a message is worked off, never when this
module is imported (django_dramatiq's ``rundramatiq`` imports it to find the actor).
"""

from __future__ import annotations

import dramatiq

from . import delivery

QUEUE = "webhooks"


# max_retries=0: an attempt that fails is retried by our own policy (chat.delivery), with
# the delay written on the delivery's row, not by Dramatiq's. Dramatiq's default time limit
# (10 minutes) stays: the POST has its own time-out, CHAT_WEBHOOK_TIMEOUT.
@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def webhook_deliver(delivery_id: int) -> None:
    delivery.delivery_attempt(delivery_id)
