from django.apps import AppConfig


class BotAppsConfig(AppConfig):
    """Bots that run outside the site: registered by staff, told of events by signed
    webhooks, acting through the HTTP API (``botapps/api/``) as their own bot users.

    The chat does not know them: this app hears the chat's events (``chat.events``) and
    tells the chat who else may answer visitors (``chat.answerers``).
    """

    name = "botapps"
    verbose_name = "Bot apps"

    def ready(self) -> None:
        # Registers the checks, and declares the webhook actor on the broker (which
        # django_dramatiq set up as it loaded), for the server's worker and senders.
        from chat import answerers, events

        from . import checks, selectors, services, tasks, webhooks  # noqa: F401

        events.subscribe(webhooks.announce)
        events.subscribe(services.memberships_follow)
        answerers.register(selectors.ANSWERERS)
