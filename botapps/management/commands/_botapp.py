"""What the bot-app commands share: how secrets are printed, once."""

import json

from django.core.management.base import BaseCommand

from botapps.models import BotApp


def print_secrets(
    command: BaseCommand, *, app: BotApp, secrets: dict[str, str], as_json: bool, done: str
) -> None:
    """The secrets on stdout, as text or as one JSON object for scripts; never stored in the
    clear (the API key is kept as a digest), so this is the only time they are shown."""
    if as_json:
        payload = {"id": app.pk, "name": app.name} | {
            label.replace(" ", "_").lower(): value for label, value in secrets.items()
        }
        command.stdout.write(json.dumps(payload))
        return
    command.stdout.write(f"{done} Keep these now; they are not shown again:")
    for label, value in secrets.items():
        command.stdout.write(f"  {label}: {value}")
