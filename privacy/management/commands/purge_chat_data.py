"""Delete what is past the retention period (CHAT_RETENTION_DAYS) and the expired sessions,
in batches, and say what went. For a daily cron job where the scheduler (``manage.py
crontab``, on Redis) does not run; on Redis it runs every night by itself."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from privacy import conf, selectors, services


class Command(BaseCommand):
    help = (
        "Delete conversations (with their messages, ratings, left messages and everything "
        "tied to them), left messages, webhook deliveries and unanswered questions older than "
        "CHAT_RETENTION_DAYS, and the expired sessions, in batches."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows deleted per transaction (default: CHAT_PURGE_BATCH_SIZE, "
            f"{conf.DEFAULTS['CHAT_PURGE_BATCH_SIZE']}).",
        )

    def handle(self, *args, batch_size: int | None = None, verbosity: int = 1, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")

        def progress(by_model: dict[str, int]) -> None:
            if verbosity >= 2:
                self.stdout.write("  batch: " + ", ".join(selectors.in_words(by_model)))

        purged = services.chat_data_purge(batch_size=batch_size, progress=progress)
        if purged.retention_days is None:
            self.stdout.write("Retention is off (CHAT_RETENTION_DAYS is not set): nothing is due.")
        else:
            self.stdout.write(
                f"Past retention ({purged.retention_days} days: last activity before "
                f"{purged.before:%Y-%m-%d %H:%M} UTC):"
            )
            for words in selectors.in_words(purged.deleted) or ["nothing"]:
                self.stdout.write(f"  {words}")
        sessions = services.sessions_clear_expired(batch_size=batch_size, progress=progress)
        self.stdout.write(f"Expired sessions: {sessions}")
