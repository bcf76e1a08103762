from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Visitors' data: how long it is kept (retention), and staff erasing or exporting all of
    one visitor's. The chat does not know it; it reads and deletes the chat's rows, and
    writes what it did to the audit log."""

    name = "privacy"
    verbose_name = "Visitors' data"

    def ready(self) -> None:
        from . import checks  # noqa: F401
