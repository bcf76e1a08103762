from channels.sessions import SessionMiddlewareStack
from django.urls import path

from . import consumers

#: The chat box's socket; the page reads it from its config (chat.frontend).
VISITOR_SOCKET_PATH = "ws/chat/"

websocket_urlpatterns = [
    # The session finds the visitor's conversation; a visitor is nobody's user, so the
    # socket skips authentication (a hop to the database thread on every connect).
    path(VISITOR_SOCKET_PATH, SessionMiddlewareStack(consumers.VisitorChatConsumer.as_asgi())),
]
