"""The translation catalogs: every string a visitor may read is translated, and well.

``manage.py catalogs`` (chatsite/management/commands/catalogs.py) runs Django's makemessages
over a copy of the project's sources, so that the repository's own catalogs are never
touched: whatever string the sources mark for translation and the committed catalogs do not
translate yet comes out empty (or, changed since, fuzzy), and is listed here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "es")
#: What the project's catalogs need from its sources: the apps (with their scripts), the site's
#: templates, the site's catalog and manage.py.
SOURCES = (
    "chatsite",
    "chat",
    "bots",
    "shop",
    "console",
    "reports",
    "botapps",
    "audit",
    "privacy",
    "templates",
    "locale",
)
#: The catalogs there must be, each with both domains' files where it has a script.
EXPECTED = [
    f"{folder}/{language}/LC_MESSAGES/{domain}.po"
    for language in LANGUAGES
    for folder, domain in [
        ("chat/locale", "django"),
        ("chat/locale", "djangojs"),
        ("bots/locale", "django"),
        ("locale", "django"),
    ]
]


def committed_catalogs() -> list[Path]:
    """The site's catalog and the apps' (one folder down: never the environment's)."""
    return sorted([*ROOT.glob("locale/*/LC_MESSAGES/*.po"), *ROOT.glob("*/locale/*/*/*.po")])


@pytest.fixture(scope="module")
def updated(tmp_path_factory) -> Path:
    """A copy of the project with every catalog updated from its sources."""
    copy = tmp_path_factory.mktemp("project")
    shutil.copy2(ROOT / "manage.py", copy / "manage.py")
    for name in SOURCES:
        shutil.copytree(
            ROOT / name,
            copy / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests", "staticfiles"),
        )
    catalogs_update(copy)
    return copy


def catalogs_update(project: Path) -> None:
    """``manage.py catalogs`` in ``project``, on its own sources and settings."""
    subprocess.run(
        [sys.executable, "manage.py", "catalogs", "--verbosity", "0"],
        cwd=project,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "chatsite.settings", "PYTHONPATH": ""},
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_every_string_for_visitors_is_translated_in_every_language(updated):
    found = sorted(str(path.relative_to(updated)) for path in updated.glob("**/locale/*/*/*.po"))
    assert found == sorted(EXPECTED)
    untranslated = [
        f"{path.relative_to(updated)}: {'(fuzzy) ' if entry.fuzzy else ''}{entry.msgid!r}"
        for path in sorted(updated.glob("**/locale/*/*/*.po"))
        for entry in polib.pofile(str(path))
        if not entry.obsolete and (entry.fuzzy or not entry.translated())
    ]
    assert untranslated == [], "Translate these (README, Languages):\n" + "\n".join(untranslated)
    # Not vacuous: each catalog of the django domain holds the strings of its part.
    for path, some_string in [
        ("chat/locale/de/LC_MESSAGES/django.po", "Type a message before sending."),
        ("bots/locale/es/LC_MESSAGES/django.po", "I don't know the answer to that one."),
        ("locale/de/LC_MESSAGES/django.po", "Out of stock"),
    ]:
        assert polib.pofile(str(updated / path)).find(some_string) is not None


def test_a_string_nobody_translated_yet_is_found(updated, tmp_path):
    # As the test above sees it: a new string in the sources comes out untranslated.
    project = tmp_path / "project"
    shutil.copytree(updated, project)
    (project / "chat" / "novelty.py").write_text(
        "from django.utils.translation import gettext as _\n\n"
        'NEW = _("A string nobody translated yet.")\n'
    )
    catalogs_update(project)
    for language in LANGUAGES:
        catalog = polib.pofile(str(project / f"chat/locale/{language}/LC_MESSAGES/django.po"))
        assert catalog.find("A string nobody translated yet.") in catalog.untranslated_entries()


@pytest.mark.parametrize("path", committed_catalogs(), ids=lambda path: str(path.relative_to(ROOT)))
def test_each_catalog_compiles_and_keeps_the_placeholders(path):
    # GNU msgfmt's own checks: the header, and every placeholder of the English in the
    # translation (python-format).
    checked = subprocess.run(
        ["msgfmt", "--check", "--output-file", os.devnull, str(path)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    catalog = polib.pofile(str(path))
    assert catalog.metadata["Language"] == path.parts[-3]
    assert not catalog.metadata_is_fuzzy
    for entry in catalog.translated_entries():
        english = set(PLACEHOLDER.findall(entry.msgid))
        if not entry.msgid_plural:
            # Named placeholders each as many times as needed, none invented or lost.
            assert set(PLACEHOLDER.findall(entry.msgstr)) == english, entry.msgid
            continue
        # A plural form may leave the count unsaid ("one earlier message"), as the English
        # singular does, but never invents a placeholder nor loses another one.
        english |= set(PLACEHOLDER.findall(entry.msgid_plural))
        for translation in entry.msgstr_plural.values():
            found = set(PLACEHOLDER.findall(translation))
            assert found <= english and english - found <= {"%(count)s", "%(count)d"}, entry.msgid


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

# How a shop addresses its customers: "Sie" in German, "usted" in Spanish, never the familiar
# "du" or "tú" (their pronouns and possessives, as whole words).
FAMILIAR = {
    "de": re.compile(r"\b(?:du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b", re.I),
    "es": re.compile(r"\b(?:tú|tu|tus|ti|contigo|te)\b", re.I),
}


@pytest.mark.parametrize("path", committed_catalogs(), ids=lambda path: str(path.relative_to(ROOT)))
def test_visitors_are_addressed_formally(path):
    familiar = FAMILIAR[path.parts[-3]]
    catalog = polib.pofile(str(path))
    informal = [
        translation
        for entry in catalog.translated_entries()
        for translation in (entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr])
        if familiar.search(translation)
    ]
    assert informal == []
