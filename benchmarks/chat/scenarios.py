"""A person's path through the chat, frame by frame, for benchmarks and tests that run the
site as production does (several workers, a proxy): a visitor asks, an agent on another
worker takes over, answers and hands back, and the bot answers again."""

from __future__ import annotations

import json

from .load import _next_frame

# Seconds a scenario waits for each frame it expects.
FRAME_TIMEOUT = 10.0


async def frame_of(socket, kind: str, **fields) -> dict:
    """The next frame of type ``kind`` whose fields have the values given."""
    while True:
        frame = await _next_frame(socket, FRAME_TIMEOUT)
        if frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items()):
            return frame


async def answered_by(socket, role: str) -> None:
    """Until the visitor's status says ``role`` ("bot" or "agent") answers them."""
    while ((await frame_of(socket, "status")).get("answering") or {}).get("role") != role:
        pass


async def send(socket, **frame) -> None:
    await socket.send(json.dumps(frame))


async def hand_over(*, visitor, agent, question: str) -> None:
    """The visitor, already greeted, says hello; the agent (its console socket open) takes the
    conversation, answers, and hands it back; the bot then answers ``question``. Raises (a
    timeout, an assertion) at the first frame that does not come."""
    await frame_of(agent, "conversations")
    await send(visitor, type="message", text="Hi", client_id="handover-1")
    conversation = (await frame_of(agent, "conversation", state="bot"))["id"]
    await send(agent, type="take", conversation=conversation)
    await answered_by(visitor, "agent")
    await send(
        agent,
        type="message",
        conversation=conversation,
        text="An agent here",
        client_id="handover-2",
    )
    reply = await frame_of(visitor, "message", text="An agent here")
    assert reply["sender"]["role"] == "agent", reply
    await send(agent, type="hand_back", conversation=conversation)
    await answered_by(visitor, "bot")
    await send(visitor, type="message", text=question, client_id="handover-3")
    while (await frame_of(visitor, "message"))["sender"]["role"] != "bot":
        pass
