"""A flood of frames on one socket: refused with a sentence, nothing accepted is lost."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message

from .conftest import new_session_key, visitor_communicator

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TIMEOUT = 5


@pytest.fixture
def five_in_a_burst(settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 5
    # Then one more a second: slower than a loaded machine handles the burst's five questions
    # (each answered by the bot), so the burst is exactly five however busy the machine is.
    settings.CHAT_RATE_LIMIT_SECONDS = 5


async def test_a_flood_is_refused_by_name_and_the_socket_stays_usable(five_in_a_burst):
    session_key = await database_sync_to_async(new_session_key)()
    visitor = visitor_communicator(session_key)
    assert (await visitor.connect(TIMEOUT))[0]
    await visitor.receive_json_from(TIMEOUT)  # status
    await visitor.receive_json_from(TIMEOUT)  # greeting
    for n in range(12):
        await visitor.send_json_to(
            {"type": "message", "text": "What is isomorphic go?", "client_id": f"f{n}"}
        )
    frames = [await visitor.receive_json_from(TIMEOUT) for _ in range(5 * 2 + 7)]
    refused = [frame for frame in frames if frame["type"] == "error"]
    acknowledged = [
        frame["client_id"]
        for frame in frames
        if frame["type"] == "message" and frame["sender"]["role"] == "visitor"
    ]
    # The burst is accepted, acknowledged and answered; the rest is refused by client_id.
    assert acknowledged == [f"f{n}" for n in range(5)]
    assert [frame["client_id"] for frame in refused] == [f"f{n}" for n in range(5, 12)]
    assert {frame["code"] for frame in refused} == {"rate_limited"}
    assert all(frame["retry_after"] == 1 for frame in refused)
    assert "too fast" in refused[0]["detail"]

    # A moment later the same socket takes the refused messages (the page resends them).
    await visitor.receive_nothing(1.0)
    await visitor.send_json_to(
        {"type": "message", "text": "What is isomorphic go?", "client_id": "f5"}
    )
    ack = await visitor.receive_json_from(TIMEOUT)
    assert (ack["client_id"], ack["sender"]["role"]) == ("f5", "visitor")
    stored = await database_sync_to_async(
        lambda: list(
            Message.objects.filter(sender_role="visitor").values_list("client_id", flat=True)
        )
    )()
    assert sorted(stored) == [f"f{n}" for n in range(6)]
    await visitor.disconnect()


async def test_each_socket_has_its_own_limit(five_in_a_burst):
    session_key = await database_sync_to_async(new_session_key)()
    flooder, neighbour = visitor_communicator(session_key), visitor_communicator(session_key)
    for socket in (flooder, neighbour):
        assert (await socket.connect(TIMEOUT))[0]
        await socket.receive_json_from(TIMEOUT)
        await socket.receive_json_from(TIMEOUT)
    for _ in range(8):
        await flooder.send_json_to({"type": "typing", "active": True})
    await neighbour.send_json_to({"type": "typing", "active": True})
    # The neighbour's frame is not refused: no error comes back to it.
    assert await neighbour.receive_nothing(0.5)
    for socket in (flooder, neighbour):
        await socket.disconnect()
