"""chat/ratelimit.py's WindowLimit: uses counted in the shared cache, atomically, per window.

(Apart from test_ratelimit.py, whose socket tests all run on an event loop and a
transactional database, which these need neither of.)
"""

import threading
import types
import uuid

import pytest

from chat.ratelimit import Refused, Taken, WindowLimit


@pytest.fixture
def clock(monkeypatch):
    """The time WindowLimit reads: 10:00:00 UTC of some day, moved by ``clock.now += …``."""
    fake = types.SimpleNamespace(now=1_767_261_600.0)  # an hour's start
    monkeypatch.setattr("chat.ratelimit.time", types.SimpleNamespace(time=lambda: fake.now))
    return fake


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    """The cache the limits count in: each worker's own memory, or Redis (REDIS_URL)."""
    if request.param == "locmem":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"limits-{uuid.uuid4().hex}",
            }
        }
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": request.getfixturevalue("redis_url"),
                "KEY_PREFIX": f"test-limits-{uuid.uuid4().hex}",
            }
        }
    return request.param


def thing() -> str:
    return f"visitor-{uuid.uuid4().hex}"


def test_uses_are_taken_up_to_the_limit_then_refused_until_the_window_ends(shared_cache, clock):
    limit = WindowLimit("test", limit=3, seconds=3600)
    visitor = thing()
    clock.now += 600  # 10:10
    assert all(isinstance(limit.take(visitor), Taken) for _ in range(3))
    refused = limit.take(visitor)
    assert refused == Refused(retry_after=3000)  # the hour ends at 11:00
    # Another visitor has a limit of their own.
    assert isinstance(limit.take(thing()), Taken)
    clock.now += 2999.5
    assert limit.take(visitor) == Refused(retry_after=1)  # never 0: a client would spin
    clock.now += 0.5  # 11:00, a new window
    assert isinstance(limit.take(visitor), Taken)


def test_a_refusal_counts_nothing_and_a_use_given_back_is_free_again(shared_cache, clock):
    limit = WindowLimit("test", limit=2, seconds=60)
    visitor = thing()
    first = limit.take(visitor)
    limit.take(visitor)
    for _ in range(5):
        assert isinstance(limit.take(visitor), Refused)
    limit.give_back(first)
    assert isinstance(limit.take(visitor), Taken)  # the refusals were not counted
    assert isinstance(limit.take(visitor), Refused)


def test_giving_back_a_use_of_a_window_that_is_over_is_harmless(shared_cache, clock):
    limit = WindowLimit("test", limit=1, seconds=60)
    visitor = thing()
    taken = limit.take(visitor)
    clock.now += 60
    assert isinstance(limit.take(visitor), Taken)
    limit.give_back(taken)  # the old window's count; the new one is untouched
    assert isinstance(limit.take(visitor), Refused)


def test_the_same_thing_in_two_scopes_is_counted_apart(shared_cache, clock):
    visitor = thing()
    assert isinstance(WindowLimit("a", limit=1, seconds=60).take(visitor), Taken)
    assert isinstance(WindowLimit("b", limit=1, seconds=60).take(visitor), Taken)
    assert isinstance(WindowLimit("a", limit=1, seconds=60).take(visitor), Refused)


def test_requests_at_once_never_take_more_than_the_limit(shared_cache):
    limit = WindowLimit("test", limit=5, seconds=3600)
    visitor = thing()
    outcomes = []
    start = threading.Barrier(20)

    def request() -> None:
        start.wait()
        outcomes.append(limit.take(visitor))

    threads = [threading.Thread(target=request) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(outcomes) == 20
    assert sum(isinstance(outcome, Taken) for outcome in outcomes) == 5


def test_the_cache_holds_no_address(shared_cache):
    from django.core.cache import cache

    taken = WindowLimit("test", limit=1, seconds=60).take("ann@example.org")
    assert "ann" not in taken.key and "example" not in taken.key
    assert cache.get(taken.key) == 1


def test_a_cache_that_keeps_nothing_limits_nothing(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    limit = WindowLimit("test", limit=1, seconds=60)
    assert all(isinstance(limit.take("someone"), Taken) for _ in range(3))
