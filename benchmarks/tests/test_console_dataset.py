import pytest

from benchmarks.console.dataset import (
    LABELS,
    RARE_WORD,
    populate,
    unanswered_questions_populate,
)
from bots.models import UnansweredQuestion
from chat.models import Conversation, ConversationLabel, LeftMessage, Message

pytestmark = pytest.mark.django_db


def test_the_made_up_history_is_shaped_like_a_shop_s_chat():
    made = populate(conversations=300, days=30, agents=3, seed=7)
    assert Conversation.objects.count() == 300
    assert Message.objects.count() == made.messages > 300 * 3
    handed = Conversation.objects.filter(assigned_agent__isnull=False)
    assert 0 < handed.count() < 300
    # A person's answers come from the person who holds the conversation.
    for message in Message.objects.filter(sender_role="agent")[:50]:
        assert message.sender_user_id == message.conversation.assigned_agent_id
    assert Conversation.objects.filter(rating_score__isnull=False).exists()
    assert set(Conversation.objects.values_list("state", flat=True)) == {
        "bot",
        "waiting",
        "agent",
        "closed",
    }
    # Filed as a team would: often under the common labels, rarely under the rare one.
    assert set(made.labels) == {name for name, _color, _share in LABELS}
    filed = ConversationLabel.objects.filter(label_id=made.labels["Shipping"]).count()
    assert 20 < filed < 80
    assert ConversationLabel.objects.filter(label_id=made.labels["VIP"]).count() < 10
    # The long tail of words a history has, and one rare word.
    assert Message.objects.filter(text__startswith="My order GG-").exists()
    assert Message.objects.filter(text__contains="@example.org").exists()
    assert Message.objects.filter(text__contains=RARE_WORD).count() < 10
    assert set(Conversation.objects.values_list("language", flat=True)) == {"", "de", "es"}
    # A few visitors nobody from the team answered left a message, from their conversation.
    assert 0 < LeftMessage.objects.count() == made.left_messages < 30
    for left in LeftMessage.objects.select_related("conversation")[:20]:
        assert left.session_key == left.conversation.session_key
        assert left.conversation.assigned_agent_id is None
    # The same seed, the same history.
    again = populate(conversations=300, days=30, agents=3, seed=7)
    assert (again.messages, again.left_messages) == (made.messages, made.left_messages)


def test_the_bot_s_unanswered_questions_made_up():
    assert unanswered_questions_populate(questions=50, days=30, seed=2) == 50
    questions = UnansweredQuestion.objects.all()
    assert questions.count() == 50
    assert len({question.key for question in questions}) == 50
    assert all(q.count >= 1 and q.first_asked <= q.last_asked for q in questions)
    assert questions.filter(count__gt=1).exists()
