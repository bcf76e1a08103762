from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        # Registers the checks and receivers, and declares the webhook actor on the broker
        # (which django_dramatiq set up as it loaded), for the server's worker and senders.
        from . import checks, events, realtime, signals, tasks, webhooks  # noqa: F401

        # What services announce reaches the sockets and the bot apps' webhooks.
        events.subscribe(realtime.announce)
        events.subscribe(webhooks.announce)
