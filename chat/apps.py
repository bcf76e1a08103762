from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Shop and live chat"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers the checks and receivers)
