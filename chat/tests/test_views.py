import io
import time
import uuid
from datetime import UTC, datetime
from datetime import time as wall
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.handlers.asgi import ASGIRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bots.models import BotProfile
from chat import services, views, visitor_tokens
from chat.middleware import BodyLimitMiddleware
from chat.models import Conversation, LeftMessage, Message

from .conftest import set_business_hours

pytestmark = pytest.mark.django_db


def test_a_page_view_writes_no_session_until_the_chat_box_opens(client):
    # Most visitors never open the chat: their page views store nothing for it.
    response = client.get("/")
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == 0
    # The box's first request as it opens starts the session its socket needs.
    response = client.get("/restapi/get-agent-info")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["httponly"]
    assert Session.objects.count() == 1
    # Later pages and opens keep the same session, so the socket finds the same conversation.
    client.get("/")
    client.get("/restapi/get-agent-info")
    assert client.session.session_key == cookie.value
    assert Session.objects.count() == 1


def test_agent_info_has_exactly_the_seed_fields(client):
    response = client.get("/restapi/get-agent-info")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "AgentName": "Case",
        "AgentTitle": "Resident Isomorphic Gopher Agent",
        "AgentThumbImagePath": "/static/images/chat/Case.png",
    }


def test_agent_info_follows_an_edit_in_admin(client):
    agent = BotProfile.objects.get(slug="case")
    agent.name = "Molly"
    agent.thumbnail_path = "https://cdn.example.com/molly.png"
    agent.save()
    data = client.get("/restapi/get-agent-info").json()
    assert data["AgentName"] == "Molly"
    assert data["AgentThumbImagePath"] == "https://cdn.example.com/molly.png"


def test_agent_info_is_get_only(client):
    assert client.post("/restapi/get-agent-info").status_code == 405


def test_the_thumbnail_is_a_served_static_file():
    from django.contrib.staticfiles import finders

    assert finders.find("images/chat/Case.png")


def assertChatBox(response):
    body = response.content.decode()
    assert 'id="chatboxContainer"' in body
    assert 'id="chatboxInputField"' in body
    assert 'placeholder="Type your message here..."' in body
    assert "chat/chat.js" in body
    # The chat box comes after the page's own content: the keyboard and screen readers reach
    # the page first.
    assert body.index('id="primaryContent"') < body.index('id="chatboxContainer"')


# --- "leave a message" ------------------------------------------------------------------------

LEAVE_URL = "/chat/leave-message"
LEFT = {
    "name": "Ann Gopher",
    "email": "ann@example.org",
    "text": "Do you ship to Norway?",
    "page": "/products/gopher-plush/",
}


def test_leave_message_url_is_named():
    assert reverse("chat:leave_message") == LEAVE_URL


def test_leave_message_stores_it_with_the_visitors_session_and_page(client):
    client.get("/")  # a page of the site gives the session
    session_key = client.session.session_key
    assert session_key

    response = client.post(LEAVE_URL, {**LEFT, "text": "  Do you ship to Norway?\n"})

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"ok": True}
    message = LeftMessage.objects.get()
    assert message.name == "Ann Gopher"
    assert message.email == "ann@example.org"
    assert message.text == "Do you ship to Norway?"
    assert message.session_key == session_key
    assert message.page == "/products/gopher-plush/"
    assert message.conversation is None  # the visitor never opened the chat
    assert not message.handled


def test_leave_message_is_linked_to_the_visitors_open_conversation(client):
    client.get("/")
    conversation = services.conversation_open(session_key=client.session.session_key)
    assert client.post(LEAVE_URL, LEFT).status_code == 201
    assert LeftMessage.objects.get().conversation == conversation


def test_leave_message_without_a_page_keeps_an_empty_page_and_caps_a_long_one(client):
    fields = {k: v for k, v in LEFT.items() if k != "page"}
    assert client.post(LEAVE_URL, fields).status_code == 201
    assert client.post(LEAVE_URL, {**fields, "page": "/" + "p" * 400}).status_code == 201
    pages = sorted(LeftMessage.objects.values_list("page", flat=True), key=len)
    assert pages[0] == ""
    assert len(pages[1]) == 300


def test_leave_message_with_errors_is_400_with_json_errors_per_field_and_stores_nothing(
    client, settings
):
    settings.CHAT_MAX_MESSAGE_LENGTH = 50
    response = client.post(
        LEAVE_URL, {"name": "   ", "email": "not-an-email", "text": "x" * 51, "page": "/"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert set(errors) == {"name", "email", "text"}
    assert errors["name"][0]["code"] == "required"
    assert errors["email"][0]["code"] == "invalid"
    assert errors["text"][0]["code"] == "max_length"
    for field_errors in errors.values():
        assert all(isinstance(e["message"], str) and e["message"] for e in field_errors)
    assert not LeftMessage.objects.exists()


def test_leave_message_with_nothing_posted_reports_every_field(client):
    response = client.post(LEAVE_URL, {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "email", "text"}
    assert not LeftMessage.objects.exists()


def test_leave_message_is_post_only(client):
    assert client.get(LEAVE_URL).status_code == 405
    assert not LeftMessage.objects.exists()


def test_leave_message_enforces_csrf():
    client = Client(enforce_csrf_checks=True)
    # The chat box renders {% csrf_token %}, so every page with it sets the cookie.
    page = client.get("/")
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    assert token

    assert client.post(LEAVE_URL, LEFT).status_code == 403
    assert client.post(LEAVE_URL, LEFT, headers={"X-CSRFToken": "wrong" * 8}).status_code == 403
    assert not LeftMessage.objects.exists()

    response = client.post(LEAVE_URL, LEFT, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert LeftMessage.objects.count() == 1


def test_chat_box_carries_the_leave_message_form(client):
    body = client.get("/").content.decode()
    for element_id in (
        "chatboxLeaveMessage",
        "chatboxLeaveName",
        "chatboxLeaveEmail",
        "chatboxLeaveText",
        "chatboxLeaveSend",
        "chatboxLeaveResult",
        "chatboxTyping",
    ):
        assert f'id="{element_id}"' in body
    assert 'name="csrfmiddlewaretoken"' in body


# --- chat status ------------------------------------------------------------------------------

STATUS_URL = "/restapi/chat-status"


def test_chat_status_is_online_with_the_bot_enabled_by_default(client):
    response = client.get(STATUS_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"online": True, "out_of_hours": False}
    assert "no-cache" in response["Cache-Control"]


def test_chat_status_is_offline_with_the_bot_off_and_no_agent_console(client):
    BotProfile.objects.filter(slug="case").update(is_online_enabled=False)
    assert client.get(STATUS_URL).json() == {"online": False, "out_of_hours": False}


def test_chat_status_is_online_with_the_bot_off_while_an_agent_accepts_chats(
    client, django_user_model
):
    BotProfile.objects.filter(slug="case").update(is_online_enabled=False)
    agent = django_user_model.objects.create_user("anna", is_staff=True)
    services.agent_client_renew(user=agent, key="console-1")
    assert client.get(STATUS_URL).json() == {"online": True, "out_of_hours": False}

    services.agent_accepting_set(user=agent, accepting=False)
    assert client.get(STATUS_URL).json() == {"online": False, "out_of_hours": False}


def test_chat_status_is_read_from_the_cache_by_the_pages_that_poll_it(
    client, django_assert_num_queries
):
    assert client.get(STATUS_URL).json() == {"online": True, "out_of_hours": False}
    # Every open page asks every 30 s: after the first, no query until presence changes.
    with django_assert_num_queries(0):
        assert client.get(STATUS_URL).json() == {"online": True, "out_of_hours": False}
    BotProfile.objects.filter(slug="case").update(is_online_enabled=False)
    services.presence_publish()  # what switching the bot off in admin announces
    assert client.get(STATUS_URL).json() == {"online": False, "out_of_hours": False}


def test_chat_status_says_out_of_hours_and_the_bot_still_answers(client, now_is):
    # Monday 2025-03-31 18:00 in Berlin: closed since a moment ago.
    now_is(datetime(2025, 3, 31, 16, 0, tzinfo=UTC))
    set_business_hours(*((day, wall(9), wall(18)) for day in range(5)), time_zone="Europe/Berlin")
    assert client.get(STATUS_URL).json() == {"online": True, "out_of_hours": True}
    BotProfile.objects.filter(slug="case").update(is_online_enabled=False)
    services.presence_publish()
    assert client.get(STATUS_URL).json() == {"online": False, "out_of_hours": True}
    # A minute before: open, and a person would answer (nobody is present here).
    now_is(datetime(2025, 3, 31, 15, 59, tzinfo=UTC))
    services.presence_publish()
    assert client.get(STATUS_URL).json() == {"online": False, "out_of_hours": False}


def test_chat_status_is_get_only(client):
    assert client.post(STATUS_URL).status_code == 405


# --- "leave a message": limits on the fields and on the request as a whole --------------------

FORM = "application/x-www-form-urlencoded"


def post_form(client, fields, **kwargs):
    """POST as the chat box does: URL-encoded, where a 4-byte character takes 12 bytes."""
    return client.post(LEAVE_URL, urlencode(fields), content_type=FORM, **kwargs)


def test_leave_message_too_long_fields_are_400_with_a_sentence_per_field(client):
    response = post_form(
        client, {**LEFT, "name": "n" * 101, "email": "a" * 250 + "@example.org", "text": "x" * 2001}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "name": [
                {
                    "message": "Names are limited to 100 characters; this one has 101.",
                    "code": "max_length",
                }
            ],
            "email": [
                {
                    "message": "Email addresses are limited to 254 characters; this one has 262.",
                    "code": "max_length",
                }
            ],
            "text": [
                {
                    "message": "Messages are limited to 2000 characters; this one has 2001.",
                    "code": "max_length",
                }
            ],
        }
    }
    assert not LeftMessage.objects.exists()


def test_leave_message_the_largest_allowed_form_fits_the_body_limit(client):
    fields = {**LEFT, "name": "🐹" * 100, "text": "🐹" * 2000, "page": "/" + "🐹" * 299}
    body = urlencode(fields)
    assert len(body) > 12 * 2000  # every character of the text takes 12 bytes
    assert len(body) <= views.leave_message_body_limit() == 40_384
    assert post_form(client, fields).status_code == 201
    assert LeftMessage.objects.get().text == "🐹" * 2000


def test_leave_message_an_oversized_body_is_413_with_a_sentence_and_stores_nothing(client):
    response = post_form(client, {**LEFT, "text": "x" * 50_000})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    size = len(urlencode({**LEFT, "text": "x" * 50_000}))
    assert response.json() == {
        "errors": {
            "__all__": [
                {
                    "message": f"Requests here are limited to 40384 bytes; this one has {size}.",
                    "code": "too_large",
                }
            ]
        }
    }
    assert not LeftMessage.objects.exists()


def test_leave_message_the_body_limit_is_answered_before_the_csrf_check():
    # CsrfViewMiddleware reads the body first; were it to meet the oversized body, the
    # answer would be Django's bare 400 page, whatever the token.
    client = Client(enforce_csrf_checks=True)
    token = client.get("/").cookies[settings.CSRF_COOKIE_NAME].value
    big = {**LEFT, "text": "x" * 50_000}
    assert post_form(client, big, headers={"X-CSRFToken": token}).status_code == 413
    assert post_form(client, big).status_code == 413
    assert post_form(client, LEFT).status_code == 403  # the check itself still stands
    assert not LeftMessage.objects.exists()


def test_leave_message_the_body_limit_follows_the_message_limit(client, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 100
    assert views.leave_message_body_limit() == 12 * 100 + 16 * 1024
    response = post_form(client, {**LEFT, "page": "/" + "p" * 20_000})
    assert response.status_code == 413
    assert "limited to 17584 bytes" in response.json()["errors"]["__all__"][0]["message"]


def test_leave_message_djangos_own_smaller_body_limit_is_answered_in_words(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert post_form(client, LEFT).status_code == 201
    response = post_form(client, {**LEFT, "text": "x" * 1000})
    assert response.status_code == 413
    assert "limited to 1000 bytes" in response.json()["errors"]["__all__"][0]["message"]


def test_leave_message_too_many_fields_is_400_in_words(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = urlencode(LEFT) + "".join(f"&extra{i}=1" for i in range(10))
    response = client.post(LEAVE_URL, body, content_type=FORM)
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "__all__": [{"message": "Forms are limited to 10 fields.", "code": "too_many_fields"}]
        }
    }
    assert not LeftMessage.objects.exists()


def asgi_post(body: bytes, headers: list[tuple[bytes, bytes]]) -> ASGIRequest:
    # Seekable, as the spooled file Django's ASGI handler buffers the body in.
    body_file = io.BytesIO(body)
    scope = {"type": "http", "method": "POST", "path": LEAVE_URL, "query_string": b""}
    return ASGIRequest(
        {**scope, "headers": [(b"content-type", FORM.encode()), *headers]}, body_file
    )


@pytest.mark.parametrize(
    "headers",
    [[], [(b"content-length", b"100")]],
    ids=["chunked-without-content-length", "understated-content-length"],
)
def test_a_body_over_the_limit_is_counted_when_content_length_does_not_say_it(headers):
    body = urlencode({**LEFT, "text": "x" * 50_000}).encode()
    middleware = BodyLimitMiddleware(lambda request: None)
    response = middleware.process_view(asgi_post(body, headers), views.leave_message, (), {})
    assert response.status_code == 413
    assert f"this one has {len(body)}." in response.content.decode()


# --- in the visitor's language ------------------------------------------------------------------


def test_leave_message_errors_are_in_the_visitor_s_language(client):
    response = post_form(
        client, {**LEFT, "name": "n" * 101, "email": ""}, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["name"][0]["message"] == (
        "Namen dürfen höchstens 100 Zeichen lang sein; dieser hat 101."
    )
    # Django's own words are translated by Django.
    assert errors["email"] == [
        {"message": "Dieses Feld ist zwingend erforderlich.", "code": "required"}
    ]


def test_leave_message_an_oversized_body_is_refused_in_the_visitor_s_language(client):
    client.cookies["django_language"] = "es"
    response = post_form(client, {**LEFT, "text": "x" * 50_000})
    assert response.status_code == 413
    size = len(urlencode({**LEFT, "text": "x" * 50_000}))
    assert response.json()["errors"]["__all__"][0]["message"] == (
        "Las solicitudes a esta dirección pueden ocupar como máximo 40384 bytes; "
        f"esta ocupa {size}."
    )


# --- the chat box's JavaScript catalog ----------------------------------------------------------


def test_the_javascript_catalog_is_the_chat_s_in_the_url_s_language(client):
    url = reverse("chat:javascript_catalog", kwargs={"language": "de"})
    assert url == "/chat/jsi18n/de/"
    # The page's language is the URL's, whatever the browser prefers.
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert response["Content-Type"] == 'text/javascript; charset="utf-8"'
    assert response["Content-Language"] == "de"
    body = response.content.decode()
    assert "django.gettext = function" in body and "django.interpolate" in body
    # German ways with numbers, for the script's formats...
    assert '"DECIMAL_SEPARATOR": ","' in body
    # ... and the chat's catalog alone: nothing of admin's, which Django translates.
    assert "Available %s" not in body
    spanish = client.get(reverse("chat:javascript_catalog", kwargs={"language": "es"}))
    assert spanish["Content-Language"] == "es"
    english = client.get(reverse("chat:javascript_catalog", kwargs={"language": "en"}))
    assert '"DECIMAL_SEPARATOR": "."' in english.content.decode()


def test_the_javascript_catalog_of_a_language_the_site_lacks_is_404(client):
    assert client.get("/chat/jsi18n/fr/").status_code == 404
    assert client.get("/chat/jsi18n/xx-notalanguage/").status_code == 404


def test_the_javascript_catalog_is_cached_and_revalidated(client):
    url = reverse("chat:javascript_catalog", kwargs={"language": "de"})
    first = client.get(url)
    assert "max-age=3600" in first["Cache-Control"]
    assert first["Last-Modified"]
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304


def test_views_without_a_body_limit_are_left_to_django():
    middleware = BodyLimitMiddleware(lambda request: None)
    request = asgi_post(b"x" * 50_000, [])
    assert middleware.process_view(request, views.chat_status, (), {}) is None


# --- a chat box on another site: its visitor token ---------------------------------------------

TOKEN_HEADER = "X-Chat-Visitor-Token"
AGENT_INFO_URL = "/restapi/get-agent-info"


def token_client() -> Client:
    """Another site's page: its requests carry no cookie of ours, and CSRF is enforced."""
    return Client(enforce_csrf_checks=True)


def agent_info_with(client: Client, token: str):
    return client.get(AGENT_INFO_URL, headers={TOKEN_HEADER: token})


def test_an_empty_token_starts_a_visitor_and_gets_their_token_without_a_cookie():
    response = agent_info_with(token_client(), "")
    assert response.status_code == 200
    data = response.json()
    assert data["AgentName"] == "Case"
    session_key = visitor_tokens.session_key_of(token=data["visitor_token"])
    assert Session.objects.get(session_key=session_key).get_decoded() == {"chat_visitor": True}
    # Nothing for a browser to keep as a cookie, and the answer depends on the header.
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert TOKEN_HEADER in response["Vary"]


def test_the_token_keeps_its_visitor_and_comes_back_refreshed(monkeypatch):
    client = token_client()
    first = agent_info_with(client, "").json()["visitor_token"]
    later = time.time() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    second = agent_info_with(client, first).json()["visitor_token"]
    assert second != first
    assert visitor_tokens.session_key_of(token=second) == visitor_tokens.session_key_of(token=first)
    assert Session.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    ["made-up", visitor_tokens.token_issue(session_key="x" * 32)[:-2] + "zz"],
    ids=["made-up", "altered"],
)
def test_a_forged_token_is_403_invalid_token_and_starts_nothing(token):
    response = agent_info_with(token_client(), token)
    assert response.status_code == 403
    assert response.json() == {
        "errors": {
            "__all__": [
                {
                    "message": "This chat's visitor token is not valid (altered, or expired): "
                    "start again without it.",
                    "code": "invalid_token",
                }
            ]
        }
    }
    assert not Session.objects.exists()


def test_an_expired_token_is_403_invalid_token(settings, monkeypatch):
    token = agent_info_with(token_client(), "").json()["visitor_token"]
    later = time.time() + settings.SESSION_COOKIE_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = agent_info_with(token_client(), token)
    assert response.status_code == 403
    assert response.json()["errors"]["__all__"][0]["code"] == "invalid_token"


def test_a_token_whose_session_ended_starts_a_new_visitor():
    token = agent_info_with(token_client(), "").json()["visitor_token"]
    Session.objects.all().delete()
    renewed = agent_info_with(token_client(), token).json()["visitor_token"]
    assert visitor_tokens.session_key_of(token=renewed) != visitor_tokens.session_key_of(
        token=token
    )
    assert Session.objects.count() == 1


def test_without_the_header_the_token_is_never_shown(client):
    # The site's own pages: the cookie, kept from page scripts (HttpOnly), as before.
    data = client.get(AGENT_INFO_URL).json()
    assert "visitor_token" not in data
    assert client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_token_flow_never_reads_nor_hands_out_the_cookie_s_session(client):
    # A staff member's browser: a logged-in session cookie. The token flow leaves it alone:
    # its session is another one, never wrapped in a token a page script could read.
    client.get(AGENT_INFO_URL)
    cookie_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    data = client.get(AGENT_INFO_URL, headers={TOKEN_HEADER: ""}).json()
    assert visitor_tokens.session_key_of(token=data["visitor_token"]) != cookie_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == cookie_key


def test_leave_message_with_a_token_needs_no_csrf_and_keeps_the_token_s_visitor():
    client = token_client()
    token = agent_info_with(client, "").json()["visitor_token"]
    response = client.post(LEAVE_URL, LEFT, headers={TOKEN_HEADER: token})
    assert response.status_code == 201
    assert LeftMessage.objects.get().session_key == visitor_tokens.session_key_of(token=token)


def test_leave_message_with_a_forged_token_is_refused_and_stores_nothing():
    response = token_client().post(LEAVE_URL, LEFT, headers={TOKEN_HEADER: "forged:1:x"})
    assert response.status_code == 403
    assert response.json()["errors"]["__all__"][0]["code"] == "invalid_token"
    assert not LeftMessage.objects.exists()


def test_the_header_exempts_only_the_chat_box_s_endpoints_from_csrf(admin_user):
    # Elsewhere the header means nothing: the cookie flow and its CSRF check, as before.
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(
        "/admin/chat/chatsettings/add/", {"welcome_text": "x"}, headers={TOKEN_HEADER: ""}
    )
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()


# --- the chat box's fragment, for the embed script -----------------------------------------------

WIDGET_URL = "/chat/widget/"


def test_the_widget_url_is_named():
    assert reverse("chat:widget") == WIDGET_URL


def fragment_config(response) -> dict:
    import json
    import re

    found = re.search(
        r'<script id="chat-config" type="application/json">(.*?)</script>',
        response.content.decode(),
    )
    return json.loads(found.group(1))


def test_the_fragment_is_the_chat_box_with_its_urls_on_this_server(client, settings):
    settings.ALLOWED_HOSTS = ["chat.example.com"]
    response = client.get(WIDGET_URL, HTTP_HOST="chat.example.com")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'id="chatboxLauncher"' in body and 'id="chatboxInputField"' in body
    config = fragment_config(response)
    assert config["base_url"] == "http://chat.example.com"
    assert config["socket_path"] == "/ws/chat/"
    assert config["theme"]["primary_color"] == "#1f7a8c"


def test_behind_the_tls_proxy_the_fragment_s_base_url_is_https(client, settings):
    settings.ALLOWED_HOSTS = ["chat.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get(
        WIDGET_URL, HTTP_HOST="chat.example.com", HTTP_X_FORWARDED_PROTO="https", secure=False
    )
    assert fragment_config(response)["base_url"] == "https://chat.example.com"


def test_the_fragment_is_the_same_for_everybody_and_briefly_cacheable(client):
    response = client.get(WIDGET_URL)
    cache_control = {value.strip() for value in response["Cache-Control"].split(",")}
    assert cache_control == {"public", f"max-age={views.WIDGET_CACHE_SECONDS}"}
    vary = {value.strip().lower() for value in response["Vary"].split(",")}
    assert {"origin", "accept-language"} <= vary
    assert "cookie" not in vary
    # No session, no CSRF token: nothing personal in it, nothing set.
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not Session.objects.exists()


def test_the_fragment_is_sent_compressed_to_browsers_that_take_it(client):
    import gzip

    response = client.get(WIDGET_URL, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert "accept-encoding" in response["Vary"].lower()
    assert b'id="chatboxLauncher"' in gzip.decompress(response.content)


def test_the_fragment_is_get_only(client):
    assert client.post(WIDGET_URL).status_code == 405


# --- the transcript by email ------------------------------------------------------------------

TRANSCRIPT_URL = "/restapi/transcript"
XSS = "<img src=x onerror=alert(1)>"


def visitor_with_a_conversation(client, *texts: str):
    """A visitor as the chat box makes one: the session its opening starts, a conversation."""
    client.get("/restapi/get-agent-info")
    conversation = services.conversation_open(session_key=client.session.session_key)
    for text in texts:
        Message.objects.create(
            conversation=conversation, sender_role="visitor", sender_name="Visitor", text=text
        )
    return conversation


def an_address() -> str:
    # Each test its own: the per-address counts outlive a test in the cache.
    return f"ann-{uuid.uuid4().hex[:12]}@example.org"


def test_transcript_url_is_named():
    assert reverse("chat:transcript") == TRANSCRIPT_URL


def test_transcript_emails_the_visitors_conversation(client, smtp_server):
    visitor_with_a_conversation(client, f"Is this escaped? {XSS}")
    to = an_address()

    response = client.post(TRANSCRIPT_URL, {"email": to})

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"ok": True}
    [received] = smtp_server.received
    assert received.rcpt_tos == [to]
    assert received.subject == "Your chat with Gopher Goods"
    assert "Case:\nHi there! I'm Case." in received.text  # the greeting
    assert f"You:\nIs this escaped? {XSS}" in received.text
    assert "Is this escaped? &lt;img src=x onerror=alert(1)&gt;" in received.html
    assert "<img" not in received.html


def test_transcript_enforces_csrf(smtp_server):
    client = Client(enforce_csrf_checks=True)
    token = client.get("/").cookies[settings.CSRF_COOKIE_NAME].value
    visitor_with_a_conversation(client)
    to = an_address()
    assert client.post(TRANSCRIPT_URL, {"email": to}).status_code == 403
    assert smtp_server.received == []
    response = client.post(TRANSCRIPT_URL, {"email": to}, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({}, "required", "Enter the email address to send the transcript to."),
        ({"email": "  "}, "required", "Enter the email address to send the transcript to."),
        ({"email": "not-an-email"}, "invalid", "Enter a valid email address."),
        (
            {"email": "a" * 250 + "@example.org"},
            "max_length",
            "Email addresses are limited to 254 characters; this one has 262.",
        ),
    ],
    ids=["missing", "blank", "invalid", "too-long"],
)
def test_transcript_with_a_bad_address_is_400_with_json_errors(
    client, smtp_server, fields, code, message
):
    visitor_with_a_conversation(client)
    response = client.post(TRANSCRIPT_URL, fields)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert list(errors) == ["email"]
    assert {"message": message, "code": code} in errors["email"]
    assert smtp_server.received == []


def test_transcript_without_a_conversation_is_404_in_words(client, smtp_server):
    client.get("/restapi/get-agent-info")  # a session, but the chat never connected
    response = client.post(TRANSCRIPT_URL, {"email": an_address()})
    assert response.status_code == 404
    assert response.json() == {
        "errors": {
            "__all__": [
                {
                    "message": "There is no chat to send yet: write to us first, then ask for it.",
                    "code": "not_found",
                }
            ]
        }
    }
    # Without any session at all, the same.
    assert Client().post(TRANSCRIPT_URL, {"email": an_address()}).status_code == 404
    assert smtp_server.received == []


def test_transcript_a_closed_conversation_is_still_sent(client, smtp_server):
    conversation = visitor_with_a_conversation(client, "Thanks, bye")
    # Staff closed it: the box still shows it until the visitor writes again.
    Conversation.objects.filter(pk=conversation.pk).update(
        state=Conversation.State.CLOSED, closed_at=timezone.now()
    )
    assert client.post(TRANSCRIPT_URL, {"email": an_address()}).status_code == 201
    assert "Thanks, bye" in smtp_server.received[0].text


def assert_rate_limited(response, *, at_most: int):
    assert response.status_code == 429
    body = response.json()
    assert body["errors"]["__all__"][0]["code"] == "rate_limited"
    assert "Please try again in" in body["errors"]["__all__"][0]["message"]
    assert 1 <= body["retry_after"] <= at_most
    assert response["Retry-After"] == str(body["retry_after"])


def test_transcript_a_visitor_gets_three_an_hour_then_429_with_retry_after(client, smtp_server):
    visitor_with_a_conversation(client)
    for _ in range(3):
        assert client.post(TRANSCRIPT_URL, {"email": an_address()}).status_code == 201
    assert_rate_limited(client.post(TRANSCRIPT_URL, {"email": an_address()}), at_most=3600)
    assert len(smtp_server.received) == 3
    # Another visitor is not held back.
    other = Client()
    visitor_with_a_conversation(other)
    assert other.post(TRANSCRIPT_URL, {"email": an_address()}).status_code == 201


def test_transcript_an_address_gets_five_a_day_whoever_asks(smtp_server):
    to = an_address()
    for _ in range(5):
        visitor = Client()
        visitor_with_a_conversation(visitor)
        assert visitor.post(TRANSCRIPT_URL, {"email": to}).status_code == 201
    sixth = Client()
    visitor_with_a_conversation(sixth)
    assert_rate_limited(sixth.post(TRANSCRIPT_URL, {"email": to.upper()}), at_most=24 * 3600)
    assert len(smtp_server.received) == 5
    # The sixth visitor still has their own three, to other addresses.
    assert sixth.post(TRANSCRIPT_URL, {"email": an_address()}).status_code == 201


def test_transcript_with_the_mail_server_down_is_502_and_loses_nothing(client, settings, smtp_down):
    conversation = visitor_with_a_conversation(client, "Keep this")
    to = an_address()
    for _ in range(4):  # a failure takes none of the visitor's three
        response = client.post(TRANSCRIPT_URL, {"email": to})
        assert response.status_code == 502
        assert response.json() == {
            "errors": {
                "__all__": [
                    {
                        "message": "Your transcript could not be sent just now. "
                        "Please try again in a moment.",
                        "code": "not_sent",
                    }
                ]
            }
        }
    assert list(conversation.messages.values_list("text", flat=True))[-1] == "Keep this"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back up
    for _ in range(3):
        assert client.post(TRANSCRIPT_URL, {"email": to}).status_code == 201


def test_transcript_an_oversized_body_is_413_and_sends_nothing(client, smtp_server):
    visitor_with_a_conversation(client)
    body = urlencode({"email": an_address(), "padding": "x" * 5000})
    response = client.post(TRANSCRIPT_URL, body, content_type=FORM)
    assert response.status_code == 413
    assert response.json()["errors"]["__all__"][0]["code"] == "too_large"
    assert "limited to 4096 bytes" in response.json()["errors"]["__all__"][0]["message"]
    assert smtp_server.received == []


def test_transcript_the_longest_address_fits_the_body_limit(client, mailoutbox):
    # 254 characters of 4 bytes each, percent-encoded: 12 bytes a character. Not an address the
    # form takes, but one it answers in words, never a 413.
    visitor_with_a_conversation(client)
    body = urlencode({"email": "🐹" * 254, "csrfmiddlewaretoken": "t" * 64})
    assert len(body) <= views.transcript_body_limit() == 4096
    response = client.post(TRANSCRIPT_URL, body, content_type=FORM)
    assert response.status_code == 400
    assert response.json()["errors"]["email"][0]["code"] == "invalid"


def test_transcript_is_post_only(client):
    assert client.get(TRANSCRIPT_URL).status_code == 405
