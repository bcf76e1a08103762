from django.urls import path

from . import consumers

#: The sockets' paths; the pages read them from their config (chat.frontend).
VISITOR_SOCKET_PATH = "ws/chat/"
CONSOLE_SOCKET_PATH = "ws/staff/"

websocket_urlpatterns = [
    path(VISITOR_SOCKET_PATH, consumers.VisitorChatConsumer.as_asgi()),
    path(CONSOLE_SOCKET_PATH, consumers.AgentConsoleConsumer.as_asgi()),
]
