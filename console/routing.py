from django.urls import path

from . import consumers

#: The console's socket; the page reads it from its config (console.frontend).
CONSOLE_SOCKET_PATH = "ws/staff/"

websocket_urlpatterns = [
    path(CONSOLE_SOCKET_PATH, consumers.AgentConsoleConsumer.as_asgi()),
]
