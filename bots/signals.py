"""Any edit of a bot's profile or knowledge, from admin or elsewhere, bumps its revision."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import BotProfile, ExampleQuestion, KnowledgeEntry, OutOfScopeQuestion, SampleQuestion
from .services import profile_revision_bump


@receiver(post_save, sender=BotProfile, dispatch_uid="bots.profile_saved")
def profile_saved(sender, instance: BotProfile, created: bool, raw: bool = False, **kwargs) -> None:
    if not created and not raw:
        profile_revision_bump(profile_id=instance.pk)


@receiver(post_save, sender=KnowledgeEntry, dispatch_uid="bots.entry_saved")
@receiver(post_delete, sender=KnowledgeEntry, dispatch_uid="bots.entry_deleted")
@receiver(post_save, sender=SampleQuestion, dispatch_uid="bots.sample_saved")
@receiver(post_delete, sender=SampleQuestion, dispatch_uid="bots.sample_deleted")
@receiver(post_save, sender=OutOfScopeQuestion, dispatch_uid="bots.out_of_scope_saved")
@receiver(post_delete, sender=OutOfScopeQuestion, dispatch_uid="bots.out_of_scope_deleted")
def knowledge_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        profile_revision_bump(profile_id=instance.profile_id)


@receiver(post_save, sender=ExampleQuestion, dispatch_uid="bots.example_saved")
@receiver(post_delete, sender=ExampleQuestion, dispatch_uid="bots.example_deleted")
def example_changed(sender, instance: ExampleQuestion, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    profile_id = (
        KnowledgeEntry.objects.filter(pk=instance.entry_id)
        .values_list("profile_id", flat=True)
        .first()
    )
    if profile_id is not None:  # None: deleted with its entry, whose deletion bumped already
        profile_revision_bump(profile_id=profile_id)
