from django.contrib import admin

from .models import Agent, KnowledgeEntry, SampleQuestion


class SampleQuestionInline(admin.TabularInline):
    model = SampleQuestion
    extra = 1


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "slug", "updated_at"]
    readonly_fields = ["revision", "updated_at"]
    inlines = [SampleQuestionInline]


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(admin.ModelAdmin):
    list_display = ["terms", "short_answer", "agent", "updated_at"]
    list_filter = ["agent"]
    search_fields = ["terms", "answer"]

    @admin.display(description="answer")
    def short_answer(self, entry: KnowledgeEntry) -> str:
        return entry.answer if len(entry.answer) <= 100 else entry.answer[:99] + "…"
