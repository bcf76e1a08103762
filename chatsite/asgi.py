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
from django.urls import URLPattern  # noqa: E402

from botapps import worker  # noqa: E402
from chat.cross_origin import ChatBoxOriginValidator  # noqa: E402
from chat.routing import websocket_urlpatterns as chat_sockets  # noqa: E402
from chatsite import shutdown  # noqa: E402
from chatsite.http import WsgiInThreads  # noqa: E402
from console.routing import websocket_urlpatterns as console_sockets  # noqa: E402


def behind(validator, routes: list[URLPattern]) -> list[URLPattern]:
    """The routes, each behind an origin validator (an ASGI middleware class)."""
    return [
        URLPattern(route.pattern, validator(route.callback), route.default_args, route.name)
        for route in routes
    ]


application = ProtocolTypeRouter(
    {
        "http": WsgiInThreads(django_wsgi_app, threads=settings.HTTP_THREADS),
        # A page on another site must not open a socket on ours: the Origin of the handshake
        # has to be one of ALLOWED_HOSTS, or, for the chat box's socket alone, one of the sites
        # staff allowed to embed the chat (chat.cross_origin). The staff console's socket
        # logs in by cookie, so no other site ever opens it. Each socket's route adds the
        # session (the visitor's) or authentication (the console's).
        "websocket": URLRouter(
            behind(ChatBoxOriginValidator, chat_sockets)
            + behind(AllowedHostsOriginValidator, console_sockets)
        ),
    }
)

# Without Redis, webhooks to bot apps are worked off by this very server while it serves
# (botapps/worker.py); with Redis, by the `manage.py rundramatiq` service.
worker.run_with_daphne()
# A stopping server lets the sockets' database work under way finish (chatsite/shutdown.py).
shutdown.drain_before_daphne_stops()
