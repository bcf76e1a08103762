"""chat/migrations: what a migration does to the rows it finds."""

import pytest

from chat import search
from testsupport.harness import require_postgresql
from testsupport.migrations import migrate, migrated_back

BEFORE_READ_AND_RATING = [("chat", "0011_bot_apps_move_to_botapps")]
READ_AND_RATING = [("chat", "0012_conversation_read_and_rating")]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_open_conversations_are_read_through_their_newest_message():
    with migrated_back(BEFORE_READ_AND_RATING) as old_apps:
        Conversation = old_apps.get_model("chat", "Conversation")
        Message = old_apps.get_model("chat", "Message")
        talking = Conversation.objects.create(session_key="t" * 32)
        for text in ("Hi there!", "What is kick?", "Kick is a tool."):
            newest = Message.objects.create(
                conversation=talking, sender_role="bot", sender_name="Case", text=text
            )
        silent = Conversation.objects.create(session_key="s" * 32)
        closed = Conversation.objects.create(
            session_key="c" * 32, state="closed", closed_at="2026-01-01T00:00Z"
        )
        Message.objects.create(conversation=closed, sender_role="bot", sender_name="Case", text="x")

        new_apps = migrate(READ_AND_RATING)

        Conversation = new_apps.get_model("chat", "Conversation")
        read = dict(Conversation.objects.values_list("pk", "visitor_read_through_id"))
        assert read == {talking.pk: newest.pk, silent.pk: None, closed.pk: None}
        assert not Conversation.objects.filter(rating_score__isnull=False).exists()


BEFORE_LABELS_AND_SEARCH = [("chat", "0014_conversation_language")]
LABELS_AND_SEARCH = [("chat", "0018_labels_and_search")]


def test_conversations_of_before_the_search_are_found_by_their_words():
    require_postgresql()
    with migrated_back(BEFORE_LABELS_AND_SEARCH) as old_apps:
        Conversation = old_apps.get_model("chat", "Conversation")
        Message = old_apps.get_model("chat", "Message")
        talked = Conversation.objects.create(session_key="t" * 32)
        for role, text in [("visitor", "Is the hoodie washable?"), ("system", "Anna joined")]:
            Message.objects.create(
                conversation=talked, sender_role=role, sender_name=role, text=text
            )
        silent = Conversation.objects.create(session_key="s" * 32)

        new_apps = migrate(LABELS_AND_SEARCH)

        Conversation = new_apps.get_model("chat", "Conversation")

        def found(*terms):
            matching = search.conversations_with_words(Conversation.objects.all(), terms=terms)
            return set(matching.values_list("pk", flat=True))

        assert found("hoodie") == {talked.pk}
        assert found("joined") == set()
        assert silent.pk not in found("hoodie")
        # And what is said from now on.
        Message = new_apps.get_model("chat", "Message")
        Message.objects.create(
            conversation_id=silent.pk, sender_role="visitor", sender_name="V", text="kaleidoscope"
        )
        assert found("kaleidoscope") == {silent.pk}
