from django.contrib import admin
from django.db.models import Count

from .models import Conversation, Message, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "stock"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["sent_at", "sender_role", "sender_name", "text", "client_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "last_message_at", "message_count", "closed_at"]
    list_filter = ["closed_at"]
    readonly_fields = ["session_key", "created_at", "last_message_at"]
    inlines = [MessageInline]
    date_hierarchy = "last_message_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(message_total=Count("messages"))

    @admin.display(description="messages", ordering="message_total")
    def message_count(self, conversation: Conversation) -> int:
        return conversation.message_total


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "conversation", "sender_role", "sender_name", "text"]
    list_filter = ["sender_role"]
    search_fields = ["text", "sender_name"]
    readonly_fields = [f.name for f in Message._meta.fields]
    list_select_related = ["conversation"]

    def has_add_permission(self, request) -> bool:
        return False
