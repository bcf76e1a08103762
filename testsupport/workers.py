"""A pytest plugin, loaded before Django's settings (``-p testsupport.workers`` in
pyproject.toml): each pytest-xdist worker gets a Redis prefix of its own.

Workers share one Redis. Without a prefix each, the servers two workers start for their
browser tests (each on its own SQLite database, both with a conversation 1) would share
the channel layer's group "chat.conversation.1", and one worker's visitor would get the
other's replies; the rate-limit counters and the webhook queue would be shared as well.
The settings read ``REDIS_PREFIX`` once, at import, and the servers inherit it.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    os.environ["REDIS_PREFIX"] = f"{os.environ.get('REDIS_PREFIX', 'asgi')}-test-{_worker}"
