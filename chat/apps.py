from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from . import checks, events, notifications, realtime, signals  # noqa: F401

        # What services announce reaches the sockets that may be listening, and the team's
        # inboxes (left messages).
        events.subscribe(realtime.announce)
        events.subscribe(notifications.announce)
