"""The periodic tasks: the scheduler (``manage.py crontab``) knows their times, and a real
Dramatiq worker runs what it sends."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dramatiq
import pytest
import yaml
from apscheduler.triggers.cron import CronTrigger
from django.contrib.sessions.models import Session
from django.utils import timezone
from dramatiq.brokers.redis import RedisBroker
from dramatiq_crontab import scheduler

from audit.models import Entry
from chat.models import Conversation
from privacy import tasks

from .conftest import conversation

DAY = timedelta(days=1)
ROOT = Path(__file__).resolve().parents[2]


def job(actor: dramatiq.Actor):
    (found,) = [job for job in scheduler.get_jobs() if job.name == actor.actor_name]
    return found


def next_runs(trigger: CronTrigger, count: int) -> list[datetime]:
    """When the scheduler would send the task next, ``count`` times from a day in March."""
    runs, now = [], datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    for _ in range(count):
        now = trigger.get_next_fire_time(None, now)
        runs.append(now)
        now += timedelta(seconds=1)
    return runs


def test_the_purge_is_sent_every_night_and_sessions_are_cleared_every_hour():
    purge = job(tasks.chat_data_purge)
    assert purge.func == tasks.chat_data_purge.send
    assert isinstance(purge.trigger, CronTrigger)
    nights = next_runs(purge.trigger, 2)
    assert [(run.hour, run.minute) for run in nights] == [(3, 17), (3, 17)]
    assert nights[1] - nights[0] == DAY
    hours = next_runs(job(tasks.sessions_clear).trigger, 3)
    assert [run.minute for run in hours] == [7, 7, 7]
    assert hours[2] - hours[0] == timedelta(hours=2)


def test_both_are_on_the_maintenance_queue_and_are_not_retried():
    for actor in (tasks.chat_data_purge, tasks.sessions_clear):
        assert actor.queue_name == tasks.QUEUE
        assert actor.options["max_retries"] == 0
        assert actor.options["time_limit"] == tasks.PURGE_TIME_LIMIT_MS


@pytest.fixture
def worker(monkeypatch):
    """A real dramatiq.Worker on the configured broker (the StubBroker, or Redis when
    REDIS_URL is set), on the maintenance queue, in a Redis namespace of its own; one
    thread, as the in-memory SQLite test database allows one writer."""
    broker = dramatiq.get_broker()
    namespace = f"test-maintenance-{uuid.uuid4().hex}"
    if isinstance(broker, RedisBroker):
        monkeypatch.setattr(broker, "namespace", namespace)
    broker.flush_all()
    worker_ = dramatiq.Worker(broker, queues={tasks.QUEUE}, worker_threads=1, worker_timeout=100)
    worker_.start()
    yield worker_
    worker_.stop(timeout=10_000)
    broker.flush_all()
    if isinstance(broker, RedisBroker):
        keys = list(broker.client.scan_iter(f"{namespace}*"))
        if keys:
            broker.client.delete(*keys)


def settled(worker_: dramatiq.Worker, timeout: float = 30) -> None:
    """Wait until the queue is empty (on Redis: fetched by the worker), then until the worker
    has done what it fetched."""
    worker_.broker.join(tasks.QUEUE, timeout=int(timeout * 1000))
    done = threading.Thread(target=worker_.join, daemon=True)
    done.start()
    done.join(timeout)
    assert not done.is_alive(), f"the worker was still busy after {timeout} s"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_message_the_scheduler_sends_purges_through_a_worker(settings, worker):
    settings.CHAT_RETENTION_DAYS = 30
    old = conversation("o" * 32, ("visitor", "long ago"), ago=31 * DAY)
    kept = conversation("k" * 32, ("visitor", "lately"), ago=DAY)
    Session.objects.create(session_key="e" * 32, session_data="", expire_date=timezone.now() - DAY)

    job(tasks.chat_data_purge).func()  # what the scheduler calls at 03:17
    settled(worker)

    assert list(Conversation.objects.all()) == [kept]
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert not Session.objects.filter(pk="e" * 32).exists()
    assert Entry.objects.get().action == "purged"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_hourly_message_clears_expired_sessions_through_a_worker(worker):
    Session.objects.create(session_key="e" * 32, session_data="", expire_date=timezone.now() - DAY)
    Session.objects.create(session_key="f" * 32, session_data="", expire_date=timezone.now() + DAY)

    job(tasks.sessions_clear).func()
    settled(worker)

    assert list(Session.objects.values_list("pk", flat=True)) == ["f" * 32]


def test_docker_compose_runs_one_scheduler_beside_the_worker_and_no_other_clearing():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["scheduler"]["command"] == ["python", "manage.py", "crontab", "--no-heartbeat"]
    assert services["scheduler"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert "deploy" not in services["scheduler"]  # one replica
    # The worker runs every queue, the maintenance queue with the webhooks.
    assert services["worker"]["command"][:3] == ["python", "manage.py", "rundramatiq"]
    assert "--queues" not in services["worker"]["command"]
    # The hourly clearsessions loop it replaces is gone.
    assert not any("clearsessions" in str(service) for service in services.values())
