"""The test suite's settings: the site's own, with what only tests need.

Each pytest-xdist worker gets a Redis prefix of its own. Workers share one Redis; without a
prefix each, the servers two workers start for their browser tests (each on its own SQLite
database, both with a conversation 1) would share the channel layer's group
"chat.conversation.1", and one worker's visitor would get the other's replies; the
rate-limit counters and the webhook queue would be shared as well. The prefix is set in the
environment before the site's settings read it, and the servers the tests start inherit it.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and not os.environ.get("REDIS_PREFIX", "").endswith(f"-test-{_worker}"):
    os.environ["REDIS_PREFIX"] = f"{os.environ.get('REDIS_PREFIX', 'asgi')}-test-{_worker}"

from chatsite.settings import *  # noqa: E402, F403

# Tests make hundreds of users; PBKDF2's million rounds are for real passwords and would
# cost most of the suite's set-up. What is tested of logging in does not depend on the hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
