"""Reactions of the chat to other apps' changes."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from bots.models import BotProfile

from . import services


@receiver(post_save, sender=BotProfile, dispatch_uid="chat_bot_profile_saved")
def bot_profile_saved(sender, instance: BotProfile, **kwargs) -> None:
    # Switching the bot on or off in admin changes whether the chat is online,
    # and open chat boxes should say so at once, not at their next question.
    services.presence_publish()
