from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """How the chat goes, for staff: conversations per day, who answered them and how fast,
    their length, their ratings and the questions the bot could not answer, over the days
    staff choose (``/staff/reports/``), on the page and as CSV.

    It reads the chat's conversations and messages (``chat``) and the bots' unanswered
    questions (``bots``), neither of which knows it; all it writes is its own: the figures it
    keeps of each conversation (``models.ConversationFigures``).
    """

    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import checks, percentiles  # noqa: F401

        # SQLite has no percentile_cont of its own: each new connection gets one.
        connection_created.connect(percentiles.install, dispatch_uid="reports.percentiles")
