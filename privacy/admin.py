"""Admin's "Visitors' data" page (erase or export all that is stored about one visitor, found
by an email address or a conversation), and the actions on the chat's conversations and
left messages that open it for the visitors selected."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from chat.models import Conversation, LeftMessage

from . import selectors, services
from .forms import MAX_NAMED, VisitorLookupForm, VisitorSearchForm
from .models import VisitorData
from .selectors import VisitorLookup

ERASE = "privacy.erase_visitor_data"
EXPORT = "privacy.export_visitor_data"
# Conversations and left messages listed on the confirmation page (all are counted).
LISTED = 50


def may_erase(request: HttpRequest) -> bool:
    return request.user.has_perm(ERASE)


def may_export(request: HttpRequest) -> bool:
    return request.user.has_perm(EXPORT)


@admin.register(VisitorData)
class VisitorDataAdmin(admin.ModelAdmin):
    """One page: find a visitor, see what is stored about them (counted), then erase it or
    download it as JSON. Staff with either permission see it; each button asks its own."""

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        # Listed on admin's index (as if viewable) for whoever may erase or export.
        return {
            "add": False,
            "change": False,
            "delete": False,
            "view": self.has_view_permission(request),
        }

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return may_erase(request) or may_export(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        # The one page, under the name admin links a model's list by.
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.lookup_view), name=name)]

    def lookup_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST" and ("erase" in request.POST or "export" in request.POST):
            return self._act(request)
        search = VisitorSearchForm(request.POST if request.method == "POST" else None)
        if search.is_valid():
            return self.found_view(request, search.lookup())
        return self._page(request, {"search": search})

    def _act(self, request: HttpRequest) -> HttpResponse:
        """The confirmation page's buttons: erase, or download as JSON."""
        erase = "erase" in request.POST
        if not (may_erase(request) if erase else may_export(request)):
            raise PermissionDenied
        named = VisitorLookupForm(request.POST)
        if not named.is_valid():
            errors = [error for errors in named.errors.values() for error in errors]
            return self._page(request, {"search": VisitorSearchForm(), "errors": errors})
        lookup = named.lookup()
        if erase:
            erased = services.visitor_erase(lookup=lookup, actor_user_id=request.user.pk)
            if erased.deleted:
                self.message_user(
                    request,
                    "Erased: " + ", ".join(selectors.in_words(erased.deleted)) + ".",
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, "Nothing was stored about this visitor any more.")
            return HttpResponseRedirect(reverse("admin:privacy_visitordata_changelist"))
        export = services.visitor_export(lookup=lookup, actor_user_id=request.user.pk)
        response = HttpResponse(
            json.dumps(export, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="visitor-data-{stamp}.json"'
        # Personal data: admin's pages are never cached (no-store), and this is one of them.
        return response

    def found_view(self, request: HttpRequest, lookup: VisitorLookup) -> HttpResponse:
        """The confirmation page: what is stored about the visitor, counted, and the
        buttons (which post to this page)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = selectors.visitor_data(lookup=lookup)
        conversations = (
            data.conversations()
            .annotate(message_total=Count("messages"))
            .order_by("-last_message_at")[:LISTED]
        )
        return self._page(
            request,
            {
                "found": data,
                "lookup_form": VisitorLookupForm(initial=VisitorLookupForm.initial_for(lookup)),
                "counts": selectors.labelled(selectors.erasure_counts(data=data)),
                "ratings": selectors.ratings_count(data=data),
                "conversations": conversations,
                "left_messages": data.left_messages().order_by("-created_at")[:LISTED],
                "listed": LISTED,
                "may_erase": may_erase(request),
                "may_export": may_export(request),
            },
        )

    def _page(self, request: HttpRequest, context: dict) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/privacy/visitordata/lookup.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Erase or export a visitor's data",
                "found": None,
                **context,
            },
        )


def visitor_data_page(request: HttpRequest, lookup: VisitorLookup) -> HttpResponse | None:
    """The confirmation page for ``lookup``, as the actions show it in answer to their POST
    (no address or session in a URL). More than a page can name: back to the list, told so."""
    named = len(lookup.conversation_ids) + len(lookup.emails)
    model_admin = admin.site.get_model_admin(VisitorData)
    if named > MAX_NAMED:
        model_admin.message_user(
            request,
            f"Select at most {MAX_NAMED:,} visitors at once ({named:,} were selected).",
            messages.ERROR,
        )
        return None
    return model_admin.found_view(request, lookup)


# --- the actions on the chat's own lists ------------------------------------------------------
# The chat's admin classes, as the chat registered them, with one action more each: the chat
# does not know this app.

ChatConversationAdmin = type(admin.site.get_model_admin(Conversation))
ChatLeftMessageAdmin = type(admin.site.get_model_admin(LeftMessage))


class VisitorDataActions:
    def has_visitor_data_permission(self, request: HttpRequest) -> bool:
        return may_erase(request) or may_export(request)


admin.site.unregister(Conversation)


@admin.register(Conversation)
class ConversationAdmin(VisitorDataActions, ChatConversationAdmin):
    actions = [*(ChatConversationAdmin.actions or ()), "visitors_data"]

    @admin.action(
        description="Erase or export these visitors' data (all their conversations)…",
        permissions=["visitor_data"],
    )
    def visitors_data(self, request: HttpRequest, queryset: QuerySet[Conversation]):
        ids = tuple(queryset.values_list("pk", flat=True))
        return visitor_data_page(request, VisitorLookup(conversation_ids=ids))


admin.site.unregister(LeftMessage)


@admin.register(LeftMessage)
class LeftMessageAdmin(VisitorDataActions, ChatLeftMessageAdmin):
    actions = [*(ChatLeftMessageAdmin.actions or ()), "visitors_data"]

    @admin.action(
        description="Erase or export these visitors' data (all left with these addresses)…",
        permissions=["visitor_data"],
    )
    def visitors_data(self, request: HttpRequest, queryset: QuerySet[LeftMessage]):
        ids = queryset.values_list("pk", flat=True)
        emails = selectors.emails_of_left_messages(left_message_ids=ids)
        return visitor_data_page(request, VisitorLookup(emails=emails))
