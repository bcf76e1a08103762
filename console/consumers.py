"""The staff console's socket: decode a staff member's command, call one of the chat's
services or selectors (or the console's own, for what only the console keeps: how far the
agent has seen each conversation), send. What the chat announces reaches it through the
groups it joins: the staff inbox, and the one conversation it has open.

The console lists conversations through a filter of its own (chat.listing): every row that
changes still reaches it, for its alerts and its open conversation, marked with whether it
belongs in its list (``listed``)."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from channels.db import database_sync_to_async

from chat import conf, groups, listing, presence, protocol, selectors, services
from chat.consumers import FrameConsumer

from . import selectors as console_selectors
from . import services as console_services

FORBIDDEN_CLOSE_CODE = 4003

# Frames about the one conversation a console has open.
OPEN_CONVERSATION_TYPES = frozenset({"message", "suggestion", "typing", "note"})


class AgentConsoleConsumer(FrameConsumer):
    """A staff console: the live conversation list, one open conversation, presence."""

    open_conversation: int | None = None
    # What the console's list shows, and the conversations known to hold its words: a
    # conversation's messages are never taken back, so one that held them holds them still.
    list_filter: listing.ConversationFilter = listing.EVERYTHING
    words_found: set[int]

    def wanted(self, frame: dict[str, Any]) -> bool:
        # Events of a conversation the console has just closed may still be on their way.
        if (
            frame.get("type") in OPEN_CONVERSATION_TYPES
            and frame.get("conversation", self.open_conversation) != self.open_conversation
        ):
            return False
        if frame.get("type") == "note" and frame.get("id") in self.replayed:
            return False  # shown with the history already
        return super().wanted(frame)

    async def connect(self) -> None:
        presence.ensure_sweeping()
        self.words_found = set()
        await self.accept()
        self.user = await database_sync_to_async(selectors.chat_agent)(self.scope.get("user"))
        if self.user is None:
            await self.send_frame(
                protocol.error_frame(
                    "forbidden", "Log in as staff with the permission to chat with visitors."
                )
            )
            await self.close(code=FORBIDDEN_CLOSE_CODE)
            return
        if not await self.join_or_refuse(
            groups.connection_group(self.channel_name), groups.staff_inbox_group()
        ):
            return
        self.client_key = uuid.uuid4().hex
        snapshot = await database_sync_to_async(self._register)()
        for frame in snapshot:
            await self.send_frame(frame)

    def _register(self) -> list[dict[str, Any]]:
        services.agent_client_renew(user=self.user, key=self.client_key)
        page = selectors.conversation_page()
        # This agent's own: how far they have seen each conversation, for its unread count.
        seen = console_selectors.seen_counts(
            user=self.user, conversation_ids=[c["id"] for c in page.conversations]
        )
        return [
            {
                "type": "hello",
                "me": {"id": self.user.pk, **selectors.agent_identity(self.user)},
                "accepting": selectors.agent_accepting(user=self.user),
                "heartbeat_seconds": conf.get("CHAT_PRESENCE_EXPIRES_IN") // 3,
            },
            {"type": "presence", "agents": selectors.agent_presence()},
            {
                **protocol.conversations_frame(
                    conversations=page.conversations,
                    conversation_filter=listing.EVERYTHING,
                    after=None,
                    next_page=page.next_page,
                ),
                "seen": {str(id_): count for id_, count in seen.items()},
            },
            {"type": "filters", **selectors.filter_choices()},
        ]

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "client_key"):
            await database_sync_to_async(services.agent_client_remove)(key=self.client_key)

    decode_frame = staticmethod(protocol.decode_agent_frame)

    async def handle(self, command: protocol.AgentCommand) -> None:
        if command.action == "open":
            await self.open(command.conversation_id)
            return
        if command.action == "list":
            await self.list_page(command)
            return
        try:
            acknowledgement = await database_sync_to_async(self._perform)(command)
        except services.ChatActionError as error:
            frame = protocol.error_frame(error.code, error.detail, client_id=command.client_id)
            await self.send_frame({**frame, "conversation": command.conversation_id})
            return
        if acknowledgement is not None:
            await self.send_frame(acknowledgement)

    def _perform(self, command: protocol.AgentCommand) -> dict[str, Any] | None:
        """Carry out the command; the frame that answers this console alone, if any: a
        resent message or note, acknowledged as stored the first time."""
        user, conversation_id = self.user, command.conversation_id
        match command.action:
            case "heartbeat":
                services.agent_client_renew(user=user, key=self.client_key)
            case "accepting":
                services.agent_accepting_set(user=user, accepting=command.active)
            case "take":
                services.conversation_take(conversation_id=conversation_id, user=user)
            case "message":
                post = services.agent_message_post(
                    conversation_id=conversation_id,
                    user=user,
                    text=command.text,
                    client_id=command.client_id,
                    suggestion=command.suggestion,
                )
                if post.duplicate:
                    message = post.message
                    return {**protocol.message_frame(message), "conversation": conversation_id}
            case "note":
                written = services.note_create(
                    conversation_id=conversation_id,
                    user=user,
                    text=command.text,
                    client_id=command.client_id,
                )
                if written.duplicate:
                    return protocol.note_frame(written.note)
            case "seen":
                console_services.conversation_seen(
                    user=user,
                    conversation_id=conversation_id,
                    visitor_messages=command.visitor_messages,
                )
            case "typing":
                services.agent_typing(
                    conversation_id=conversation_id, user=user, active=command.active
                )
            case "hand_back":
                services.conversation_hand_back(conversation_id=conversation_id, user=user)
            case "transfer":
                services.conversation_transfer(
                    conversation_id=conversation_id, user=user, to_user_id=command.agent_id
                )
            case "close":
                services.conversation_close(conversation_id=conversation_id, user=user)
            case "sidekick":
                services.conversation_set_sidekick(
                    conversation_id=conversation_id, user=user, active=command.active
                )
            case "label":
                services.conversation_label_set(
                    conversation_id=conversation_id,
                    label_id=command.label_id,
                    user=user,
                    active=command.active,
                )
        return None

    async def open(self, conversation_id: int) -> None:
        """Show one conversation: its history, then its live messages and suggestions."""
        summary = await database_sync_to_async(selectors.conversation_summary_get)(
            conversation_id=conversation_id
        )
        if summary is None:
            # The conversation on screen stays open and live.
            await self.send_frame(
                {
                    **protocol.error_frame("not_found", "There is no such conversation."),
                    "conversation": conversation_id,
                }
            )
            return
        if self.open_conversation is not None:
            await self.leave(groups.conversation_staff_group(self.open_conversation))
        self.open_conversation = None
        self.replayed = frozenset()
        # Join before reading, as the visitor does: nothing falls in between.
        await self.join(groups.conversation_staff_group(conversation_id))
        self.open_conversation = conversation_id
        frames, visitor = await database_sync_to_async(self._read_opened)(summary)
        self.replayed = frozenset(frame["id"] for frame in frames)
        await self.send_frame(
            {"type": "opened", "conversation": summary, "frames": frames, "visitor": visitor}
        )

    def _read_opened(self, summary: dict[str, Any]) -> tuple[list[dict[str, Any]], dict]:
        """The opened conversation's history, and what is known of its visitor (their name,
        "" when unknown: canned responses' {visitor_name}); the agent has now seen the
        conversation as far as its summary counts the visitor's messages."""
        conversation_id = summary["id"]
        # Deleted since its row was read (in admin, say): its history is simply empty.
        with contextlib.suppress(services.ConversationNotFound):
            console_services.conversation_seen(
                user=self.user,
                conversation_id=conversation_id,
                visitor_messages=summary["visitor_messages"],
            )
        frames = selectors.conversation_staff_frames(conversation_id=conversation_id)
        name = selectors.conversation_visitor_name(conversation_id=conversation_id)
        return frames, {"name": name}

    # --- the list: filtered, searched, paged ---------------------------------------------------

    async def list_page(self, command: protocol.AgentCommand) -> None:
        """A page of the list through the command's filter, which is the console's from now
        on: the live rows that follow are marked by it."""
        wanted = command.list_filter
        page, seen = await database_sync_to_async(self._read_page)(wanted, command.after)
        if wanted != self.list_filter:
            self.list_filter, self.words_found = wanted, set()
        if wanted.terms:
            self.words_found.update(row["id"] for row in page.conversations)
        await self.send_frame(
            {
                **protocol.conversations_frame(
                    conversations=page.conversations,
                    conversation_filter=wanted,
                    after=command.after,
                    next_page=page.next_page,
                    client_id=command.client_id,
                ),
                "seen": {str(id_): count for id_, count in seen.items()},
            }
        )

    def _read_page(self, wanted, after) -> tuple[Any, dict[int, int]]:
        """A page of the list, and how far this agent has seen its conversations."""
        page = selectors.conversation_page(conversation_filter=wanted, after=after)
        seen = console_selectors.seen_counts(
            user=self.user, conversation_ids=[c["id"] for c in page.conversations]
        )
        return page, seen

    async def chat_send(self, event: dict) -> None:
        frame = event["frame"]
        if frame.get("type") == "conversation":
            event = {**event, "frame": {**frame, "listed": await self.listed(frame)}}
        await super().chat_send(event)

    async def listed(self, row: dict[str, Any]) -> bool:
        """Whether a changed conversation's row belongs in this console's list. Only words
        ask the database, and only of a conversation not yet known to hold them."""
        wanted = self.list_filter
        if not wanted.matches_row(row):
            return False
        if not wanted.terms or row["id"] in self.words_found:
            return True
        found = await database_sync_to_async(selectors.conversation_listed)(
            conversation_id=row["id"], conversation_filter=wanted
        )
        if found:
            self.words_found.add(row["id"])
        return found
