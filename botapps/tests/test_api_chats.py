"""Conversations through the bot API: which ones a bot sees, joining them (and losing the race
to join), typing, leaving, and handing over to people."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from botapps.models import Membership
from chat import services
from chat.models import Conversation, Message
from chat.tests.conftest import (
    make_agent,
    new_session_key,
    set_auto_assign,
    set_bot_enabled,
    visitor_communicator,
)
from testsupport.harness import require_concurrent_writers, run_at_once

from . import test_api_support as support
from .test_api_support import Api, error, make_bot_app, routed_conversation

pytestmark = pytest.mark.django_db
own_rate_counters, robo, api = support.own_rate_counters, support.robo, support.api

JOIN = {"is_participating": True, "composing_status": "idle"}


def waiting(conversation: Conversation) -> Conversation:
    """The conversation, now waiting for someone to join (the visitor asked for a person)."""
    Conversation.objects.filter(pk=conversation.pk).update(state=Conversation.State.WAITING)
    conversation.refresh_from_db()
    return conversation


def join(api: Api, conversation: Conversation, *, kind: str = "routed_chats", body=JOIN):
    return api.post(f"/users/{{me}}/{kind}/{conversation.pk}/memberships", body)


# --- what a bot sees --------------------------------------------------------------------------


def test_routed_chats_are_the_open_conversations_routed_to_the_bot_newest_first(api):
    first, second = routed_conversation(), routed_conversation()
    closed = routed_conversation()
    Conversation.objects.filter(pk=closed.pk).update(state=Conversation.State.CLOSED)
    make_bot_app("Later")  # not active when they started: not routed to it
    response = api.get("/users/{me}/routed_chats")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 2
    assert [chat["id"] for chat in page["results"]] == [second.pk, first.pk]
    assert page["results"][0] == {
        "id": second.pk,
        "state": "bot",
        "is_pending": False,
        "is_closed": False,
        "assigned_user_id": None,
        "created_at": page["results"][0]["created_at"],
        "last_message_at": page["results"][0]["last_message_at"],
        "page": "",
        "product": None,
    }


def test_another_apps_conversations_are_not_listed(api):
    routed_conversation()
    later = make_bot_app("Later")
    assert Api.with_key(later).get("/users/{me}/routed_chats").json()["count"] == 0


def test_routed_chats_come_in_pages(api):
    chats = [routed_conversation() for _ in range(3)]
    page = api.get("/users/{me}/routed_chats?page_size=2").json()
    assert (page["count"], len(page["results"]), page["previous"]) == (3, 2, None)
    rest = api.get(page["next"]).json()
    assert [chat["id"] for chat in rest["results"]] == [chats[0].pk]
    assert rest["next"] is None


@pytest.mark.parametrize("query", ["page_size=0", "page_size=201", "page_size=ten", "page_size="])
def test_a_page_size_out_of_bounds_is_400(api, query):
    body = error(api.get(f"/users/{{me}}/routed_chats?{query}"), 400, "invalid")
    assert list(body["fields"]) == ["page_size"]


def test_a_page_past_the_end_is_404(api):
    routed_conversation()
    error(api.get("/users/{me}/routed_chats?page=2"), 404, "not_found")
    error(api.get("/users/{me}/pending_chats?page=x"), 404, "not_found")


def test_pending_chats_are_the_routed_ones_waiting_for_someone(api):
    waiting_one = waiting(routed_conversation())
    routed_conversation()
    page = api.get("/users/{me}/pending_chats").json()
    assert [chat["id"] for chat in page["results"]] == [waiting_one.pk]
    assert page["results"][0]["is_pending"] is True


@pytest.mark.parametrize("kind", ["chats", "routed_chats"])
def test_a_conversation_routed_to_the_bot(api, kind):
    conversation = routed_conversation()
    response = api.get(f"/users/{{me}}/{kind}/{conversation.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == conversation.pk


@pytest.mark.parametrize(
    "path",
    [
        "/users/{{me}}/chats/{id}",
        "/users/{{me}}/routed_chats/{id}",
        "/users/{{me}}/chats/{id}/messages",
    ],
)
def test_another_apps_conversation_is_404_as_if_it_did_not_exist(api, path):
    conversation = routed_conversation()
    later = Api.with_key(make_bot_app("Later"))
    theirs = later.get(path.format(id=conversation.pk))
    missing = later.get(path.format(id=conversation.pk + 1000))
    never = later.get(path.format(id=99_999_999_999_999_999))
    assert error(theirs, 404, "not_found") == error(missing, 404, "not_found")
    assert error(never, 404, "not_found") == theirs.json()


def test_another_apps_conversation_cannot_be_joined_written_to_or_handed_over(api):
    conversation = routed_conversation()
    later = Api.with_key(make_bot_app("Later"))
    error(join(later, conversation), 404, "not_found")
    error(join(later, waiting(conversation), kind="pending_chats"), 404, "not_found")
    chat = f"/users/{{me}}/chats/{conversation.pk}"
    error(later.post(f"{chat}/messages", {"message": "hi"}), 404, "not_found")
    error(later.post(f"{chat}/handover", {}), 404, "not_found")
    error(
        later.patch(f"{chat}/memberships/{{me}}", {"composing_status": "typing"}), 404, "not_found"
    )
    error(later.delete(f"{chat}/memberships/{{me}}"), 404, "not_found")
    assert not Membership.objects.exists()


# --- joining ----------------------------------------------------------------------------------


def test_joining_a_routed_conversation_reserves_it_for_the_bot(api, robo):
    conversation = routed_conversation()
    response = join(api, conversation)
    assert response.status_code == 201
    membership = response.json()
    assert membership == {
        "chat_id": conversation.pk,
        "user_id": robo.app.user_id,
        "is_participating": True,
        "composing_status": "idle",
        "created_at": membership["created_at"],
    }
    conversation.refresh_from_db()
    assert (conversation.state, conversation.assigned_agent_id) == ("agent", robo.app.user_id)
    assert api.get(f"/users/{{me}}/chats/{conversation.pk}").json()["assigned_user_id"] == (
        robo.app.user_id
    )


def test_the_join_body_has_defaults(api, robo):
    conversation = routed_conversation()
    response = api.post(f"/users/{{me}}/routed_chats/{conversation.pk}/memberships")
    assert response.status_code == 201
    assert response.json()["is_participating"] is True


def test_joining_without_participating_leaves_it_to_others(api, robo):
    conversation = routed_conversation()
    response = join(api, conversation, body={"is_participating": False})
    assert response.status_code == 201
    assert response.json()["is_participating"] is False
    conversation.refresh_from_db()
    assert conversation.assigned_agent_id is None


@pytest.mark.parametrize(
    "body",
    [
        {"is_participating": "true"},
        {"composing_status": "busy"},
        {"composing_status": 1},
        {"is_participating": True, "role": "admin"},
    ],
)
def test_a_join_body_is_checked_strictly(api, body):
    conversation = routed_conversation()
    error(join(api, conversation, body=body), 400, "invalid")
    assert not Membership.objects.exists()


def test_two_apps_join_one_pending_conversation_the_second_is_told_taken(robo):
    other = make_bot_app("Other")
    conversation = waiting(routed_conversation())
    first = join(Api.with_key(robo), conversation, kind="pending_chats")
    assert first.status_code == 201
    body = error(join(Api.with_key(other), conversation, kind="pending_chats"), 404, "taken")
    assert "someone else joined" in body["detail"].lower()
    # Through routed_chats too: 404, and the sentence says why.
    body = error(join(Api.with_key(other), conversation), 404, "taken")
    assert body["detail"].startswith("Someone else joined this conversation first")
    conversation.refresh_from_db()
    assert conversation.assigned_agent_id == robo.app.user_id


def test_a_person_who_took_it_first_wins_over_the_bot(api):
    anna = make_agent("anna", first_name="Anna")
    conversation = waiting(routed_conversation())
    services.conversation_take(conversation_id=conversation.pk, user=anna)
    error(join(api, conversation, kind="pending_chats"), 404, "taken")
    error(join(api, conversation), 404, "taken")
    conversation.refresh_from_db()
    assert conversation.assigned_agent_id == anna.pk


def test_a_person_auto_assignment_gave_it_to_wins_over_the_bot_as_after_a_take(api):
    set_auto_assign(True)
    anna = make_agent("anna", first_name="Anna")
    conversation = waiting(routed_conversation())
    assert services.conversations_assign() == [(conversation.pk, anna.pk)]
    error(join(api, conversation, kind="pending_chats"), 404, "taken")
    error(join(api, conversation), 404, "taken")
    conversation.refresh_from_db()
    assert conversation.assigned_agent_id == anna.pk


def test_auto_assignment_gives_conversations_to_people_never_to_a_bot_app_online(api, robo):
    set_auto_assign(True)
    assert api.post("/users/{me}/clients", {"presence_expires_in": 600}).status_code == 201
    assert api.patch("/users/{me}", {"is_online_enabled": True}).json()["is_online"] is True
    conversation = waiting(routed_conversation())
    assert services.conversations_assign() == []
    conversation.refresh_from_db()
    assert (conversation.state, conversation.assigned_agent_id) == ("waiting", None)


def test_a_conversation_that_does_not_wait_is_not_pending(api):
    conversation = routed_conversation()  # with the site's bot, nobody asked for a person
    error(join(api, conversation, kind="pending_chats"), 404, "taken")


def test_joining_a_closed_conversation_is_409_closed(api):
    conversation = routed_conversation()
    Conversation.objects.filter(pk=conversation.pk).update(state=Conversation.State.CLOSED)
    error(join(api, conversation), 409, "closed")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_apps_joining_at_once_over_http_one_wins():
    """Requests in threads, each with its own database connection: the database decides."""
    require_concurrent_writers()
    apps = [make_bot_app(f"Racer{n}") for n in range(4)]
    conversation = waiting(routed_conversation())
    statuses: list[tuple[int, str]] = []

    def join_as(creds) -> None:
        response = join(Api.with_key(creds), conversation, kind="pending_chats")
        statuses.append((response.status_code, response.json().get("code", "")))

    assert run_at_once(join_as, apps) == []
    assert sorted(statuses) == [(201, "")] + [(404, "taken")] * 3
    conversation.refresh_from_db()
    assert Membership.objects.filter(conversation=conversation, is_participating=True).count() == 1
    assert conversation.assigned_agent_id in {creds.app.user_id for creds in apps}


# --- typing and leaving -----------------------------------------------------------------------


def test_typing_is_set_on_the_bots_own_membership(api, robo):
    conversation = routed_conversation()
    join(api, conversation)
    path = f"/users/{{me}}/chats/{conversation.pk}/memberships/{{me}}"
    response = api.patch(path, {"composing_status": "typing"})
    assert response.status_code == 200
    assert response.json()["composing_status"] == "typing"
    assert Membership.objects.get(conversation=conversation).composing_status == "typing"
    error(api.patch(path, {"composing_status": "writing"}), 400, "invalid")
    error(api.patch(path, {}), 400, "invalid")


def test_another_members_membership_is_403(api, robo):
    conversation = routed_conversation()
    join(api, conversation)
    other = make_bot_app("Other")
    chat = f"/users/{{me}}/chats/{conversation.pk}"
    error(
        api.patch(f"{chat}/memberships/{other.app.user_id}", {"composing_status": "typing"}),
        403,
        "forbidden",
    )
    error(api.delete(f"{chat}/memberships/{other.app.user_id}"), 403, "forbidden")


def test_typing_without_membership_is_409(api):
    conversation = routed_conversation()
    path = f"/users/{{me}}/chats/{conversation.pk}/memberships/{{me}}"
    error(api.patch(path, {"composing_status": "typing"}), 409, "not_a_member")
    join(api, conversation, body={"is_participating": False})
    # A member who does not answer the conversation does not type to its visitor.
    error(api.patch(path, {"composing_status": "typing"}), 409, "not_yours")


def test_typing_in_a_closed_conversation_is_409_closed(api):
    conversation = routed_conversation()
    join(api, conversation)
    Conversation.objects.filter(pk=conversation.pk).update(state=Conversation.State.CLOSED)
    path = f"/users/{{me}}/chats/{conversation.pk}/memberships/{{me}}"
    error(api.patch(path, {"composing_status": "typing"}), 409, "closed")


def test_leaving_gives_the_conversation_back(api, robo):
    conversation = routed_conversation()
    join(api, conversation)
    path = f"/users/{{me}}/chats/{conversation.pk}/memberships/{{me}}"
    assert api.delete(path).status_code == 204
    conversation.refresh_from_db()
    assert (conversation.state, conversation.assigned_agent_id) == ("bot", None)
    assert not Membership.objects.exists()
    error(api.delete(path), 409, "not_a_member")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_bots_typing_reaches_the_visitors_socket():
    session_key = await sync_to_async(new_session_key)()
    creds = await sync_to_async(make_bot_app)("Robo")
    visitor = visitor_communicator(session_key)
    connected, _ = await visitor.connect()
    assert connected
    while (await visitor.receive_json_from(5))["type"] != "status":
        pass
    conversation = await sync_to_async(Conversation.objects.get)(session_key=session_key)
    api = Api.with_key(creds)
    joined = await sync_to_async(join)(api, conversation)
    assert joined.status_code == 201
    path = f"/users/{{me}}/chats/{conversation.pk}/memberships/{{me}}"

    async def next_typing() -> dict:
        while True:
            frame = await visitor.receive_json_from(5)
            if frame["type"] == "typing":
                return frame

    response = await sync_to_async(api.patch)(path, {"composing_status": "typing"})
    assert response.status_code == 200
    assert await next_typing() == {
        "type": "typing",
        "active": True,
        "sender": {"role": "agent", "name": "Robo", "title": "Helper"},
    }
    await sync_to_async(api.patch)(path, {"composing_status": "idle"})
    assert (await next_typing())["active"] is False
    await visitor.disconnect()
    await asyncio.sleep(0)


# --- handing over -----------------------------------------------------------------------------


def test_handing_over_with_a_person_present_invites_them(api):
    anna = make_agent("anna", first_name="Anna", title="Support")
    make_agent("ben", first_name="Ben", accepting=False)
    conversation = routed_conversation()
    join(api, conversation)
    response = api.post(f"/users/{{me}}/chats/{conversation.pk}/handover", {})
    assert response.status_code == 200
    assert response.json() == {
        "invited": [{"id": anna.pk, "name": "Anna", "title": "Support"}],
        "nobody_present": False,
    }
    conversation.refresh_from_db()
    assert (conversation.state, conversation.assigned_agent_id) == ("waiting", None)
    assert not Membership.objects.exists()
    last = Message.objects.filter(conversation=conversation).last()
    assert last.text.startswith("Robo asked someone from the team to join.")


def test_handing_over_with_nobody_there_says_so_and_offers_to_leave_a_message(api):
    set_bot_enabled(False)
    conversation = routed_conversation()
    join(api, conversation)
    response = api.post(f"/users/{{me}}/chats/{conversation.pk}/handover")  # an empty body
    assert response.status_code == 200
    assert response.json() == {"invited": [], "nobody_present": True}
    last = Message.objects.filter(conversation=conversation).last()
    assert "Leave your email" in last.text


def test_handing_over_needs_membership_and_an_empty_body(api):
    conversation = routed_conversation()
    path = f"/users/{{me}}/chats/{conversation.pk}/handover"
    error(api.post(path, {}), 409, "not_a_member")
    join(api, conversation)
    body = error(api.post(path, {"to": "anna"}), 400, "invalid")
    assert "to" in body["fields"]
    Conversation.objects.filter(pk=conversation.pk).update(state=Conversation.State.CLOSED)
    error(api.post(path, {}), 409, "closed")


def test_the_present_agents_tell_a_bot_whether_handing_over_would_reach_anybody(api):
    assert api.get("/users/{me}/present_agents").json() == []
    make_agent("anna", first_name="Anna")
    assert [agent["name"] for agent in api.get("/users/{me}/present_agents").json()] == ["Anna"]


def test_an_unauthenticated_join_changes_nothing():
    conversation = routed_conversation()
    response = Client().post(
        f"/api/v1/users/1/routed_chats/{conversation.pk}/memberships",
        JOIN,
        content_type="application/json",
    )
    error(response, 401, "not_authenticated")
    assert not Membership.objects.exists()
