"""Register a bot app from the command line, as admin does, and print its secrets once."""

from django.core.management.base import BaseCommand, CommandError

from botapps import services
from botapps.forms import BotAppForm
from botapps.models import BotApp

from ._botapp import print_secrets

#: --subscribe's words for the events a bot app may be told of.
SUBSCRIPTION_CHOICES = {
    field.removeprefix("subscribes_").replace("_", "-"): field
    for field in services.BOT_APP_SUBSCRIPTIONS
}


class Command(BaseCommand):
    help = (
        "Register a bot app (its bot user, signing secret and API key) and print the secrets, "
        "which are shown only this once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The bot's name, shown to visitors; unique.")
        parser.add_argument("--webhook-url", required=True, help="Where events are POSTed.")
        parser.add_argument("--title", default="", help="Shown with the name, as an agent's.")
        parser.add_argument("--avatar", default="", help="A static path or a full URL.")
        parser.add_argument(
            "--subscribe",
            action="append",
            choices=sorted(SUBSCRIPTION_CHOICES),
            help="An event to be told of (repeat for several). Default: pending "
            "conversations and member messages, as in admin.",
        )
        parser.add_argument(
            "--inactive", action="store_true", help="Register it switched off (no API access)."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, name, webhook_url, title, avatar, subscribe, inactive, json, **opts):
        data = {
            "name": name,
            "title": title,
            "avatar": avatar,
            "webhook_url": webhook_url,
            "is_active": not inactive,
        }
        if subscribe is None:
            # What admin's form starts from: the model's defaults.
            subscribed = {
                field
                for field in services.BOT_APP_SUBSCRIPTIONS
                if BotApp._meta.get_field(field).default
            }
        else:
            subscribed = {SUBSCRIPTION_CHOICES[word] for word in subscribe}
        # A checkbox left out is False: only the ones subscribed go in the form's data.
        form = BotAppForm(data | {field: "on" for field in subscribed})
        if not form.is_valid():
            problems = "; ".join(
                f"{field.replace('_', '-')}: {' '.join(errors)}"
                for field, errors in form.errors.items()
            )
            raise CommandError(f"the bot app was not registered: {problems}")
        cleaned = form.cleaned_data
        made = services.bot_app_create(
            name=cleaned["name"],
            title=cleaned["title"],
            avatar=cleaned["avatar"],
            webhook_url=cleaned["webhook_url"],
            subscriptions={field: cleaned[field] for field in services.BOT_APP_SUBSCRIPTIONS},
            is_active=cleaned["is_active"],
        )
        print_secrets(
            self,
            app=made.app,
            secrets={"Signing secret": made.signing_secret, "API key": made.api_key},
            as_json=json,
            done=f"Bot app {made.app.pk} “{made.app.name}” registered.",
        )
