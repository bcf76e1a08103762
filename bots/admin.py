from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import services, trying
from .forms import TryQuestionForm, UnansweredQuestionResolveForm
from .models import (
    BotProfile,
    ExampleQuestion,
    KnowledgeEntry,
    OutOfScopeQuestion,
    SampleQuestion,
    UnansweredQuestion,
)


class SampleQuestionInline(admin.TabularInline):
    model = SampleQuestion
    extra = 1


class ExampleQuestionInline(admin.TabularInline):
    model = ExampleQuestion
    extra = 2
    verbose_name = "example question (how visitors ask this)"


@admin.register(BotProfile)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "slug", "is_online_enabled", "updated_at"]
    readonly_fields = ["revision", "updated_at"]
    inlines = [SampleQuestionInline]


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(admin.ModelAdmin):
    list_display = ["terms", "short_answer", "profile", "updated_at"]
    list_filter = ["profile"]
    search_fields = ["terms", "answer", "examples__text"]
    inlines = [ExampleQuestionInline]
    change_list_template = "admin/bots/knowledgeentry/change_list.html"

    @admin.display(description="answer")
    def short_answer(self, entry: KnowledgeEntry) -> str:
        return entry.answer if len(entry.answer) <= 100 else entry.answer[:99] + "…"

    def get_urls(self):
        # Before the default URLs: "<object_id>/" would otherwise take "try/" for an entry's id.
        return [
            path(
                "try/",
                self.admin_site.admin_view(self.try_view),
                name="bots_knowledgeentry_try",
            ),
            *super().get_urls(),
        ]

    def try_view(self, request: HttpRequest) -> HttpResponse:
        """Put a question to the live bot and show which entries it weighed, and their scores."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # GET, as it changes nothing: a tried question is a link staff can share.
        form = TryQuestionForm(request.GET if "question" in request.GET else None)
        explanation = None
        if form.is_valid():
            explanation = trying.bot_explain(
                question=form.cleaned_data["question"], context=form.page_context()
            )
        return TemplateResponse(
            request,
            "admin/bots/knowledgeentry/try.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Try a question",
                "form": form,
                "explanation": explanation,
            },
        )


@admin.register(OutOfScopeQuestion)
class OutOfScopeQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "profile"]
    list_filter = ["profile"]
    search_fields = ["text"]


@admin.register(UnansweredQuestion)
class UnansweredQuestionAdmin(admin.ModelAdmin):
    """Questions the bot could not answer, most asked first; each answered in one step."""

    form = UnansweredQuestionResolveForm
    list_display = ["count", "text", "last_asked", "last_page"]
    list_display_links = ["text"]
    list_filter = ["profile"]
    search_fields = ["text", "last_page"]
    ordering = ["-count", "-last_asked"]
    readonly_fields = ["profile", "text", "count", "first_asked", "last_asked", "last_page"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Only the bot records questions, when it cannot answer them.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Answering a question writes to the knowledge base: staff must be allowed to.
        user = request.user
        return (
            super().has_change_permission(request, obj)
            and user.has_perm("bots.add_knowledgeentry")
            and user.has_perm("bots.change_knowledgeentry")
        )

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = [(None, {"fields": self.readonly_fields})]
        if obj is not None and self.has_change_permission(request, obj):
            fieldsets.append(("Answer it", {"fields": ["action", "terms", "answer", "entry"]}))
        return fieldsets

    def save_model(self, request, obj: UnansweredQuestion, form, change: bool) -> None:
        data = form.cleaned_data
        if data["action"] == form.OUT_OF_SCOPE:
            kept = services.unanswered_question_to_out_of_scope(question=obj)
            self.log_addition(request, kept, [{"added": {}}])
            obj.answered_by = None
            return
        if data["action"] == form.NEW:
            entry = services.unanswered_question_to_entry(
                question=obj, terms=data["terms"], answer=data["answer"]
            )
            self.log_addition(request, entry, [{"added": {}}])
        elif data["action"] == form.EXAMPLE:
            entry = services.unanswered_question_add_example(question=obj, entry=data["entry"])
            self.log_change(
                request, entry, [{"added": {"name": "example question", "object": obj.text}}]
            )
        else:
            entry = services.unanswered_question_add_terms(question=obj, entry=data["entry"])
            self.log_change(request, entry, [{"changed": {"fields": ["Terms"]}}])
        # For response_change, which only gets the question.
        obj.answered_by = entry

    def construct_change_message(self, request, form, formsets, add=False):
        # The question's history says it was answered away; the entry's own history (logged in
        # save_model) says how.
        return [{"deleted": {"name": "unanswered question", "object": str(form.instance)}}]

    def response_change(self, request: HttpRequest, obj: UnansweredQuestion) -> HttpResponse:
        entry: KnowledgeEntry | None = obj.answered_by
        if entry is None:
            message = format_html(
                "“{}” is out of scope now: the bot keeps declining questions like it.", obj.text
            )
        else:
            url = reverse("admin:bots_knowledgeentry_change", args=[entry.pk])
            message = format_html(
                '“{}” is answered now, by the knowledge entry <a href="{}">{}</a>.',
                obj.text,
                url,
                entry,
            )
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:bots_unansweredquestion_changelist"))
