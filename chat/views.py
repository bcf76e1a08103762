from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.views.decorators.cache import cache_page, never_cache
from django.views.decorators.http import last_modified, require_GET, require_POST
from django.views.i18n import JavaScriptCatalog

from . import conf, selectors, services
from .forms import LeftMessageForm
from .middleware import body_limit

# What a visitor's session holds for the chat: that it is one (an empty session is not stored).
VISITOR_SESSION_KEY = "chat_visitor"


@require_GET
@never_cache
def agent_info(request: HttpRequest) -> JsonResponse:
    """Who answers the chat, for the box's header. The box asks when it opens, before its
    socket: the visitor's session starts here, not on every page view, and the socket finds
    the visitor's conversation by its cookie."""
    request.session.setdefault(VISITOR_SESSION_KEY, True)
    return JsonResponse(selectors.agent_info())


@require_GET
@never_cache
def chat_status(request: HttpRequest) -> JsonResponse:
    """Whether anybody answers the chat now: the launcher shows it before any socket opens.
    Every open page asks, so the answer comes from the cache; an open box hears of changes
    on its socket."""
    return JsonResponse({"online": selectors.chat_online_cached()})


def leave_message_body_limit() -> int:
    """Bytes a "leave a message" POST may take: the longest allowed text with every character
    at its largest (4 UTF-8 bytes, percent-encoded: 12), and room for the other fields
    (name, email, page, CSRF token): 40,384 bytes with the default 2000 characters."""
    return 12 * conf.get("CHAT_MAX_MESSAGE_LENGTH") + 16 * 1024


@require_POST
@body_limit(leave_message_body_limit)
def leave_message(request: HttpRequest) -> JsonResponse:
    """Keep a visitor's message for staff; field errors come back as JSON, status 400, and a
    body over the limit as JSON, status 413 (see chat.middleware)."""
    form = LeftMessageForm(request.POST, max_length=conf.get("CHAT_MAX_MESSAGE_LENGTH"))
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    services.left_message_create(
        **form.cleaned_data,
        session_key=request.session.session_key or "",
        page=request.POST.get("page", "")[:300],
    )
    return JsonResponse({"ok": True}, status=201)


class ChatJavaScriptCatalog(JavaScriptCatalog):
    """The chat box's own strings (the chat app's ``djangojs`` catalog, nothing of other apps)
    in the language the URL names, for its script's ``gettext()`` and ``interpolate()``.

    The language is in the URL, not taken from the request as pages take it: browsers keep
    the catalog by its URL, and a visitor who switches language gets the page in the new
    one, which asks for the new language's catalog instead of reusing the old.
    """

    domain = "djangojs"
    packages = ["chat"]

    def get(self, request: HttpRequest, *args, language: str, **kwargs) -> HttpResponse:
        if language not in dict(settings.LANGUAGES):
            raise Http404("The site has no such language.")
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
        response["Content-Language"] = language
        return response


#: How long browsers and the site's cache keep a catalog: short, since the catalog's URL does
#: not change when a deploy brings new strings; after that, browsers ask whether it changed.
CATALOG_MAX_AGE = 60 * 60


def _catalogs_compiled_at() -> datetime:
    """When the chat's JavaScript catalogs (.mo) were compiled, or now if none is: the
    catalog's Last-Modified, and part of its key in the cache, so that a deploy with new
    translations never serves the old ones from there."""
    compiled = [
        path.stat().st_mtime
        for path in (Path(__file__).resolve().parent / "locale").glob("*/LC_MESSAGES/djangojs.mo")
    ]
    if not compiled:
        return timezone.now().replace(microsecond=0)
    return datetime.fromtimestamp(int(max(compiled)), tz=UTC)


# As Django's documentation advises for JavaScriptCatalog: asked for on every page that opens
# the chat, it is built once per language and cache period, and answered "not modified" to
# browsers that have it.
_compiled_at = _catalogs_compiled_at()
javascript_catalog = last_modified(lambda request, **kwargs: _compiled_at)(
    cache_page(CATALOG_MAX_AGE, key_prefix=f"chat-jsi18n-{_compiled_at:%Y%m%d%H%M%S}")(
        ChatJavaScriptCatalog.as_view()
    )
)
