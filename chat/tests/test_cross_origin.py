"""What the sites staff allow to embed the chat may do (chat/cross_origin.py): open the chat
box's socket and call its endpoints, nothing else."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import RequestFactory

from chat import cross_origin
from chat.models import ChatSettings
from chat.tests.conftest import make_agent, new_session_key, staff_communicator
from chatsite.asgi import application

SHOP = "https://shop.example.org"


@pytest.fixture
def listed(db):
    ChatSettings.objects.create(allowed_origins=f"{SHOP}\nhttp://localhost:8001")


# --- which origins, which endpoints ---------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (SHOP, True),
        ("https://shop.example.org:443", True),
        ("http://localhost:8001", True),
        ("http://localhost:8000", False),
        ("http://shop.example.org", False),
        ("https://evil.example", False),
        ("https://sub.shop.example.org", False),
        ("null", False),
        ("", False),
        (None, False),
    ],
)
def test_only_exactly_the_listed_origins_are_allowed(listed, origin, allowed):
    assert cross_origin.is_allowed_origin(origin) is allowed


def test_nobody_is_allowed_while_the_list_is_empty(db):
    assert cross_origin.is_allowed_origin(SHOP) is False


@pytest.mark.parametrize(
    ("path", "chat_box_s"),
    [
        ("/restapi/get-agent-info", True),
        ("/restapi/chat-status", True),
        ("/chat/leave-message", True),
        ("/chat/widget/", True),
        ("/", False),
        ("/admin/", False),
        ("/staff/", False),
        ("/api/v1/me", False),
        ("/no/such/page", False),
    ],
)
def test_the_chat_box_s_endpoints_are_known_by_name(path, chat_box_s):
    assert cross_origin.is_cross_origin_view(path) is chat_box_s


@pytest.mark.parametrize(
    ("path", "origin", "allows"),
    [
        ("/restapi/chat-status", SHOP, True),
        ("/restapi/chat-status", "https://evil.example", False),
        ("/restapi/chat-status", None, False),
        ("/admin/login/", SHOP, False),
        ("/staff/", SHOP, False),
    ],
)
def test_cors_needs_both_a_listed_origin_and_a_chat_box_endpoint(listed, path, origin, allows):
    headers = {"Origin": origin} if origin else {}
    request = RequestFactory().get(path, headers=headers)
    assert cross_origin.cors_allows(request=request) is allows


# --- the socket's handshake ---------------------------------------------------------------------


async def echo_app(scope, receive, send):
    """Accepts every socket it is given: what the validator lets through."""
    await receive()
    await send({"type": "websocket.accept"})


def handshake(origin: str | None, app=None) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())] if origin is not None else []
    return WebsocketCommunicator(
        app or cross_origin.ChatBoxOriginValidator(echo_app), "/", headers=headers
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("http://localhost", True),  # ALLOWED_HOSTS, as before
        ("http://127.0.0.1:8000", True),
        (SHOP, True),
        ("http://localhost:8001", True),
        ("https://evil.example", False),
        ("https://shop.example.org.evil.example", False),
        ("http://[bad", False),
        ("null", False),
        (None, False),
    ],
)
async def test_the_validator_lets_the_site_and_the_listed_origins_through(origin, accepted):
    await database_sync_to_async(ChatSettings.objects.create)(
        allowed_origins=f"{SHOP}\nhttp://localhost:8001"
    )
    communicator = handshake(origin)
    connected, _ = await communicator.connect()
    assert connected is accepted
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_the_site_s_own_pages_cost_no_read_of_the_list(monkeypatch):
    def never(origin):
        raise AssertionError("the site's own origin was looked up in the list")

    monkeypatch.setattr(cross_origin, "is_allowed_origin", never)
    communicator = handshake("http://localhost")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_the_validator_guards_sockets_only():
    with pytest.raises(ValueError, match="WebSocket"):
        await cross_origin.ChatBoxOriginValidator(echo_app)({"type": "http"}, None, None)


# --- the site's sockets, through its ASGI application -----------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_listed_site_opens_the_chat_box_s_socket_and_an_unlisted_one_cannot():
    await database_sync_to_async(ChatSettings.objects.create)(allowed_origins=SHOP)
    session_key = await database_sync_to_async(new_session_key)()
    for origin, accepted in [(SHOP, True), ("https://evil.example", False)]:
        communicator = WebsocketCommunicator(
            application,
            "/ws/chat/",
            headers=[
                (b"origin", origin.encode()),
                (b"cookie", f"sessionid={session_key}".encode()),
            ],
        )
        connected, _ = await communicator.connect()
        assert connected is accepted, origin
        if connected:
            assert (await communicator.receive_json_from(5))["type"] == "status"
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_listed_site_never_opens_the_staff_console_s_socket():
    # The console's socket logs in by cookie: a listed site's page, in a logged-in agent's
    # browser, must not open it.
    await database_sync_to_async(ChatSettings.objects.create)(allowed_origins=SHOP)
    anna = await database_sync_to_async(make_agent)("anna")
    refused = await database_sync_to_async(staff_communicator)(anna, origin=SHOP)
    connected, _ = await refused.connect()
    assert not connected
    own = await database_sync_to_async(staff_communicator)(anna)
    connected, _ = await own.connect()
    assert connected
    await own.disconnect()
