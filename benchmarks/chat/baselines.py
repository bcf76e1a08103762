"""The two baselines the chat is measured against, served by the same Daphne process.

* ``BareConsumer``: the least a Channels chat does. A private group per connection
  and a canned reply sent through that group, as the Channels tutorial does; no
  database, no bot.
* ``echo_application``: a raw ASGI WebSocket application with no framework at all.

Both greet on connect and answer every frame with one reply frame shaped like the
chat's (``type`` "message", sender role "bot"), so one load generator drives all
three. ``application`` routes ``/bench/bare/`` and ``/bench/echo/`` to them and
everything else to the site, so the three share the server, its channel layer and
the load.
"""

from __future__ import annotations

import json
import uuid

from channels.generic.websocket import AsyncWebsocketConsumer

from chatsite.asgi import application as site_application

BARE_PATH = "/bench/bare/"
ECHO_PATH = "/bench/echo/"
CANNED_TEXT = "Thanks for asking! This is a canned reply."


def _reply(text: str) -> str:
    return json.dumps({"type": "message", "sender": {"role": "bot"}, "text": text})


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.private_group = f"bare.{uuid.uuid4().hex}"
        await self.channel_layer.group_add(self.private_group, self.channel_name)
        await self.accept()
        await self.send(text_data=_reply("Hello"))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.private_group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.channel_layer.group_send(
            self.private_group, {"type": "bare.reply", "text": CANNED_TEXT}
        )

    async def bare_reply(self, event: dict) -> None:
        await self.send(text_data=_reply(event["text"]))


async def echo_application(scope, receive, send) -> None:
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": _reply("Hello")})
        elif event["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": _reply(CANNED_TEXT)})
        elif event["type"] == "websocket.disconnect":
            return


_bare_application = BareConsumer.as_asgi()


async def application(scope, receive, send) -> None:
    if scope["type"] == "websocket" and scope["path"] == BARE_PATH:
        return await _bare_application(scope, receive, send)
    if scope["type"] == "websocket" and scope["path"] == ECHO_PATH:
        return await echo_application(scope, receive, send)
    return await site_application(scope, receive, send)
