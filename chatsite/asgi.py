"""ASGI entry point: HTTP goes to Django (as WSGI in threads, chatsite/http.py), WebSockets
to the chat consumers."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
# Django must be set up before anything imports models (the consumers do).
django_wsgi_app = get_wsgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from botapps import worker  # noqa: E402
from chat.routing import websocket_urlpatterns as chat_sockets  # noqa: E402
from chatsite import shutdown  # noqa: E402
from chatsite.http import WsgiInThreads  # noqa: E402
from console.routing import websocket_urlpatterns as console_sockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WsgiInThreads(django_wsgi_app, threads=settings.HTTP_THREADS),
        # A page on another site must not open a chat on ours: the Origin of
        # the handshake has to be one of ALLOWED_HOSTS. Each socket's route adds the
        # session (the visitor's) or authentication (the console's).
        "websocket": AllowedHostsOriginValidator(URLRouter(chat_sockets + console_sockets)),
    }
)

# Without Redis, webhooks to bot apps are worked off by this very server while it serves
# (botapps/worker.py); with Redis, by the `manage.py rundramatiq` service.
worker.run_with_daphne()
# A stopping server lets the sockets' database work under way finish (chatsite/shutdown.py).
shutdown.drain_before_daphne_stops()
