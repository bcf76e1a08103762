from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The staff console: the page at /staff/ and its socket, where agents watch
    conversations, take them over from the bot, and answer.

    It is an interface of the chat: its consumer decodes a staff member's commands and calls
    the chat's services and selectors; presence and conversations are the chat's own. What
    only staff's way of working needs is its own: canned responses, and how far each agent
    has seen each conversation (their unread counts).
    """

    name = "console"
    verbose_name = "Staff console"

    def ready(self) -> None:
        from . import checks  # noqa: F401
