"""Reactions of the chat to other apps' changes."""

from corsheaders.signals import check_request_enabled
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bots.models import BotProfile

from . import cross_origin, selectors, services
from .models import AgentStatus, ChatSettings, Holiday, Label, OpeningInterval


@receiver(post_save, sender=BotProfile, dispatch_uid="chat_bot_profile_saved")
def bot_profile_saved(sender, instance: BotProfile, **kwargs) -> None:
    # Switching the bot on or off in admin changes whether the chat is online,
    # and open chat boxes should say so at once, not at their next question.
    services.presence_publish()


@receiver(post_save, sender=ChatSettings, dispatch_uid="chat_settings_saved")
@receiver(post_delete, sender=ChatSettings, dispatch_uid="chat_settings_deleted")
def chat_settings_changed(sender, instance: ChatSettings, **kwargs) -> None:
    # Pages and sockets read the chat box's settings from the cache: a new colour or a removed
    # site applies from the next page. Forgotten now, and again once the change is committed,
    # so that a request reading the old row in between does not keep it cached.
    selectors.chat_box_settings_forget()
    transaction.on_commit(selectors.chat_box_settings_forget)
    business_hours_changed(sender, instance)
    # Business hours kept or not, auto-assignment switched on: whether the chat is online, and
    # who answers the conversations waiting, may change at once. After the commit, when admin
    # has saved the opening hours and holidays too.
    transaction.on_commit(services.presence_publish, robust=True)


@receiver(post_save, sender=OpeningInterval, dispatch_uid="chat_opening_interval_saved")
@receiver(post_delete, sender=OpeningInterval, dispatch_uid="chat_opening_interval_deleted")
@receiver(post_save, sender=Holiday, dispatch_uid="chat_holiday_saved")
@receiver(post_delete, sender=Holiday, dispatch_uid="chat_holiday_deleted")
def business_hours_changed(sender, instance, **kwargs) -> None:
    # Every status a visitor gets reads the hours from the cache: forgotten now and once the
    # change is committed, as the chat box's settings are.
    selectors.business_hours_forget()
    transaction.on_commit(selectors.business_hours_forget)


@receiver(post_save, sender=AgentStatus, dispatch_uid="chat_agent_status_saved")
def agent_status_saved(sender, instance: AgentStatus, **kwargs) -> None:
    # A capacity raised in admin gives the agent room for conversations that wait.
    transaction.on_commit(services.conversations_assign, robust=True)


@receiver(post_save, sender=Label, dispatch_uid="chat_label_saved")
@receiver(post_delete, sender=Label, dispatch_uid="chat_label_deleted")
def label_changed(sender, instance: Label, **kwargs) -> None:
    # Every open console's label pickers and filters, and the labels its rows show.
    services.labels_publish()


@receiver(check_request_enabled, dispatch_uid="chat_cors_allows")
def cors_request_enabled(sender, request, **kwargs) -> bool:
    # django-cors-headers' hook for origins that are data, not settings: the sites staff list.
    return cross_origin.cors_allows(request=request)
