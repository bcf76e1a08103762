from django import forms

from chat.models import AgentStatus

from .models import BotApp
from .services import BOT_APP_SUBSCRIPTIONS


def _https_by_default(db_field, **kwargs):
    if db_field.name == "webhook_url":
        kwargs["assume_scheme"] = "https"  # a URL typed without one
    return db_field.formfield(**kwargs)


class BotAppForm(forms.ModelForm):
    """A bot app as staff describe it, in admin or on the command line (botapp_create)."""

    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="Shown to visitors with the bot's name, as an agent's title is.",
    )

    class Meta:
        model = BotApp
        fields = ["name", "title", "avatar", "webhook_url", *BOT_APP_SUBSCRIPTIONS, "is_active"]
        formfield_callback = _https_by_default

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The bot user's title lives with the agents' titles.
            self.fields["title"].initial = (
                AgentStatus.objects.filter(user_id=self.instance.user_id)
                .values_list("title", flat=True)
                .first()
            )
