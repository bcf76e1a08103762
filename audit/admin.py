from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from .models import Entry


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """The audit log, to read and filter: nobody adds, changes or deletes an entry here, not
    even a superuser (the model and the database refuse it besides)."""

    list_display = ["at", "actor", "action", "conversation", "what"]
    list_display_links = None
    list_filter = ["action", "actor_name"]
    search_fields = ["=conversation_id", "actor_name"]
    search_help_text = "A conversation's number, or a user name."
    date_hierarchy = "at"
    list_per_page = 100
    # Counting a long log for every page costs more than it tells.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="who", ordering="actor_name")
    def actor(self, entry: Entry) -> str:
        return entry.actor_name or "the site"

    @admin.display(description="conversation", ordering="conversation_id")
    def conversation(self, entry: Entry) -> str:
        if entry.conversation_id is None:
            return ""
        try:
            url = reverse("admin:chat_conversation_change", args=[entry.conversation_id])
        except NoReverseMatch:  # pragma: no cover  (the chat's admin is always there)
            return f"#{entry.conversation_id}"
        return format_html('<a href="{}">#{}</a>', url, entry.conversation_id)

    @admin.display(description="details")
    def what(self, entry: Entry) -> str:
        return entry_summary(entry)


FIRST = ["conversations", "messages", "left messages", "sessions"]


def entry_summary(entry: Entry) -> str:
    """The entry's detail in a line: whom a conversation went to, what was deleted."""
    detail = entry.detail or {}
    parts = []
    if "to_name" in detail or "to_user_id" in detail:
        parts.append(f"to {detail.get('to_name') or '#' + str(detail.get('to_user_id'))}")
    if "lookup" in detail:
        parts.append(f"found by {detail['lookup']}")
    if "retention_days" in detail:
        parts.append(f"older than {detail['retention_days']} days")
    counts = detail.get("counts") or {}
    if counts:
        # PostgreSQL keeps a JSON object's keys in an order of its own: the visitor's own
        # rows first, as they were counted, then the rest by name.
        order = sorted(counts, key=lambda name: (FIRST.index(name) if name in FIRST else 99, name))
        parts.append(", ".join(f"{name}: {counts[name]}" for name in order))
    conversations = detail.get("conversations") or []
    if conversations:
        shown = ", ".join(f"#{number}" for number in conversations[:10])
        more = f" and {len(conversations) - 10} more" if len(conversations) > 10 else ""
        parts.append(f"{shown}{more}")
    return "; ".join(parts)
