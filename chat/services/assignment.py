"""Sharing the work: auto-assignment (ChatSettings.auto_assign, off by default).

A conversation waiting for a person goes to the agent present and accepting chats who answers
the fewest conversations, below their capacity (AgentStatus.capacity); of those answering as
many, to the one given none for longest, then to the lowest id; never back to the agent who
handed it back. When every agent is at capacity it waits; whenever capacity may have come free
(a conversation closed, handed back or passed on, an agent came online or accepts chats
again, a capacity raised, the business hours opened) the longest waiting goes first. Outside
business hours nothing is given: people are away. The agent is told as by a take: the
visitor reads who joined, consoles show the conversation as theirs, bot apps hear it was
taken.

Races are decided by the database. Each assignment is one short transaction that first locks
the one ChatSettings row (SELECT ... FOR UPDATE), so assignments happen one at a time, site
wide, in whichever process: each counts the agents' conversations after the one before it
committed, and two conversations arriving at once for one free place never both go to one
agent. The conversation itself changes by a conditional UPDATE, as a take does: an agent
taking it by hand meanwhile wins or loses cleanly, and no conversation is given twice.

Why not SKIP LOCKED on the waiting conversations, which would let processes assign in
parallel: an agent's capacity spans many rows, so parallel assigners would need the agents
locked as well, and a waiting conversation locked for another reason (the visitor's message
being stored) would be skipped, left waiting beside a free agent until something else
happened. Assignments are a few a minute even on a busy site; one at a time costs nothing.
Each locks one conversation at most, so it never deadlocks with a batch of visitors' messages
that locks several.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .. import events, selectors
from ..models import AgentStatus, ChatSettings, Conversation
from .base import State, _agent_joined_publish

#: Waiting conversations one assignment looks at, longest waiting first.
WAITING_LOOKED_AT = 20


def conversations_assign() -> list[tuple[int, int]]:
    """Give waiting conversations, longest waiting first, to agents with room, while there are
    both; the (conversation id, agent id) of each given. Nothing while auto-assignment is off.
    """
    if not selectors.auto_assign_enabled():
        return []
    assigned: list[tuple[int, int]] = []
    while (given := _assign_next()) is not None:
        assigned.append(given)
    return assigned


def _assign_next() -> tuple[int, int] | None:
    """Give the longest waiting conversation that an agent has room for to the agent with most
    room, in one transaction; what was given, or None when nothing can be."""
    with transaction.atomic():
        # One assignment at a time, site wide (see the module's docstring).
        if ChatSettings.objects.select_for_update().filter(auto_assign=True).first() is None:
            return None
        # A few: one an agent takes by hand meanwhile is passed over for the next, and so is
        # one only the agent who handed it back has room for.
        waiting = selectors.waiting_conversations(limit=WAITING_LOOKED_AT)
        if not waiting:
            return None
        # Within business hours only: outside them people are away, and those still there
        # take what still waits by hand.
        loads = [
            load
            for load in selectors.agent_loads(user_ids=selectors.available_agent_ids())
            if load.has_room
        ]
        for conversation_id, handed_back_by in waiting:
            others = [load for load in loads if load.user_id != handed_back_by]
            if not others:
                continue
            agent = min(others, key=lambda load: load.rank())
            given = Conversation.objects.filter(
                pk=conversation_id, state=State.WAITING, assigned_agent__isnull=True
            ).update(state=State.AGENT, assigned_agent_id=agent.user_id, bot_misses=0)
            if given:
                AgentStatus.objects.filter(user_id=agent.user_id).update(
                    last_assigned_at=timezone.now()
                )
                user = get_user_model().objects.select_related("chat_agent").get(pk=agent.user_id)
                _agent_joined_publish(conversation_id, user, assigned=True)
                return conversation_id, agent.user_id
    return None


def assignment_follow(announced: Sequence[events.Event]) -> None:
    """A subscriber of ``chat.events``: after a change that may have made a conversation wait
    or given an agent room (who answers changed, or who is present), assign once it is
    committed. Its own assignments (takes) change nobody's room for the better."""
    if any(
        (
            isinstance(event, events.ConversationChanged)
            and not isinstance(event, events.ConversationTaken)
        )
        or isinstance(event, events.PresenceChanged)
        for event in announced
    ):
        # robust: the change is made whatever happens here; the next one, or the presence
        # sweep (chat.presence), assigns what this could not.
        transaction.on_commit(conversations_assign, robust=True)
