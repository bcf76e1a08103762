from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from . import selectors
from .forms import OpeningIntervalFormSet
from .models import (
    AgentClient,
    AgentStatus,
    ChatSettings,
    Conversation,
    ConversationRating,
    Holiday,
    Label,
    LeftMessage,
    Message,
    Note,
    OpeningInterval,
    Suggestion,
)


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["sent_at", "sender_role", "sender_name", "text", "client_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class NoteInline(admin.TabularInline):
    """Staff's private notes, beside the messages: written in the console only."""

    model = Note
    fields = ["created_at", "author_name", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "private note"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "state",
        "assigned_agent",
        "sidekick",
        "language",
        "created_at",
        "last_message_at",
        "message_count",
        "rating_score",
    ]
    # The visitor's language: the one to write to them in.
    list_filter = ["state", "sidekick", "assigned_agent", "language", "rating_score", "labels"]
    fields = [
        "state",
        "assigned_agent",
        "sidekick",
        "session_key",
        "current_page",
        "language",
        "rating_score",
        "rating_comment",
        "rated_at",
    ]
    readonly_fields = [
        "state",
        "assigned_agent",
        "session_key",
        "current_page",
        "language",
        "rating_score",
        "rating_comment",
        "rated_at",
    ]
    inlines = [MessageInline, NoteInline]
    date_hierarchy = "last_message_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(message_total=Count("messages"))

    @admin.display(description="messages", ordering="message_total")
    def message_count(self, conversation: Conversation) -> int:
        return conversation.message_total


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    """The labels agents put on conversations in the console. Saving or deleting one
    reaches every open console at once (chat.signals)."""

    list_display = ["name", "swatch", "conversation_count"]
    search_fields = ["name"]
    fields = ["name", "color"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(conversation_total=Count("conversations"))

    @admin.display(description="colour", ordering="color")
    def swatch(self, label: Label) -> str:
        # The swatch beside the code, as the console shows it beside the name.
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;vertical-align:middle;'
            'border:1px solid #555;background:{}" aria-hidden="true"></span> {}',
            label.color,
            label.color,
        )

    @admin.display(description="conversations", ordering="conversation_total")
    def conversation_count(self, label: Label) -> int:
        return label.conversation_total


@admin.register(ConversationRating)
class ConversationRatingAdmin(admin.ModelAdmin):
    """The "Ratings" report: averages per agent and per bot over the ratings the filters
    leave (chat.selectors.ratings_report), above those ratings. Read only."""

    list_display = [
        "rated_at",
        "conversation",
        "rating_score",
        "rating_comment",
        "assigned_agent",
        "bot_name",
    ]
    list_display_links = None
    list_filter = ["rating_score", ("assigned_agent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["assigned_agent"]
    search_fields = ["rating_comment"]
    date_hierarchy = "rated_at"
    ordering = ["-rated_at", "-id"]

    def get_queryset(self, request):
        return selectors.rated_conversations()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # not a redirect (a bad filter, say)
            response.context_data["report"] = selectors.ratings_report(
                conversations=changelist.queryset
            )
        return response

    @admin.display(description="conversation", ordering="pk")
    def conversation(self, conversation: Conversation) -> str:
        url = reverse("admin:chat_conversation_change", args=[conversation.pk])
        return format_html('<a href="{}">#{}</a>', url, conversation.pk)

    @admin.display(description="bot that answered")
    def bot_name(self, conversation: Conversation) -> str:
        # Whom the rating is of when no agent held the chat: see selectors.ratings_report.
        return "" if conversation.assigned_agent_id else (conversation.bot_name or "")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "conversation", "sender_role", "sender_name", "text"]
    list_filter = ["sender_role"]
    search_fields = ["text", "sender_name"]
    readonly_fields = [f.name for f in Message._meta.fields]
    list_select_related = ["conversation"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "accepting_chats", "capacity", "last_assigned_at"]
    list_editable = ["title", "accepting_chats", "capacity"]
    autocomplete_fields = ["user"]


@admin.register(AgentClient)
class AgentClientAdmin(admin.ModelAdmin):
    """Open consoles, for looking; they renew and expire by themselves."""

    list_display = ["user", "expires_at"]
    readonly_fields = ["user", "key", "expires_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LeftMessage)
class LeftMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name", "email", "text", "page", "handled"]
    list_filter = ["handled"]
    list_editable = ["handled"]
    search_fields = ["name", "email", "text"]
    readonly_fields = ["name", "email", "text", "session_key", "conversation", "page", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "conversation", "text", "sent_message"]
    readonly_fields = ["conversation", "question", "text", "created_at", "sent_message"]

    def has_add_permission(self, request) -> bool:
        return False


class OpeningIntervalInline(admin.TabularInline):
    """A weekday's opening hours, one interval a row; a day may have several."""

    model = OpeningInterval
    formset = OpeningIntervalFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(ChatSettings)
class ChatSettingsAdmin(admin.ModelAdmin):
    """One row of site-wide settings; the business hours' intervals and holidays below it."""

    inlines = [OpeningIntervalInline, HolidayInline]
    # Fieldsets of their own for these; every other field (the chat box's) stays first.
    GROUPS = {
        "Sharing the work": ["auto_assign"],
        "Business hours": ["business_hours", "time_zone", "away_text"],
    }

    def get_fieldsets(self, request, obj=None):
        grouped = {name for names in self.GROUPS.values() for name in names}
        fields = self.get_fields(request, obj)
        return [
            (None, {"fields": [name for name in fields if name not in grouped]}),
            *((title, {"fields": names}) for title, names in self.GROUPS.items()),
        ]

    def has_add_permission(self, request) -> bool:
        return not ChatSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
