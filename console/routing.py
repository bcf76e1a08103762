from channels.auth import AuthMiddlewareStack
from django.urls import path

from . import consumers

#: The console's socket; the page reads it from its config (console.frontend).
CONSOLE_SOCKET_PATH = "ws/staff/"

websocket_urlpatterns = [
    # Auth finds the staff member the console belongs to.
    path(CONSOLE_SOCKET_PATH, AuthMiddlewareStack(consumers.AgentConsoleConsumer.as_asgi())),
]
