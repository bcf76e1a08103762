from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.views.decorators.cache import cache_control, cache_page, never_cache
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import last_modified, require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django.views.i18n import JavaScriptCatalog

from . import conf, languages, selectors, services, visitor_tokens
from .forms import LeftMessageForm, TranscriptForm
from .middleware import body_limit, in_token_flow

# What a visitor's session holds for the chat: that it is one (an empty session is not stored).
VISITOR_SESSION_KEY = "chat_visitor"


@require_GET
@never_cache
def agent_info(request: HttpRequest) -> JsonResponse:
    """Who answers the chat, for the box's header. The box asks when it opens, before its
    socket: the visitor's session starts here, not on every page view, and the socket finds
    the visitor's conversation by its cookie.

    A chat box on another site (chat.visitor_tokens) has no cookie: it sends its token, or an
    empty one, and gets its token back, new or refreshed, as ``visitor_token``."""
    request.session.setdefault(VISITOR_SESSION_KEY, True)
    info = selectors.agent_info()
    if in_token_flow(request):
        info[visitor_tokens.RESPONSE_FIELD] = visitor_tokens.token_for_session(
            session=request.session
        )
    return JsonResponse(info)


@require_GET
@never_cache
def chat_status(request: HttpRequest) -> JsonResponse:
    """Whether anybody answers the chat now, and whether it is out of business hours (the box
    then shows its away text): the launcher shows it before any socket opens. Every open page
    asks, so the answer comes from the cache; an open box hears of changes on its socket."""
    return JsonResponse(selectors.chat_status_cached())


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


def transcript_body_limit() -> int:
    """Bytes a transcript request may take: the longest address (254 characters) with every
    character percent-encoded at its largest (12 bytes), the CSRF token and room: 4 KiB."""
    return 4 * 1024


@require_POST
@body_limit(transcript_body_limit)
def transcript(request: HttpRequest) -> JsonResponse:
    """Email the visitor's conversation to the address they give: 201; field errors 400; no
    conversation 404; over a limit 429 with Retry-After; the mail server failing 502."""
    form = TranscriptForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    try:
        services.transcript_send(
            session_key=request.session.session_key or "", email=form.cleaned_data["email"]
        )
    except services.ConversationNotFound as exc:
        return _refusal(404, exc)
    except services.TranscriptRateLimited as exc:
        response = _refusal(429, exc, retry_after=exc.retry_after)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except services.TranscriptNotSent as exc:
        return _refusal(502, exc)
    return JsonResponse({"ok": True}, status=201)


def _refusal(status: int, error: services.ChatActionError, **extra) -> JsonResponse:
    """A refusal in the shape of the form's errors, as one error of the whole form."""
    errors = {NON_FIELD_ERRORS: [{"message": error.detail, "code": error.code}]}
    return JsonResponse({"errors": errors, **extra}, status=status)


#: How long browsers and shared caches may keep the chat box's fragment: a new look set in
#: admin shows on other sites within it.
WIDGET_CACHE_SECONDS = 60


@require_GET
# Compressed here (it holds no secret, so no BREACH): every page of another site fetches it.
@gzip_page
@cache_control(public=True, max_age=WIDGET_CACHE_SECONDS)
@vary_on_headers("Origin", "Accept-Language")
def widget(request: HttpRequest) -> HttpResponse:
    """The chat box's markup and config, for the embed script (chat/static/chat/embed.js) to
    put into a page of another site: every URL of its config is resolved against
    ``base_url``, this server's own origin as the visitor's browser reaches it (through the
    TLS proxy: SECURE_PROXY_SSL_HEADER).

    The same for every visitor, so cacheable: no session, and no CSRF token (the box on another
    site proves nothing by one; its requests carry its visitor token instead)."""
    # In the language of the page that embeds it (its <html lang>, sent as ?lang=), else the
    # visitor's browser's: the same choice the socket makes.
    language = languages.socket_language(
        requested=request.GET.get("lang", "")[:35],
        cookies=request.COOKIES,
        accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
    )
    with translation.override(language):
        html = render_to_string(
            "chat/chatbox.html",
            {
                "chat_base_url": f"{request.scheme}://{request.get_host()}",
                # Django's value for "no token here": {% csrf_token %} renders nothing and
                # sets no cookie.
                "csrf_token": "NOTPROVIDED",
            },
        )
    return HttpResponse(html)


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
# Compressed too: it is the same for every visitor and holds no secret.
javascript_catalog = gzip_page(
    last_modified(lambda request, **kwargs: _compiled_at)(
        cache_page(CATALOG_MAX_AGE, key_prefix=f"chat-jsi18n-{_compiled_at:%Y%m%d%H%M%S}")(
            ChatJavaScriptCatalog.as_view()
        )
    )
)
