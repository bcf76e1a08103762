import pytest

from benchmarks.privacy.purge import measure
from chat.models import Conversation

pytestmark = pytest.mark.django_db


def test_the_purge_is_timed_batch_by_batch():
    measured = measure(conversations=400, days=90, retention=30, batch_size=50)
    assert 150 < measured.due < 400
    assert measured.deleted["conversations"] == measured.due
    assert len(measured.batches) >= measured.due // 50
    assert Conversation.objects.count() == 400 - measured.due
    report = measured.report()
    assert report.startswith(f"400 conversations, {measured.due} past retention: purged in ")
    assert "a batch: median " in report
