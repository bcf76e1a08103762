from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from . import checks, events, realtime, signals  # noqa: F401

        # What services announce reaches the sockets that may be listening.
        events.subscribe(realtime.announce)
