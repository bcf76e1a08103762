from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from . import checks, events, notifications, realtime, services, signals  # noqa: F401

        # What services announce reaches the sockets that may be listening, and the team's
        # inboxes (left messages); waiting conversations go to agents with room (if staff
        # switched auto-assignment on), after the sockets have heard of the change.
        events.subscribe(realtime.announce)
        events.subscribe(notifications.announce)
        events.subscribe(services.assignment_follow)
