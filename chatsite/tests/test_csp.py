"""The site's Content-Security-Policy (django-csp, chatsite/csp.py)."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User

from chat.models import ChatSettings
from chat.tests.conftest import make_agent

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_the_shop_s_pages_get_a_strict_policy(client):
    csp = policy(client.get("/"))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    # The chat box's socket, on the host the page came from.
    assert csp["connect-src"] == ["'self'", "ws://testserver"]
    assert csp["frame-ancestors"] == ["'self'"]


def test_over_https_the_socket_is_wss(client):
    csp = policy(client.get("/", secure=True))
    assert csp["connect-src"] == ["'self'", "wss://testserver"]


def test_the_sites_allowed_to_embed_the_chat_may_frame_the_shop_s_pages(client):
    ChatSettings.objects.create(allowed_origins="https://shop.example.org\nhttp://localhost:8001")
    csp = policy(client.get("/"))
    assert csp["frame-ancestors"] == ["'self'", "https://shop.example.org", "http://localhost:8001"]


def test_nobody_frames_the_admin_and_its_own_inline_styles_are_allowed(client):
    ChatSettings.objects.create(allowed_origins="https://shop.example.org")
    client.force_login(User.objects.create_superuser("root", "r@x.org", "pw"))
    for url in ["/admin/", "/admin/chat/conversation/", "/admin/chat/chatsettings/add/"]:
        csp = policy(client.get(url))
        assert csp["frame-ancestors"] == ["'none'"], url
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"], url
        assert csp["script-src"] == ["'self'"], url
    # Its login page too.
    client.logout()
    assert policy(client.get("/admin/login/"))["frame-ancestors"] == ["'none'"]


def test_nobody_frames_the_staff_console_and_it_runs_on_the_strict_policy(client):
    ChatSettings.objects.create(allowed_origins="https://shop.example.org")
    client.force_login(make_agent("anna"))
    response = client.get("/staff/")
    assert response.status_code == 200
    csp = policy(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["style-src"] == ["'self'"]


def test_json_answers_carry_no_policy(client):
    assert "Content-Security-Policy" not in client.get("/restapi/chat-status")
    assert "Content-Security-Policy" not in client.get("/restapi/get-agent-info")


def test_x_frame_options_stays_deny_for_browsers_without_csp(client):
    assert client.get("/")["X-Frame-Options"] == "DENY"
    assert client.get("/chat/widget/")["X-Frame-Options"] == "DENY"


class InlineCode(HTMLParser):
    """What a page holds that the policy would block: scripts that run without a src (JSON data
    blocks do not run), event-handler attributes, javascript: URLs, style blocks and style
    attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        runs = attributes.get("type") != "application/json"
        if tag == "script" and "src" not in attributes and runs:
            self.scripts.append(self.get_starttag_text())
        if any(name.startswith("on") for name in attributes):
            self.scripts.append(self.get_starttag_text())
        if any(
            (value or "").strip().lower().startswith("javascript:") for value in attributes.values()
        ):
            self.scripts.append(self.get_starttag_text())
        if tag == "style" or "style" in attributes:
            self.styles.append(self.get_starttag_text())


def inline_code(response) -> InlineCode:
    assert response.status_code == 200, response
    found = InlineCode()
    found.feed(response.content.decode())
    return found


def test_the_shop_s_pages_and_the_console_hold_nothing_the_policy_blocks(client):
    from shop.models import Product

    product = Product.objects.first()
    pages = ["/", product.get_absolute_url(), "/chat/widget/"]
    for url in pages:
        found = inline_code(client.get(url))
        assert found.scripts == [] and found.styles == [], url
    client.force_login(make_agent("anna"))
    found = inline_code(client.get("/staff/"))
    assert found.scripts == [] and found.styles == []


def test_the_admin_runs_no_inline_script(client):
    # Its styles may be inline (the admin's own policy allows them); its scripts may not.
    client.force_login(User.objects.create_superuser("root", "r@x.org", "pw"))
    for url in [
        "/admin/",
        "/admin/chat/conversation/",
        "/admin/chat/chatsettings/add/",
        "/admin/chat/agentstatus/add/",
        "/admin/bots/knowledgeentry/",
        "/admin/bots/knowledgeentry/add/",
        "/admin/botapps/botapp/add/",
    ]:
        assert inline_code(client.get(url)).scripts == [], url
