"""`make bench-console` at CI's size (benchmarks/console/bench_search.py): every query it times
runs, finds what it should, and reports its plan, on whichever database the tests have."""

import pytest

from benchmarks.console import bench_search
from benchmarks.console.dataset import RARE_WORD, populate
from chat import listing
from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


def test_the_console_bench_times_every_query_of_the_list(settings):
    settings.CHAT_CONSOLE_PAGE_SIZE = 20
    # Seed 8 says the rare word in one of its 800 conversations.
    made = populate(conversations=800, days=30, agents=3, seed=8)
    timings = bench_search.measure(made, runs=2)

    by_name = {timing.name: timing for timing in timings}
    assert len(by_name) == len(bench_search.cases(made)) + 1
    for timing in timings:
        assert 0 < timing.median_ms <= timing.p95_ms
    for case in bench_search.cases(made):
        timing = by_name[case.name]
        # Every query but the live check shows its plan.
        assert timing.plan, case.name
        matching = Conversation.objects.filter(
            pk__in=[
                c.pk
                for c in selected(case.conversation_filter)
                if case.after is None or (c.last_message_at, c.pk) < astuple(case.after)
            ]
        )
        assert timing.rows == min(20, matching.count()), case.name
    # The rare word is rare, and the report says whether each page is within its target.
    rare = by_name[f"search, rare word ({RARE_WORD})"]
    said = Message.objects.filter(text__icontains=RARE_WORD)
    assert 0 < rare.rows == said.values("conversation").distinct().count() < 20
    text = bench_search.report(timings, conversations=800, runs=2, seconds=1.0)
    assert "first page" in text and "ms" in text


def astuple(cursor):
    return (cursor.last_message_at, cursor.id)


def selected(wanted: listing.ConversationFilter):
    """The conversations the filter admits, found the slow, obvious way."""
    terms = [term.lower() for term in wanted.terms]
    for conversation in Conversation.objects.prefetch_related("labels", "messages"):
        labels = {label.pk for label in conversation.labels.all()}
        texts = " ".join(
            m.text.lower() for m in conversation.messages.all() if m.sender_role != "system"
        )
        if wanted.labels and not set(wanted.labels) <= labels:
            continue
        if wanted.state and conversation.state != wanted.state:
            continue
        if wanted.agent == listing.NO_AGENT and conversation.assigned_agent_id is not None:
            continue
        if isinstance(wanted.agent, int) and conversation.assigned_agent_id != wanted.agent:
            continue
        if wanted.since and conversation.last_message_at < wanted.since:
            continue
        if wanted.until and conversation.last_message_at >= wanted.until:
            continue
        if any(term not in texts for term in terms):
            continue
        yield conversation
