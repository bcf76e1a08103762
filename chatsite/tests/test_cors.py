"""CORS (django-cors-headers): the chat box's endpoints answer the scripts of exactly the sites
staff allowed to embed the chat (ChatSettings), with the visitor-token header and no cookies;
nothing else of the site answers any other site."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from chat.cross_origin import CROSS_ORIGIN_VIEWS
from chat.models import ChatSettings

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.org"
ENDPOINTS = ["/restapi/get-agent-info", "/restapi/chat-status", "/chat/widget/"]


@pytest.fixture(autouse=True)
def allowed():
    ChatSettings.objects.create(allowed_origins=f"{SHOP}\nhttp://localhost:8001")


def acao(response) -> str | None:
    return response.headers.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_listed_site_reads_the_chat_box_s_endpoints(client, url):
    response = client.get(url, headers={"Origin": SHOP})
    assert response.status_code == 200
    assert acao(response) == SHOP
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "origin" in response["Vary"].lower()


def test_a_listed_site_posts_a_left_message_with_its_token():
    client = Client(enforce_csrf_checks=True)
    token = client.get(
        "/restapi/get-agent-info", headers={"Origin": SHOP, "X-Chat-Visitor-Token": ""}
    ).json()["visitor_token"]
    response = client.post(
        "/chat/leave-message",
        {"name": "Ann", "email": "ann@example.org", "text": "Hello"},
        headers={"Origin": SHOP, "X-Chat-Visitor-Token": token},
    )
    assert response.status_code == 201
    assert acao(response) == SHOP


def test_a_refused_token_is_readable_by_the_listed_site_so_it_can_start_again(client):
    response = client.get(
        "/restapi/get-agent-info", headers={"Origin": SHOP, "X-Chat-Visitor-Token": "forged"}
    )
    assert response.status_code == 403
    assert acao(response) == SHOP


@pytest.mark.parametrize("url", ["/restapi/get-agent-info", "/chat/leave-message"])
def test_the_preflight_allows_the_token_header_and_no_credentials(client, url):
    response = client.options(
        url,
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-chat-visitor-token",
        },
    )
    assert response.status_code == 200
    assert acao(response) == SHOP
    allowed_headers = response["Access-Control-Allow-Headers"].lower().split(", ")
    assert "x-chat-visitor-token" in allowed_headers
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://shop.example.org",  # another scheme is another origin
        "https://shop.example.org:8443",
        "https://sub.shop.example.org",
        "https://shop.example.org.evil.example",
        "null",
    ],
)
@pytest.mark.parametrize("url", ENDPOINTS)
def test_any_other_origin_gets_no_cors_headers(client, url, origin):
    response = client.get(url, headers={"Origin": origin})
    assert acao(response) is None


def test_the_preflight_of_an_unlisted_site_allows_nothing(client):
    response = client.options(
        "/chat/leave-message",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert acao(response) is None
    assert "Access-Control-Allow-Headers" not in response.headers


@pytest.mark.parametrize("url", ["/", "/admin/login/", "/staff/", "/api/v1/me", "/static/x"])
def test_a_listed_site_gets_nothing_from_the_rest_of_the_site(client, url):
    response = client.get(url, headers={"Origin": SHOP})
    assert acao(response) is None
    preflight = client.options(
        url, headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"}
    )
    assert acao(preflight) is None


def test_an_origin_removed_in_admin_is_refused_from_the_next_request(client):
    assert acao(client.get("/restapi/chat-status", headers={"Origin": SHOP})) == SHOP
    row = ChatSettings.objects.get()
    row.allowed_origins = "http://localhost:8001"
    row.save()
    assert acao(client.get("/restapi/chat-status", headers={"Origin": SHOP})) is None


def test_the_url_pattern_covers_exactly_the_chat_box_s_endpoints():
    pattern = re.compile(settings.CORS_URLS_REGEX)
    for name in CROSS_ORIGIN_VIEWS:
        try:
            path = reverse(name)
        except NoReverseMatch:
            assert name == "chat:transcript"  # another change adds it
            continue
        assert pattern.match(path), name
    for path in ["/", "/admin/", "/staff/", "/api/v1/me", "/restapi/get-agent-info/x"]:
        assert not pattern.match(path), path
