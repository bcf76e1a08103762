import json
from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django_dramatiq.models import Task as DramatiqTask

from . import delivery, services
from .forms import BotAppForm
from .models import BotApp, WebhookAttempt, WebhookDelivery

# django_dramatiq's task log is filled only by its AdminMiddleware, which the webhook queue
# does without (the deliveries are logged here): an always empty list would only mislead.
if admin.site.is_registered(DramatiqTask):
    admin.site.unregister(DramatiqTask)

SUBSCRIPTIONS = services.BOT_APP_SUBSCRIPTIONS
SUBSCRIPTION_LABELS = {
    "subscribes_routed_conversations": "routed conversations",
    "subscribes_pending_conversations": "pending conversations",
    "subscribes_member_messages": "member messages",
    "subscribes_routed_messages": "routed messages",
}
# Secrets shown once after a redirect wait in the (server-side) session, not in a message
# cookie, and are removed from it when shown.
REVEAL_SESSION_KEY = "botapps.revealed"


# What can be rotated: (label, the service that rotates it, what that means for the bot).
ROTATIONS: dict[str, tuple[str, Callable[..., str], str]] = {
    "signing-secret": (
        "signing secret",
        services.bot_app_signing_secret_rotate,
        "Webhooks are signed with the new secret from now on: the bot app must check "
        "signatures with it at once, or it will refuse every webhook.",
    ),
    "api-key": (
        "API key",
        services.bot_app_api_key_rotate,
        "The old API key stops working at once, and so does every access token given out "
        "in webhooks before: the bot app must use the new key.",
    ),
}


@admin.register(BotApp)
class BotAppAdmin(admin.ModelAdmin):
    """Bot apps are made, edited and rotated by the services, which keep the bot user, its
    title and the credentials in step; the secrets are shown once, when made."""

    form = BotAppForm
    list_display = [
        "name",
        "is_active",
        "is_online_enabled",
        "webhook_url",
        "subscriptions",
        "deliveries",
    ]
    list_filter = ["is_active", "is_online_enabled"]
    search_fields = ["name", "webhook_url"]
    readonly_fields = ["user", "is_online_enabled", "token_generation", "created_at"]
    actions = ["rotate_signing_secrets", "rotate_api_keys"]
    change_form_template = "admin/botapps/botapp/change_form.html"

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "webhook_url":
            kwargs["assume_scheme"] = "https"  # as the form's own (BotAppForm)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request: HttpRequest, obj: BotApp | None = None) -> list[str]:
        fields = list(BotAppForm.Meta.fields)
        return fields + self.readonly_fields if obj else fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[BotApp]:
        counts = {
            f"{status}_total": Count("deliveries", filter=Q(deliveries__status=status))
            for status in WebhookDelivery.Status.values
        }
        return super().get_queryset(request).annotate(**counts)

    @admin.display(description="subscriptions")
    def subscriptions(self, app: BotApp) -> str:
        return (
            ", ".join(label for f, label in SUBSCRIPTION_LABELS.items() if getattr(app, f)) or "-"
        )

    @admin.display(description="deliveries")
    def deliveries(self, app: BotApp) -> str:
        url = reverse("admin:botapps_webhookdelivery_changelist")
        counts = [
            (url, app.pk, status, total, status)
            for status in WebhookDelivery.Status.values
            if (total := getattr(app, f"{status}_total", 0))
        ]
        return (
            format_html_join(
                ", ", '<a href="{}?app__id__exact={}&amp;status__exact={}">{} {}</a>', counts
            )
            or "-"
        )

    def save_model(self, request: HttpRequest, obj: BotApp, form: BotAppForm, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "title": data["title"],
            "avatar": data["avatar"],
            "webhook_url": data["webhook_url"],
            "subscriptions": {name: data[name] for name in SUBSCRIPTIONS},
            "is_active": data["is_active"],
        }
        if change:
            # As stored, not as the form left it: the service compares (deactivation).
            app = services.bot_app_update(app=BotApp.objects.get(pk=obj.pk), **fields)
        else:
            made = services.bot_app_create(**fields)
            app = made.app
            self._reveal(
                request, app, [("Signing secret", made.signing_secret), ("API key", made.api_key)]
            )
        # The admin goes on with ``obj`` (its log entry, the redirect): make it the saved app.
        for model_field in BotApp._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(app, model_field.attname))
        obj._state.adding, obj._state.db = False, app._state.db

    def response_add(self, request: HttpRequest, obj: BotApp, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        if "_popup" in request.POST:
            return response
        # To the new app's page, where its secrets are shown, whichever button was pressed.
        return HttpResponseRedirect(reverse("admin:botapps_botapp_change", args=[obj.pk]))

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        revealed = request.session.get(REVEAL_SESSION_KEY)
        if request.method == "GET" and revealed and str(revealed["app"]) == unquote(object_id):
            del request.session[REVEAL_SESSION_KEY]
            extra_context["revealed_credentials"] = revealed["items"]
        return super().change_view(request, object_id, form_url, extra_context)

    def _reveal(self, request: HttpRequest, app: BotApp, items: list[tuple[str, str]]) -> None:
        request.session[REVEAL_SESSION_KEY] = {"app": app.pk, "items": items}

    # Rotation: a button on the app's page (confirmed first) and actions on the list.

    def get_urls(self):
        # Before the default URLs, whose "<object_id>/" would take these for an app's id.
        return [
            path(
                "<path:object_id>/rotate/<str:which>/",
                self.admin_site.admin_view(self.rotate_view),
                name="botapps_botapp_rotate",
            ),
            *super().get_urls(),
        ]

    def rotate_view(self, request: HttpRequest, object_id: str, which: str) -> HttpResponse:
        if which not in ROTATIONS:
            raise Http404
        app = self.get_object(request, unquote(object_id))
        if app is None:
            raise Http404
        if not self.has_change_permission(request, app):
            raise PermissionDenied
        label, rotate, consequence = ROTATIONS[which]
        if request.method == "POST":
            value = rotate(app=app)
            self.log_change(request, app, f"Rotated the {label}.")
            self._reveal(request, app, [(f"New {label}", value)])
            self.message_user(request, f"The {label} of “{app}” was rotated.")
            return HttpResponseRedirect(reverse("admin:botapps_botapp_change", args=[app.pk]))
        return TemplateResponse(
            request,
            "admin/botapps/botapp/rotate_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": app,
                "title": f"Rotate the {label} of “{app}”?",
                "label": label,
                "consequence": consequence,
            },
        )

    @admin.action(description="Rotate signing secret", permissions=["change"])
    def rotate_signing_secrets(self, request: HttpRequest, queryset: QuerySet[BotApp]):
        return self._rotate_all(request, queryset, "signing-secret")

    @admin.action(description="Rotate API key", permissions=["change"])
    def rotate_api_keys(self, request: HttpRequest, queryset: QuerySet[BotApp]):
        return self._rotate_all(request, queryset, "api-key")

    def _rotate_all(self, request: HttpRequest, queryset: QuerySet[BotApp], which: str):
        label, rotate, consequence = ROTATIONS[which]
        rotated = []
        for app in queryset:
            rotated.append((app, [(f"New {label}", rotate(app=app))]))
            self.log_change(request, app, f"Rotated the {label}.")
        # Shown in this response only, never stored anywhere.
        return TemplateResponse(
            request,
            "admin/botapps/botapp/rotated.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"New {label}s",
                "label": label,
                "consequence": consequence,
                "rotated": rotated,
            },
        )


# --- webhook deliveries -----------------------------------------------------------------------


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "started_at", "duration_ms", "status_code", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may see a delivery may see its attempts.
        return request.user.has_perm("botapps.view_webhookdelivery") or request.user.has_perm(
            "botapps.change_webhookdelivery"
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Webhooks to bot apps and how their attempts went: read-only, but for "Retry now"."""

    list_display = [
        "created_at",
        "app",
        "event_name",
        "status",
        "attempts",
        "next_attempt",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["status", "event", "app"]
    list_select_related = ["app"]
    date_hierarchy = "created_at"
    fields = [
        "uid",
        "app",
        "event",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "locked_until",
        "delivered_at",
        "last_error",
        "pretty_resource",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # what happened is not edited; "Retry now" is the one thing to do

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("botapps.change_webhookdelivery")

    @admin.display(description="event", ordering="event")
    def event_name(self, row: WebhookDelivery) -> str:
        return row.event  # as the bot app sees it, and narrower than its label

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, row: WebhookDelivery):
        return row.next_attempt_at if row.status == WebhookDelivery.Status.PENDING else None

    @admin.display(description="last error")
    def short_error(self, row: WebhookDelivery) -> str:
        return row.last_error if len(row.last_error) <= 80 else row.last_error[:79] + "…"

    @admin.display(description="resource")
    def pretty_resource(self, row: WebhookDelivery) -> str:
        text = json.dumps(row.resource, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html('<pre class="webhook-resource">{}</pre>', text)

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        chosen = list(queryset.values_list("pk", flat=True))
        count = delivery.deliveries_retry_now(chosen)
        self.message_user(request, f"{count} of {len(chosen)} deliveries will be retried now.")
        if count < len(chosen):
            self.message_user(
                request,
                "Delivered ones, and ones a worker is sending right now, were left as they are.",
                messages.WARNING,
            )
