from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "bots"
    verbose_name = "Bots and knowledge base"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers checks and receivers)
