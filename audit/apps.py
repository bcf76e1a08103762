from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who did what to visitors' conversations and data, and when: an append-only log.

    The chat does not know it: this app hears the chat's events (``chat.events``) for
    staff's actions, and the privacy app records erasures, exports and retention here.
    """

    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from chat import events

        from . import subscribers

        # Staff's actions are written in the transaction of the change: the entry is there
        # exactly when the change is.
        events.subscribe(subscribers.announce)
