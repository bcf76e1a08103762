"""The OpenAPI document: valid, free of drf-spectacular's warnings, and saying what the API
does (the fuzz test in test_api_fuzz.py holds the API to it)."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/me", "get"),
    ("/api/v1/users/{user_id}", "get"),
    ("/api/v1/users/{user_id}", "patch"),
    ("/api/v1/users/{user_id}/clients", "get"),
    ("/api/v1/users/{user_id}/clients", "post"),
    ("/api/v1/users/{user_id}/clients/{client_id}", "patch"),
    ("/api/v1/users/{user_id}/clients/{client_id}", "delete"),
    ("/api/v1/users/{user_id}/present_agents", "get"),
    ("/api/v1/users/{user_id}/routed_chats", "get"),
    ("/api/v1/users/{user_id}/pending_chats", "get"),
    ("/api/v1/users/{user_id}/routed_chats/{chat_id}", "get"),
    ("/api/v1/users/{user_id}/chats/{chat_id}", "get"),
    ("/api/v1/users/{user_id}/routed_chats/{chat_id}/memberships", "post"),
    ("/api/v1/users/{user_id}/pending_chats/{chat_id}/memberships", "post"),
    ("/api/v1/users/{user_id}/chats/{chat_id}/memberships/{member_id}", "patch"),
    ("/api/v1/users/{user_id}/chats/{chat_id}/memberships/{member_id}", "delete"),
    ("/api/v1/users/{user_id}/chats/{chat_id}/messages", "get"),
    ("/api/v1/users/{user_id}/chats/{chat_id}/messages", "post"),
    ("/api/v1/users/{user_id}/chats/{chat_id}/handover", "post"),
}


@pytest.fixture(scope="module")
def document() -> dict:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_spectacular_validates_the_schema_without_a_warning(tmp_path):
    # --fail-on-warn turns every warning (an untyped field, a path parameter it could not
    # type, a serializer it had to guess) into a failure; --validate checks OpenAPI 3.
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["paths"]


def test_every_operation_is_documented_and_nothing_else(document):
    documented = {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "patch", "put", "delete"}
    }
    assert documented == OPERATIONS


def test_every_operation_takes_either_credential_and_documents_the_shared_errors(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"accessToken": []}, {"apiKey": []}], path
            responses = operation["responses"]
            for code in ("401", "429"):
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (path, method, code)
            assert "Retry-After" in responses["429"]["headers"]
            assert "WWW-Authenticate" in responses["401"]["headers"]
            if "{user_id}" in path:
                assert "403" in responses, (path, method)
            if "requestBody" in operation or method in {"post", "patch"}:
                assert {"400", "413", "415"} <= set(responses), (path, method)
            if "{chat_id}" in path:
                assert "404" in responses, (path, method)


def test_path_parameters_are_typed(document):
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    expected = "string" if parameter["name"] == "client_id" else "integer"
                    assert parameter["schema"]["type"] == expected, (path, parameter)


def test_request_bodies_refuse_unknown_fields(document):
    schemas = document["components"]["schemas"]
    for name in (
        "UserUpdateRequest",
        "PresenceRequest",
        "MembershipCreateRequest",
        "MembershipUpdateRequest",
        "MessageCreateRequest",
        "AttachmentRequest",
        "ButtonActionRequest",
        "LinkActionRequest",
    ):
        assert schemas[name]["additionalProperties"] is False, name


def test_patch_bodies_keep_their_required_fields(document):
    schemas = document["components"]["schemas"]
    assert schemas["UserUpdateRequest"]["required"] == ["is_online_enabled"]
    assert schemas["PresenceRequest"]["required"] == ["presence_expires_in"]
    assert schemas["MembershipUpdateRequest"]["required"] == ["composing_status"]
    assert not any(name.startswith("Patched") for name in schemas)


def test_the_message_body_states_its_limits(document):
    schemas = document["components"]["schemas"]
    message = schemas["MessageCreateRequest"]["properties"]
    assert message["message"]["maxLength"] == 2000
    assert message["attachments"]["maxItems"] == 5
    actions = schemas["AttachmentRequest"]["properties"]["actions"]
    assert (actions["minItems"], actions["maxItems"]) == (1, 10)
    assert schemas["ActionRequest"]["discriminator"]["mapping"] == {
        "button": "#/components/schemas/ButtonActionRequest",
        "link": "#/components/schemas/LinkActionRequest",
    }
    assert schemas["PresenceRequest"]["properties"]["presence_expires_in"]["maximum"] == 86_400


def test_the_message_post_documents_idempotency(document):
    operation = document["paths"]["/api/v1/users/{user_id}/chats/{chat_id}/messages"]["post"]
    (key,) = [p for p in operation["parameters"] if p["in"] == "header"]
    assert key["name"] == "Idempotency-Key"
    assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]
    assert {"200", "201", "409"} <= set(operation["responses"])
