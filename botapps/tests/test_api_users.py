"""The bot user, its user clients (presence), going online, and who else is there."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from botapps.models import BotApp
from chat.models import AgentClient
from chat.tests.conftest import console_open, make_agent, set_bot_enabled

from . import test_api_support as support
from .test_api_support import Api, error, make_bot_app

pytestmark = pytest.mark.django_db
own_rate_counters, robo, api = support.own_rate_counters, support.robo, support.api


def chat_online() -> bool:
    response = Client().get("/restapi/chat-status")
    assert response.status_code == 200
    return response.json()["online"]


def test_the_user_resource(api, robo):
    response = api.get("/users/{me}")
    assert response.status_code == 200
    assert response.json() == {
        "id": robo.app.user_id,
        "name": "Robo",
        "title": "Helper",
        "avatar": None,
        "is_online_enabled": False,
        "is_present": False,
        "is_online": False,
    }
    assert api.get("/me").json() == response.json()


@pytest.mark.parametrize(
    ("avatar", "url"),
    [
        ("images/chat/Case.png", "http://testserver/static/images/chat/Case.png"),
        ("https://cdn.example.com/robo.png", "https://cdn.example.com/robo.png"),
    ],
)
def test_the_avatar_is_an_absolute_url(avatar, url):
    creds = make_bot_app("Pic", avatar=avatar)
    assert Api.with_key(creds).get("/users/{me}").json()["avatar"] == url


def test_present_and_online_enabled_the_bot_makes_the_chat_online(api, robo):
    set_bot_enabled(False)  # the site's own bot, Case, switched off: nobody answers
    assert chat_online() is False

    created = api.post("/users/{me}/clients", {"presence_expires_in": 600})
    assert created.status_code == 201
    client = created.json()
    assert set(client) == {"id", "expires_at", "is_present"}
    assert client["is_present"] is True
    user = api.get("/users/{me}").json()
    assert (user["is_present"], user["is_online"]) == (True, False)
    assert chat_online() is False  # present, but not online

    response = api.patch("/users/{me}", {"is_online_enabled": True})
    assert response.status_code == 200
    assert response.json()["is_online_enabled"] is True
    assert response.json()["is_online"] is True
    assert BotApp.objects.get(pk=robo.app.pk).is_online_enabled is True
    assert chat_online() is True

    assert api.delete(f"/users/{{me}}/clients/{client['id']}").status_code == 204
    user = api.get("/users/{me}").json()
    assert (user["is_online_enabled"], user["is_present"], user["is_online"]) == (
        True,
        False,
        False,
    )
    assert chat_online() is False

    api.post("/users/{me}/clients", {"presence_expires_in": 600})
    assert chat_online() is True
    assert api.patch("/users/{me}", {"is_online_enabled": False}).json()["is_online"] is False
    assert chat_online() is False


@pytest.mark.parametrize(
    "body",
    [
        {"is_online_enabled": "true"},
        {"is_online_enabled": 1},
        {"is_online_enabled": None},
        {},
        {"is_online_enabled": True, "is_present": True},
    ],
)
def test_going_online_takes_a_json_boolean_and_nothing_else(api, body):
    response = api.patch("/users/{me}", body)
    fields = error(response, 400, "invalid")["fields"]
    assert set(fields) == (set(body) - {"is_online_enabled"} or {"is_online_enabled"})


def test_an_unknown_field_is_named(api):
    body = error(api.patch("/users/{me}", {"is_online_enabld": True}), 400, "invalid")
    assert "is_online_enabld" in body["fields"]
    assert "is_online_enabld" in body["detail"]


def test_clients_are_listed_renewed_and_deleted(api, robo):
    first = api.post("/users/{me}/clients", {"presence_expires_in": 60}).json()
    listed = api.get("/users/{me}/clients")
    assert listed.status_code == 200
    assert listed.json() == [first]

    renewed = api.patch(f"/users/{{me}}/clients/{first['id']}", {"presence_expires_in": 3600})
    assert renewed.status_code == 200
    assert renewed.json()["id"] == first["id"]
    assert datetime.fromisoformat(renewed.json()["expires_at"]) > datetime.fromisoformat(
        first["expires_at"]
    )
    assert AgentClient.objects.filter(user=robo.app.user).count() == 1

    assert api.delete(f"/users/{{me}}/clients/{first['id']}").status_code == 204
    assert api.get("/users/{me}/clients").json() == []
    error(api.delete(f"/users/{{me}}/clients/{first['id']}"), 404, "not_found")
    error(
        api.patch(f"/users/{{me}}/clients/{first['id']}", {"presence_expires_in": 60}),
        404,
        "not_found",
    )


def test_another_apps_or_an_agents_client_is_not_the_bots(api):
    other = make_bot_app("Other")
    theirs = Api.with_key(other).post("/users/{me}/clients", {"presence_expires_in": 60})
    anna = make_agent("anna")
    console = AgentClient.objects.get(user=anna)
    for key in (theirs.json()["id"], console.key):
        error(
            api.patch(f"/users/{{me}}/clients/{key}", {"presence_expires_in": 60}), 404, "not_found"
        )
        error(api.delete(f"/users/{{me}}/clients/{key}"), 404, "not_found")
    assert AgentClient.objects.filter(key=console.key).exists()
    assert api.get("/users/{me}/clients").json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"presence_expires_in": 0},
        {"presence_expires_in": -5},
        {"presence_expires_in": 86_401},
        {"presence_expires_in": "60"},
        {"presence_expires_in": 60.5},
        {"presence_expires_in": True},
        {"presence_expires_in": None},
        {},
        {"presence_expires_in": 60, "client": "x"},
    ],
)
def test_presence_expires_in_is_a_whole_number_within_bounds(api, body):
    error(api.post("/users/{me}/clients", body), 400, "invalid")
    assert api.get("/users/{me}/clients").json() == []


def test_the_longest_presence_is_a_setting(api, settings):
    settings.CHAT_API_MAX_PRESENCE_EXPIRES_IN = 100
    error(api.post("/users/{me}/clients", {"presence_expires_in": 101}), 400, "invalid")
    assert api.post("/users/{me}/clients", {"presence_expires_in": 100}).status_code == 201


def test_present_agents_are_the_people_with_a_console_open(api):
    anna = make_agent("anna", first_name="Anna", title="Support")
    ben = make_agent("ben", first_name="Ben", title="Sales", accepting=False)
    make_agent("cleo", first_name="Cleo", present=False)
    gone = make_agent("dan", first_name="Dan", present=False)
    console_open(gone, seconds=-1)  # expired
    # A present bot app is not a person who could take over.
    Api.with_key(make_bot_app("Other")).post("/users/{me}/clients", {"presence_expires_in": 60})
    response = api.get("/users/{me}/present_agents")
    assert response.status_code == 200
    assert response.json() == [
        {"id": anna.pk, "name": "Anna", "title": "Support", "is_accepting": True},
        {"id": ben.pk, "name": "Ben", "title": "Sales", "is_accepting": False},
    ]


def test_nobody_present_is_an_empty_list(api):
    assert api.get("/users/{me}/present_agents").json() == []
