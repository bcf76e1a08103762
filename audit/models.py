"""The audit log: one row for each thing staff (or the site, by retention) did to a visitor's
conversation or data. Rows are only ever added: the model refuses to change or delete one,
admin offers neither, and the database refuses both (migrations/0001_initial.py)."""

from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    """An audit entry was to be changed or deleted: entries are only ever added."""


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnly("Audit entries cannot be deleted.")


class Entry(models.Model):
    class Action(models.TextChoices):
        TAKEN = "taken", "took"
        TRANSFERRED = "transferred", "transferred"
        HANDED_BACK = "handed_back", "handed back"
        CLOSED = "closed", "closed"
        # Assigned by the site (business rules), not by a person: the agent is in detail.
        AUTO_ASSIGNED = "auto_assigned", "auto-assigned"
        ERASED = "erased", "erased a visitor's data"
        EXPORTED = "exported", "exported a visitor's data"
        PURGED = "purged", "deleted past retention"

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    # Who: a staff member (or a bot app's user), kept by id and by name as they were, with
    # no foreign key, so that deleting a user changes no entry. None: the site itself.
    actor_user_id = models.BigIntegerField(null=True, blank=True, editable=False)
    actor_name = models.CharField(max_length=150, blank=True, editable=False)
    action = models.CharField(max_length=20, choices=Action.choices, editable=False)
    # The conversation acted on, by its number: no foreign key, the entry outlives it.
    # None for actions on several (an erasure, a purge): those are in detail.
    conversation_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # What else there is to know: whom a conversation went to, what an erasure deleted (by
    # counts and conversation numbers; never an email address or a visitor's words).
    detail = models.JSONField(default=dict, blank=True, editable=False)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        # Nobody may add, change or delete an entry by hand: looking is all there is.
        default_permissions = ("view",)
        indexes = [models.Index(fields=["conversation_id"], name="audit_entry_conversation")]

    def __str__(self) -> str:
        who = self.actor_name or "the site"
        return f"{who} {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries cannot be deleted.")
