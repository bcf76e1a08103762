from django.urls import path

from . import consumers

#: The chat box's socket; the page reads it from its config (chat.frontend).
VISITOR_SOCKET_PATH = "ws/chat/"

websocket_urlpatterns = [
    path(VISITOR_SOCKET_PATH, consumers.VisitorChatConsumer.as_asgi()),
]
