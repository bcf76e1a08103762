from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        # Registers the checks and receivers, and declares the webhook actor on the broker
        # (which django_dramatiq set up as it loaded), for the server's worker and senders.
        from . import checks, signals, tasks  # noqa: F401
