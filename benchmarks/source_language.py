"""The bots' own phrases are translatable (bots/locale), and Django's catalogs need the app
registry, which a benchmark or evaluation run outside the test suite does not set up: there
the bots speak the language they are written in, English, as the questions expect."""

from __future__ import annotations

import os


def in_source_language() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    from django.apps import apps
    from django.conf import settings

    if not apps.ready:
        # Read by Django's translation functions when first called: they then return the
        # English they are given.
        settings.USE_I18N = False
