"""Who may call the bot API, how often, and the shape of what it answers when it refuses."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client

from botapps import conf, services

from . import test_api_support as support
from .test_api_support import Api, access_token, error, make_bot_app

pytestmark = pytest.mark.django_db
own_rate_counters, robo, api = support.own_rate_counters, support.robo, support.api


def test_an_api_key_authenticates_as_the_apps_bot_user(robo):
    response = Api.with_key(robo).get("/me")
    assert response.status_code == 200
    assert response.json()["id"] == robo.app.user_id
    assert response.json()["name"] == "Robo"


def test_an_access_token_authenticates_as_the_apps_bot_user(robo):
    response = Api.with_token(robo.app).get("/users/{me}")
    assert response.status_code == 200
    assert response.json()["id"] == robo.app.user_id


def test_without_credentials_it_is_401_with_both_schemes_offered():
    response = Client().get("/api/v1/me")
    error(response, 401, "not_authenticated")
    challenge = response["WWW-Authenticate"]
    assert "Bearer" in challenge and "Token" in challenge


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Bearer",
        "Bearer two parts",
        "Token cbk_not-a-key",
        "Token",
    ],
)
def test_forged_or_malformed_credentials_are_401(robo, authorization):
    response = Api(authorization).get("/me")
    error(response, 401, "authentication_failed")
    assert "Bearer" in response["WWW-Authenticate"]


def test_another_scheme_is_not_credentials():
    error(Api("Basic dXNlcjpwYXNz").get("/me"), 401, "not_authenticated")


def test_a_token_signed_with_another_key_is_401(robo, settings):
    token = access_token(robo.app)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    error(Api(f"Bearer {token}").get("/me"), 401, "authentication_failed")


def test_an_expired_access_token_is_401(robo, monkeypatch):
    api = Api.with_token(robo.app)
    assert api.get("/me").status_code == 200
    later = time.time() + conf.get("CHAT_API_TOKEN_EXPIRES_IN") + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    body = error(api.get("/me"), 401, "authentication_failed")
    assert "expired" in body["detail"]


def test_rotating_the_api_key_ends_old_tokens_and_the_old_key(robo):
    old_token, old_key = Api.with_token(robo.app), Api.with_key(robo)
    new_key = services.bot_app_api_key_rotate(app=robo.app)
    error(old_token.get("/me"), 401, "authentication_failed")
    error(old_key.get("/me"), 401, "authentication_failed")
    assert Api(f"Token {new_key}").get("/me").status_code == 200
    assert Api.with_token(robo.app).get("/me").status_code == 200


def test_a_deactivated_app_can_use_neither_its_key_nor_its_token(robo):
    token = access_token(robo.app)
    services.bot_app_update(
        app=robo.app,
        name="Robo",
        title="Helper",
        avatar="",
        webhook_url="http://127.0.0.1:9/hook",
        subscriptions={},
        is_active=False,
    )
    body = error(Api.with_key(robo).get("/me"), 401, "authentication_failed")
    assert "deactivated" in body["detail"]
    error(Api(f"Bearer {token}").get("/me"), 401, "authentication_failed")


def test_a_token_of_an_inactive_app_from_its_current_generation_is_refused_too(robo):
    token = access_token(robo.app)
    # Deactivated without the service (which bumps the generation): still refused.
    type(robo.app).objects.filter(pk=robo.app.pk).update(is_active=False)
    error(Api(f"Bearer {token}").get("/me"), 401, "authentication_failed")


def test_another_users_path_is_403_naming_the_user_the_credentials_act_as(api, robo):
    other = make_bot_app("Other")
    for path in (
        f"/users/{other.app.user_id}",
        f"/users/{other.app.user_id}/clients",
        f"/users/{other.app.user_id}/routed_chats",
        f"/users/{other.app.user_id}/chats/1/messages",
    ):
        body = error(api.get(path), 403, "forbidden")
        assert f"act as user {robo.app.user_id}" in body["detail"]


def test_the_rate_limit_is_per_bot_app_with_retry_after(robo, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"bot_app": "3/minute"},
    }
    api = Api.with_key(robo)
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/users/{me}")
    body = error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Retry-After"] in body["detail"]
    # Keyed by app, not by address: another bot from the same address is not held back.
    other = make_bot_app("Other")
    assert Api.with_key(other).get("/me").status_code == 200
    # A token of the same app counts with its key.
    assert Api.with_token(robo.app).get("/me").status_code == 429


def test_the_schema_is_public_and_not_rate_limited(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"bot_app": "1/minute"},
    }
    for _ in range(3):
        response = Client().get("/api/schema/?format=json")
        assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["components"]["securitySchemes"]) == {"accessToken", "apiKey"}
    assert "/api/v1/users/{user_id}/chats/{chat_id}/messages" in document["paths"]


def test_an_unknown_path_under_the_api_is_a_json_404(api):
    error(api.get("/users/{me}/nothing"), 404, "not_found")
    error(api.get("/users/{me}/"), 404, "not_found")
    error(Client().get("/api/v2/me"), 404, "not_found")


def test_a_method_the_endpoint_has_not_is_405(api):
    error(
        api.client.put(api.url("/users/{me}"), "{}", "application/json"), 405, "method_not_allowed"
    )
    error(api.delete("/users/{me}/routed_chats"), 405, "method_not_allowed")


def test_malformed_json_is_400_parse_error(api):
    body = error(api.patch("/users/{me}", '{"is_online_enabled": tru'), 400, "parse_error")
    assert body["fields"] == {}
    error(api.patch("/users/{me}", b"\xff\xfe{}"), 400, "parse_error")
    error(api.patch("/users/{me}", '{"is_online_enabled": NaN}'), 400, "parse_error")


def test_a_body_that_is_not_json_is_415(api):
    error(
        api.patch("/users/{me}", "is_online_enabled=1", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    form = api.client.patch(
        api.url("/users/{me}"),
        "is_online_enabled=true",
        content_type="application/x-www-form-urlencoded",
    )
    error(form, 415, "unsupported_media_type")


def test_a_body_without_content_type_is_415_not_ignored(api):
    response = api.client.generic(
        "PATCH", api.url("/users/{me}"), b'{"is_online_enabled": true}', content_type=""
    )
    error(response, 415, "unsupported_media_type")


def test_a_body_over_the_limit_is_413_unread(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = error(
        api.patch("/users/{me}", {"is_online_enabled": True, "x": "a" * 2000}), 413, "too_large"
    )
    assert "1000" in body["detail"]


def test_a_body_that_is_not_an_object_is_400(api):
    body = error(api.patch("/users/{me}", [1, 2]), 400, "invalid")
    assert list(body["fields"]) == ["non_field_errors"]


def test_options_is_405_not_a_description(api):
    error(api.client.options(api.url("/users/{me}")), 405, "method_not_allowed")


def test_unknown_query_parameters_are_refused_by_name(api):
    body = error(api.get("/users/{me}/routed_chats?pagesize=10"), 400, "invalid")
    assert list(body["fields"]) == ["pagesize"]
    assert "page_size" in body["fields"]["pagesize"][0]
    error(api.get("/users/{me}?verbose=1"), 400, "invalid")
    assert api.get("/users/{me}/routed_chats?page=1&page_size=10").status_code == 200
