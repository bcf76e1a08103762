"""Read a knowledge base file (JSON or CSV) into a bot's knowledge: all of it, or nothing."""

from django.core.management.base import BaseCommand, CommandError

from bots import importexport, loading, selectors, services
from bots.models import BotProfile

#: How many problems of a refused file are listed.
MAX_LISTED_PROBLEMS = 20


class Command(BaseCommand):
    help = (
        "Import knowledge entries from a JSON or CSV file. An entry whose terms equal a stored "
        "entry's (case and spacing aside) updates it; others are added. The whole file is "
        "checked first: a file with any problem is refused, listing them by line."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The JSON or CSV file to import.")
        parser.add_argument(
            "--bot",
            "--agent",  # its old name
            dest="bot",
            help="The bot's slug (default: the file's \"bot\", else the configured bot's).",
        )
        parser.add_argument(
            "--format",
            choices=importexport.FORMATS,
            help="Default: from the file's extension (.json or .csv).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the bot's entries that are not in the file, so it holds exactly them.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, without changing anything.",
        )

    def handle(
        self,
        *args,
        file: str,
        bot: str | None,
        format: str | None,
        replace: bool,
        dry_run: bool,
        **options,
    ):
        fmt = format or importexport.format_for_path(file)
        if fmt is None:
            raise CommandError(f"cannot tell the format of {file}: give --format json or csv")
        try:
            with open(file, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        parsed = importexport.parse(data, fmt=fmt)
        problems = [str(problem) for problem in parsed.problems]
        slug = bot or parsed.bot or loading.bot_class().slug
        if not selectors.profile_exists(slug=slug):
            problems.insert(0, f"unknown bot {slug!r}")
        if problems:
            listed = problems[:MAX_LISTED_PROBLEMS]
            if len(problems) > len(listed):
                listed.append(f"... and {len(problems) - len(listed)} more")
            raise CommandError(
                f"{file} was not imported, nothing was changed:\n  " + "\n  ".join(listed)
            )
        try:
            result = services.knowledge_import(
                bot_slug=slug, rows=parsed.rows, replace=replace, dry_run=dry_run
            )
        except BotProfile.DoesNotExist:  # deleted since the check above
            raise CommandError(f"unknown bot {slug!r}") from None
        summary = (
            f"{result.created} created, {result.updated} updated, {result.deleted} deleted, "
            f"{result.unchanged} unchanged"
        )
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing was changed. Importing {file} into {slug} would give: {summary}."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file} into {slug}: {summary}."))
