from channels.sessions import CookieMiddleware
from django.urls import path

from . import consumers

#: The chat box's socket; the page reads it from its config (chat.frontend).
VISITOR_SOCKET_PATH = "ws/chat/"

websocket_urlpatterns = [
    # The session cookie finds the visitor's conversation. The consumer reads the session in
    # its own hop to the database thread: a visitor is nobody's user (no authentication), and
    # channels' session middleware would spend a hop of its own on every connect.
    path(VISITOR_SOCKET_PATH, CookieMiddleware(consumers.VisitorChatConsumer.as_asgi())),
]
