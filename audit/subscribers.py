"""Staff's actions on conversations, heard from ``chat.events`` and written to the audit log
in the transaction of the change (an entry that cannot be written undoes the action, as an
error in any subscriber does): nothing in the chat calls the audit log, or knows of it."""

from __future__ import annotations

from collections.abc import Sequence

from chat import events

from .models import Entry
from .services import entry_record, user_name

Action = Entry.Action


def announce(announced: Sequence[events.Event]) -> None:
    for event in announced:
        match event:
            case events.ConversationTaken(
                conversation_id=conversation_id, agent_id=agent_id, assigned=True
            ):
                # Nobody took it: the site gave it to the agent.
                entry_record(
                    action=Action.AUTO_ASSIGNED,
                    conversation_id=conversation_id,
                    detail={"to_user_id": agent_id, "to_name": user_name(agent_id)},
                )
            case events.ConversationTaken(conversation_id=conversation_id, agent_id=agent_id):
                entry_record(
                    action=Action.TAKEN, actor_user_id=agent_id, conversation_id=conversation_id
                )
            case events.ConversationTransferred(
                conversation_id=conversation_id, agent_id=agent_id, to_agent_id=to_agent_id
            ):
                entry_record(
                    action=Action.TRANSFERRED,
                    actor_user_id=agent_id,
                    conversation_id=conversation_id,
                    detail={"to_user_id": to_agent_id, "to_name": user_name(to_agent_id)},
                )
            case events.ConversationHandedBack(conversation_id=conversation_id, agent_id=agent_id):
                entry_record(
                    action=Action.HANDED_BACK,
                    actor_user_id=agent_id,
                    conversation_id=conversation_id,
                )
            case events.ConversationClosed(conversation_id=conversation_id, agent_id=int(agent_id)):
                # Staff's closing; the visitor's own ending (no agent) is not staff's action.
                entry_record(
                    action=Action.CLOSED, actor_user_id=agent_id, conversation_id=conversation_id
                )
