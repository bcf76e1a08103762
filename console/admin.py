from django.contrib import admin

from .models import CannedResponse


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    """The team's canned responses; agents edit them in the console as well. The model
    validates (console.canned), so both refuse the same texts in the same words."""

    list_display = ["shortcut", "title", "text", "updated_at"]
    search_fields = ["shortcut", "title", "text"]
    fields = ["shortcut", "title", "text"]
    ordering = ["shortcut"]
