from channels.sessions import CookieMiddleware
from django.urls import path

from . import consumers
from .languages import SocketLanguageMiddleware

#: The chat box's socket; the page reads it from its config (chat.frontend).
VISITOR_SOCKET_PATH = "ws/chat/"

websocket_urlpatterns = [
    # The session cookie finds the visitor's conversation. The consumer reads the session in
    # its own hop to the database thread: a visitor is nobody's user (no authentication), and
    # channels' session middleware would spend a hop of its own on every connect.
    # The visitor's language (chat.languages) is chosen from the page's ``lang``, else the
    # language cookie or Accept-Language, and is active for the socket's whole life.
    path(
        VISITOR_SOCKET_PATH,
        CookieMiddleware(SocketLanguageMiddleware(consumers.VisitorChatConsumer.as_asgi())),
    ),
]
