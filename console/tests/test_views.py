import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from chat.tests.conftest import make_agent
from console import services
from console.models import CannedResponse

pytestmark = pytest.mark.django_db


def test_the_console_asks_who_you_are_first(client):
    response = client.get(reverse("console:staff_console"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_permission_to_chat_are_refused(client):
    client.force_login(make_agent("carl", permission=False))
    assert client.get(reverse("console:staff_console")).status_code == 403


def test_an_agent_gets_the_console_with_the_left_messages(client):
    client.force_login(make_agent("anna"))
    response = client.get(reverse("console:staff_console"))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "console/console.html"
    assert response["Cache-Control"].startswith("max-age=0")
    assert get_user_model().objects.filter(username="anna").exists()


# --- canned responses (JSON) ------------------------------------------------------------------

CANNED_URL = "/staff/canned/"


def canned_url(response_id: int) -> str:
    return f"{CANNED_URL}{response_id}/"


@pytest.fixture
def agent(client):
    """An agent of the "Agents" group, as sites make them: they may edit canned responses."""
    user = make_agent("anna", permission=False)
    user.groups.add(Group.objects.get(name="Agents"))
    client.force_login(user)
    return user


def put(client, url, body):
    return client.put(url, json.dumps(body), content_type="application/json")


def post(client, body):
    return client.post(CANNED_URL, json.dumps(body), content_type="application/json")


def test_the_urls_are_named():
    assert reverse("console:canned_responses") == CANNED_URL
    assert reverse("console:canned_response", args=[7]) == canned_url(7)


def test_an_agent_lists_adds_changes_and_deletes_canned_responses(client, agent):
    listed = client.get(CANNED_URL)
    assert listed.status_code == 200
    assert listed["Cache-Control"].startswith("max-age=0")
    assert listed.json() == {
        "responses": [],
        "can": {"add": True, "change": True, "delete": True},
        "fallbacks": {"visitor_name": "there"},
    }

    created = post(client, {"shortcut": "Hi", "title": "Hello", "text": "Hi {visitor_name}!"})
    assert created.status_code == 201
    response = created.json()["response"]
    assert response == {
        "id": response["id"],
        "shortcut": "hi",
        "title": "Hello",
        "text": "Hi {visitor_name}!",
        "parts": [{"text": "Hi "}, {"placeholder": "visitor_name"}, {"text": "!"}],
    }
    assert client.get(CANNED_URL).json()["responses"] == [response]

    changed = put(
        client, canned_url(response["id"]), {"shortcut": "hi", "title": "Hi", "text": "Hey"}
    )
    assert changed.status_code == 200
    assert changed.json()["response"]["text"] == "Hey"

    assert client.delete(canned_url(response["id"])).status_code == 204
    assert not CannedResponse.objects.exists()
    gone = client.delete(canned_url(response["id"]))
    assert gone.status_code == 404
    assert gone.json() == {
        "detail": "There is no such canned response: someone may have deleted it."
    }


def test_what_is_not_valid_is_answered_by_field_and_nothing_is_stored(client, agent):
    services.canned_response_create(shortcut="taken", title="Taken", text="x")
    refused = post(client, {"shortcut": "taken", "title": "", "text": "Hi {name} {"})
    assert refused.status_code == 400
    assert refused.json() == {
        "errors": {
            "shortcut": ["Canned response with this Shortcut already exists."],
            "title": ["This field cannot be blank."],
            "text": [
                "A brace alone at character 11: write {{ or }} for a brace itself, and "
                "placeholders as {visitor_name} or {agent_name}."
            ],
        }
    }
    assert CannedResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ("not json", {"__all__": ["The body must be a JSON object."]}),
        ("[1]", {"__all__": ["The body must be a JSON object."]}),
        (
            json.dumps({"shortcut": 5, "title": ["x"], "text": "x"}),
            {"shortcut": ["Must be a string."], "title": ["Must be a string."]},
        ),
    ],
)
def test_a_body_that_is_not_an_object_of_strings_is_refused_in_words(client, agent, body, errors):
    response = client.post(CANNED_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


def test_a_refused_change_keeps_the_response_as_it_was(client, agent):
    kept = services.canned_response_create(shortcut="kept", title="Kept", text="Kept.")
    refused = put(client, canned_url(kept.pk), {"shortcut": "kept", "title": "Kept", "text": "}"})
    assert refused.status_code == 400
    assert CannedResponse.objects.get().text == "Kept."


def test_agents_without_the_permissions_read_but_do_not_write(client):
    client.force_login(make_agent("carl"))  # may chat; not in the Agents group
    kept = services.canned_response_create(shortcut="kept", title="Kept", text="Kept.")
    listed = client.get(CANNED_URL).json()
    assert [r["shortcut"] for r in listed["responses"]] == ["kept"]
    assert listed["can"] == {"add": False, "change": False, "delete": False}
    assert post(client, {"shortcut": "x", "title": "X", "text": "X"}).json() == {
        "detail": "You may not add canned responses."
    }
    assert put(client, canned_url(kept.pk), {}).status_code == 403
    assert client.delete(canned_url(kept.pk)).status_code == 403
    assert CannedResponse.objects.count() == 1


@pytest.mark.parametrize("who", ["anonymous", "not_allowed_to_chat"])
def test_only_staff_who_may_chat_reach_canned_responses(client, who):
    if who != "anonymous":
        client.force_login(make_agent("carl", permission=False))
    response = client.get(CANNED_URL)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Log in as staff with the permission to chat with visitors."
    }


def test_writes_need_the_csrf_token(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    body = json.dumps({"shortcut": "x", "title": "X", "text": "X"})
    assert client.post(CANNED_URL, body, content_type="application/json").status_code == 403
    token = client.get("/staff/").cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        CANNED_URL, body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201


def test_other_methods_are_refused(client, agent):
    assert client.patch(CANNED_URL).status_code == 405
    assert client.get(canned_url(1)).status_code == 405
