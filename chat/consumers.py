"""The visitor's chat socket: decode, validate, call a service, send."""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import conf, groups, protocol, selectors, services

NO_SESSION_CLOSE_CODE = 4001


class VisitorChatConsumer(AsyncWebsocketConsumer):
    conversation_id: int

    async def connect(self) -> None:
        session_key = self.scope["session"].session_key
        await self.accept()
        if not session_key:
            await self.send_frame(
                protocol.error_frame(
                    "no_session",
                    "Open the chat from a page of the site: the page sets the session "
                    "cookie that finds your conversation.",
                )
            )
            await self.close(code=NO_SESSION_CLOSE_CODE)
            return

        self.page_info = protocol.decode_page_info(self.scope.get("query_string", b""))
        conversation = await database_sync_to_async(services.conversation_open)(
            session_key=session_key,
            page=self.page_info.page,
            product_id=self.page_info.product_id,
        )
        self.conversation_id = conversation.pk
        # Join before reading the history: a message stored in between then
        # arrives twice rather than never, and the page shows each id once.
        self.groups = [
            groups.connection_group(self.channel_name),
            groups.conversation_group(self.conversation_id),
        ]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        history = await database_sync_to_async(selectors.conversation_frames)(
            conversation_id=self.conversation_id
        )
        for frame in history:
            await self.send_frame(frame)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.send_frame(
                protocol.error_frame("binary_frame", "Send frames as JSON text, not binary.")
            )
            return
        try:
            message = protocol.decode_visitor_frame(
                text_data,
                max_frame_length=conf.get("CHAT_MAX_FRAME_LENGTH"),
                max_text_length=conf.get("CHAT_MAX_MESSAGE_LENGTH"),
            )
        except protocol.ProtocolError as error:
            await self.send_frame(
                protocol.error_frame(error.code, error.detail, client_id=error.client_id)
            )
            return
        await database_sync_to_async(services.visitor_message_post)(
            conversation_id=self.conversation_id,
            text=message.text,
            client_id=message.client_id,
            channel_name=self.channel_name,
            page=self.page_info.page,
            product_id=self.page_info.product_id,
        )

    async def chat_send(self, event: dict) -> None:
        await self.send_frame(event["frame"])

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame))
