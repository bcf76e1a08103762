"""Rotate a bot app's credentials from the command line and print the new ones once."""

from django.core.management.base import BaseCommand, CommandError

from botapps import selectors, services

from ._botapp import print_secrets


class Command(BaseCommand):
    help = (
        "Give a bot app a new signing secret and/or API key, and print them once. A new API "
        "key ends the old key and every access token given out; a new signing secret signs "
        "every webhook from now on."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The bot app's name.")
        parser.add_argument("--signing-secret", action="store_true", help="Rotate it.")
        parser.add_argument("--api-key", action="store_true", help="Rotate it.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, name, signing_secret, api_key, json, **options):
        if not (signing_secret or api_key):
            raise CommandError("say what to rotate: --signing-secret, --api-key or both")
        app = selectors.bot_app_named(name=name)
        if app is None:
            raise CommandError(f"no bot app is named {name!r}")
        secrets = {}
        if signing_secret:
            secrets["Signing secret"] = services.bot_app_signing_secret_rotate(app=app)
        if api_key:
            secrets["API key"] = services.bot_app_api_key_rotate(app=app)
        print_secrets(
            self, app=app, secrets=secrets, as_json=json, done=f"Bot app “{app.name}” rotated."
        )
