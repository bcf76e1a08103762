"""The webhook queue's actor, where ``manage.py rundramatiq`` looks for it (django_dramatiq
imports each app's ``tasks`` module). It is defined beside what it runs and what sends it
messages, in botapps.delivery; it is worked off by rundramatiq on Redis or by the server's own
worker without it (botapps/worker.py).
"""

from .delivery import QUEUE, webhook_deliver

__all__ = ["QUEUE", "webhook_deliver"]
