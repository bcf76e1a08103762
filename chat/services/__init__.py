"""Writes of the chat: every change to conversations and messages happens here, one module a
seam. Callers use ``chat.services.<name>``; this lists what each module offers.

- ``base``: the refusals (``ChatActionError`` and its kinds), ``VisitorPost``, and the steps
  every change shares.
- ``conversations``: opening a visitor's conversation, its sockets, what the visitor has
  read, left messages.
- ``questions``: visitors' questions and the bot's answers, in batches.
- ``messages``: what agents write, and typing.
- ``handover``: who answers: asking for a person, take, hand back, transfer, close (staff),
  end (the visitor), side-kick.
- ``notes``: staff's private notes in a conversation, which visitors never see.
- ``ratings``: the visitor's rating of a closed chat.
- ``labels``: labels on conversations, put on and taken off by agents.
- ``presence``: staff consoles, whether agents accept chats, and the business hours
  opening or closing.
- ``assignment``: auto-assignment, giving waiting conversations to agents with room.
- ``transcripts``: a visitor's conversation by email, within its limits.
"""

from .assignment import assignment_follow, conversations_assign
from .base import (
    NOBODY_AVAILABLE,
    NOT_YOURS_TO_WRITE,
    SYSTEM_NAME,
    TAKEABLE,
    VISITOR_NAME,
    AgentUnavailable,
    AlreadyRated,
    ChatActionError,
    ConversationClosed,
    ConversationNotClosed,
    ConversationNotFound,
    ConversationNotOpen,
    ConversationTaken,
    IdempotencyConflict,
    LabelNotFound,
    MessageNotFound,
    NotYourConversation,
    State,
    VisitorPost,
)
from .conversations import (
    conversation_open,
    conversation_read_mark,
    conversation_socket_close,
    left_message_create,
)
from .handover import (
    VISITOR_ENDED,
    conversation_close,
    conversation_end,
    conversation_hand_back,
    conversation_hand_to_people,
    conversation_request_person,
    conversation_set_sidekick,
    conversation_take,
    conversation_transfer,
)
from .labels import conversation_label_set, labels_publish
from .messages import (
    agent_message_post,
    agent_typing,
    visitor_typing,
)
from .notes import NotePost, NotStaff, note_create
from .presence import (
    agent_accepting_set,
    agent_client_remove,
    agent_client_renew,
    agent_clients_sweep,
    business_hours_turned,
    client_save,
    presence_publish,
)
from .questions import (
    BOT_MISSES_BEFORE_HANDOFF,
    VisitorQuestion,
    bot_suggestion_post,
    visitor_message_post,
    visitor_messages_post,
)
from .ratings import conversation_rate
from .transcripts import (
    TranscriptNotSent,
    TranscriptRateLimited,
    transcript_send,
)

__all__ = [
    "AgentUnavailable",
    "AlreadyRated",
    "BOT_MISSES_BEFORE_HANDOFF",
    "ChatActionError",
    "ConversationClosed",
    "ConversationNotClosed",
    "ConversationNotFound",
    "ConversationNotOpen",
    "ConversationTaken",
    "IdempotencyConflict",
    "LabelNotFound",
    "MessageNotFound",
    "NOBODY_AVAILABLE",
    "NOT_YOURS_TO_WRITE",
    "NotePost",
    "NotStaff",
    "NotYourConversation",
    "SYSTEM_NAME",
    "State",
    "TAKEABLE",
    "TranscriptNotSent",
    "TranscriptRateLimited",
    "VISITOR_ENDED",
    "VISITOR_NAME",
    "VisitorPost",
    "VisitorQuestion",
    "agent_accepting_set",
    "agent_client_remove",
    "agent_client_renew",
    "agent_clients_sweep",
    "agent_message_post",
    "agent_typing",
    "assignment_follow",
    "bot_suggestion_post",
    "business_hours_turned",
    "client_save",
    "conversation_close",
    "conversation_end",
    "conversation_hand_back",
    "conversation_hand_to_people",
    "conversation_label_set",
    "conversation_open",
    "conversation_rate",
    "conversation_read_mark",
    "conversation_request_person",
    "conversation_set_sidekick",
    "conversation_socket_close",
    "conversation_take",
    "conversation_transfer",
    "conversations_assign",
    "labels_publish",
    "left_message_create",
    "note_create",
    "presence_publish",
    "transcript_send",
    "visitor_message_post",
    "visitor_messages_post",
    "visitor_typing",
]
