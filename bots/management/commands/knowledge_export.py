"""Write a bot's knowledge base as JSON or CSV, to stdout or a file."""

from django.core.management.base import BaseCommand, CommandError

from bots import importexport, loading, selectors
from bots.models import BotProfile


class Command(BaseCommand):
    help = "Export a bot's knowledge entries (terms and answer) as JSON or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--bot",
            "--agent",  # its old name
            dest="bot",
            help="The bot's slug (default: the configured bot's, CHAT_BOT).",
        )
        parser.add_argument(
            "--format",
            choices=importexport.FORMATS,
            help="Default: from the output file's extension, else json.",
        )
        parser.add_argument("--output", "-o", help="The file to write (default: stdout).")

    def handle(self, *args, bot: str | None, format: str | None, output: str | None, **options):
        slug = bot or loading.bot_class().slug
        fmt = format or (output and importexport.format_for_path(output)) or "json"
        try:
            rows = selectors.knowledge_export_rows(bot_slug=slug)
        except BotProfile.DoesNotExist:
            raise CommandError(f"unknown bot {slug!r}") from None
        text = importexport.dump(rows, fmt=fmt, bot=slug)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            # newline="": CSV records end in \r\n already; no translation of any line ending.
            with open(output, "w", encoding="utf-8", newline="") as file:
                file.write(text)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        self.stderr.write(f"Exported {len(rows)} entries of {slug} to {output}.")
