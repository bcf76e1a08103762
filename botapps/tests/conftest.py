# The chat's fixtures (staff, visitors' sessions, captured real-time events): bot apps take
# part in the chat's conversations, so their tests set the scene the same way.
from chat.tests.conftest import (  # noqa: F401
    anna,
    ben,
    bot_off,
    events,
    session_key,
    sidekick_default,
)
