"""Update every translation catalog of the project at once: ``manage.py catalogs``.

Django's makemessages, for each language of LANGUAGES but English (the language the sources
are written in), in both domains (``django``: Python and templates; ``djangojs``: the chat
box's script), run once per catalog:

- each app of the project with a ``locale`` folder of its own (chat, bots) gets its strings
  in it, so that the app carries its translations wherever it is installed;
- the site's catalog, ``locale/`` (LOCALE_PATHS), gets the rest: the site's templates
  (``templates/``: the shop's pages, header and footer) and any app without a catalog.

New strings come in with an empty translation, changed ones marked fuzzy; compilemessages
then turns the catalogs into what Django reads (README, "Languages").
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# The project's folder: manage.py, the site's catalog.
ROOT = Path(__file__).resolve().parents[3]
#: The language the sources are written in: it needs no catalog.
SOURCE_LANGUAGE = "en"
DOMAINS = ("django", "djangojs")
#: What ships no visitor-facing string: tests and tooling, and what staff use (the console, the
#: reports and admin stay English; Django translates its admin itself).
NOT_TRANSLATED = [
    "tests",
    "benchmarks",
    "testsupport",
    "examples",
    "docs",
    "deploy",
    "node_modules",
    "admin",
    "console",
    "reports",
]


def app_catalogs() -> list[Path]:
    """The folders of the project's apps that keep a catalog of their own."""
    return sorted(
        Path(config.path)
        for config in apps.get_app_configs()
        if ROOT in Path(config.path).parents and (Path(config.path) / "locale").is_dir()
    )


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


class Command(BaseCommand):
    help = "Update the .po files of every catalog (the apps' and the site's) for LANGUAGES."
    # As makemessages: it reads the sources as text, and they may be half-written.
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        own = app_catalogs()
        # The site's run leaves the apps with their own catalogs to those.
        runs = [(folder, NOT_TRANSLATED) for folder in own]
        runs.append((ROOT, NOT_TRANSLATED + [folder.name for folder in own]))
        for folder, ignore in runs:
            for domain in DOMAINS:
                with contextlib.chdir(folder):
                    call_command(
                        "makemessages",
                        locale=languages(),
                        domain=domain,
                        ignore_patterns=ignore,
                        # Locations without line numbers: a line moved elsewhere in a file
                        # changes no catalog, and parallel branches merge cleanly.
                        add_location="file",
                        no_obsolete=True,
                        verbosity=options["verbosity"],
                    )
