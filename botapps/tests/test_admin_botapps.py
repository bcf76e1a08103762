"""Bot apps and their webhook deliveries in admin: credentials shown once, rotation, the
delivery log with its attempts, and "Retry now"."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from botapps import credentials, services, tasks
from botapps.api.authentication import AccessTokenAuthentication, ApiKeyAuthentication
from botapps.models import BotApp, WebhookAttempt, WebhookDelivery
from chat.models import AgentStatus

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
CREDENTIAL = re.compile(r'<code class="credential">([^<]+)</code>')
NOT_AGAIN = "will not be shown again"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "r@x.org", "pw"))
    return client


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Delivery ids queued, captured instead of sent."""
    captured: list[int] = []
    monkeypatch.setattr(
        tasks.webhook_deliver,
        "send_with_options",
        lambda *, args=(), delay=None, **kw: captured.append(args[0]),
    )
    return captured


def make_app(name: str = "Helper", **overrides) -> services.BotAppCredentials:
    fields = {
        "name": name,
        "title": "Shop assistant",
        "avatar": "",
        "webhook_url": "https://bot.example.com/hooks",
        "subscriptions": {"subscribes_member_messages": True},
        "is_active": True,
    }
    return services.bot_app_create(**(fields | overrides))


def shown(response) -> list[str]:
    return CREDENTIAL.findall(response.content.decode())


def api_key_works(key: str) -> bool:
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    try:
        return ApiKeyAuthentication().authenticate(request) is not None
    except AuthenticationFailed:
        return False


def access_token_works(token: str) -> bool:
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    try:
        return AccessTokenAuthentication().authenticate(request) is not None
    except AuthenticationFailed:
        return False


# --- bot apps ---------------------------------------------------------------------------------


def test_creating_a_bot_app_shows_its_secret_and_key_once(admin_client):
    response = admin_client.post(
        "/admin/botapps/botapp/add/",
        {
            "name": "Helper",
            "title": "Shop assistant",
            "avatar": "images/chat/Case.png",
            "webhook_url": "https://bot.example.com/hooks",
            "subscribes_pending_conversations": "on",
            "subscribes_member_messages": "on",
            "is_active": "on",
            "_save": "Save",
        },
    )
    app = BotApp.objects.get(name="Helper")
    # To the new app's page (not the list), where the credentials are.
    assert response.status_code == 302
    assert response["Location"] == f"/admin/botapps/botapp/{app.pk}/change/"
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    secret, key = shown(page)
    assert NOT_AGAIN in page.content.decode()
    assert secret == app.signing_secret
    assert key.startswith(credentials.API_KEY_PREFIX)
    assert app.api_key_digest == credentials.api_key_digest(key)
    assert api_key_works(key)
    # Never in a cookie on the way (message storage is a cookie first).
    assert all(secret not in c.value and key not in c.value for c in response.cookies.values())

    again = admin_client.get(f"/admin/botapps/botapp/{app.pk}/change/")
    assert shown(again) == []
    assert secret not in again.content.decode() and key not in again.content.decode()

    assert (app.avatar, app.webhook_url, app.is_active) == (
        "images/chat/Case.png",
        "https://bot.example.com/hooks",
        True,
    )
    assert (app.subscribes_pending_conversations, app.subscribes_member_messages) == (True, True)
    assert (app.subscribes_routed_conversations, app.subscribes_routed_messages) == (False, False)
    assert AgentStatus.objects.get(user=app.user).title == "Shop assistant"


def test_a_bot_app_is_edited_through_the_service(admin_client):
    app = make_app().app
    page = admin_client.get(f"/admin/botapps/botapp/{app.pk}/change/")
    assert page.context["adminform"].form["title"].value() == "Shop assistant"
    token = credentials.access_token_issue(app_id=app.pk, token_generation=app.token_generation)

    response = admin_client.post(
        f"/admin/botapps/botapp/{app.pk}/change/",
        {
            "name": "Helper 2",
            "title": "Sales",
            "avatar": "",
            "webhook_url": "https://bot.example.com/v2",
            "subscribes_routed_messages": "on",
            "_save": "Save",
        },  # is_active unticked: deactivated
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.name, app.webhook_url, app.is_active) == (
        "Helper 2",
        "https://bot.example.com/v2",
        False,
    )
    assert (app.subscribes_routed_messages, app.subscribes_member_messages) == (True, False)
    assert AgentStatus.objects.get(user=app.user).title == "Sales"
    assert app.user.first_name == "Helper 2"
    # Deactivation (the service's doing) ends the tokens given out.
    assert not access_token_works(token)


def test_rotating_the_signing_secret_asks_first_and_shows_the_new_one_once(admin_client):
    made = make_app()
    app = made.app
    page = admin_client.get(f"/admin/botapps/botapp/{app.pk}/change/")
    rotate_url = f"/admin/botapps/botapp/{app.pk}/rotate/signing-secret/"
    assert rotate_url in page.content.decode()

    confirm = admin_client.get(rotate_url)
    assert confirm.status_code == 200
    assert "must check signatures with it at once" in confirm.content.decode()
    app.refresh_from_db()
    assert app.signing_secret == made.signing_secret  # asking changed nothing

    response = admin_client.post(rotate_url)
    assert response["Location"] == f"/admin/botapps/botapp/{app.pk}/change/"
    page = admin_client.get(response["Location"])
    [secret] = shown(page)
    app.refresh_from_db()
    assert secret == app.signing_secret != made.signing_secret
    assert shown(admin_client.get(response["Location"])) == []


def test_rotating_the_api_key_ends_the_old_key_and_every_access_token(admin_client):
    made = make_app()
    app = made.app
    old_token = credentials.access_token_issue(
        app_id=app.pk, token_generation=app.token_generation
    ).access_token
    assert api_key_works(made.api_key) and access_token_works(old_token)

    response = admin_client.post(f"/admin/botapps/botapp/{app.pk}/rotate/api-key/")
    [key] = shown(admin_client.get(response["Location"]))

    app.refresh_from_db()
    assert app.token_generation == 2
    assert key != made.api_key and api_key_works(key)
    assert not api_key_works(made.api_key)
    assert not access_token_works(old_token)
    fresh = credentials.access_token_issue(app_id=app.pk, token_generation=app.token_generation)
    assert access_token_works(fresh.access_token)


def test_rotating_from_the_list_shows_each_new_value_in_the_response(admin_client):
    first, second = make_app("First"), make_app("Second")
    response = admin_client.post(
        "/admin/botapps/botapp/",
        {"action": "rotate_signing_secrets", "_selected_action": [first.app.pk, second.app.pk]},
    )
    assert response.status_code == 200
    assert NOT_AGAIN in response.content.decode()
    values = shown(response)
    first.app.refresh_from_db()
    second.app.refresh_from_db()
    assert sorted(values) == sorted([first.app.signing_secret, second.app.signing_secret])
    assert first.signing_secret not in values


def test_unknown_rotations_and_apps_are_404(admin_client):
    app = make_app().app
    assert admin_client.get(f"/admin/botapps/botapp/{app.pk}/rotate/password/").status_code == 404
    assert admin_client.post("/admin/botapps/botapp/999999/rotate/api-key/").status_code == 404


def test_staff_who_may_only_look_cannot_rotate(client):
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_botapp"))
    client.force_login(viewer)
    app = make_app().app
    assert client.post(f"/admin/botapps/botapp/{app.pk}/rotate/api-key/").status_code == 403
    assert (
        "Rotate API key"
        not in client.get(f"/admin/botapps/botapp/{app.pk}/change/").content.decode()
    )


def test_the_list_shows_subscriptions_and_delivery_counts(admin_client):
    app = make_app(
        subscriptions={"subscribes_pending_conversations": True, "subscribes_member_messages": True}
    ).app
    for status in [Status.PENDING, Status.DELIVERED, Status.DELIVERED, Status.FAILED]:
        WebhookDelivery.objects.create(app=app, event="member_message", resource={}, status=status)
    page = admin_client.get("/admin/botapps/botapp/").content.decode()
    assert "pending conversations, member messages" in page
    assert f"?app__id__exact={app.pk}&amp;status__exact=delivered" in page
    assert ">2 delivered</a>" in page and ">1 pending</a>" in page and ">1 failed</a>" in page


# --- deliveries -------------------------------------------------------------------------------


def make_failed_delivery(app: BotApp) -> WebhookDelivery:
    row = WebhookDelivery.objects.create(
        app=app,
        event="member_message",
        resource={"id": "0b6c", "message": "Do you ship to Mars?", "chat_id": 7},
        status=Status.FAILED,
        attempts=2,
        last_error="HTTP 500 Internal Server Error: boom",
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )
    WebhookAttempt.objects.create(
        delivery=row, number=1, duration_ms=12, status_code=None, error="Could not connect: x"
    )
    WebhookAttempt.objects.create(
        delivery=row, number=2, duration_ms=34, status_code=500, error="HTTP 500 Internal: boom"
    )
    return row


def test_a_delivery_shows_its_resource_and_attempts_read_only(admin_client):
    row = make_failed_delivery(make_app().app)
    page = admin_client.get(f"/admin/botapps/webhookdelivery/{row.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    pretty = json.dumps(row.resource, indent=2, sort_keys=True).replace('"', "&quot;")
    assert pretty in html
    assert "Could not connect: x" in html and "HTTP 500 Internal: boom" in html
    assert str(row.uid) in html
    assert 'name="_save"' not in html  # nothing to edit
    assert admin_client.get("/admin/botapps/webhookdelivery/add/").status_code == 403


def test_deliveries_list_filters_by_status_event_and_app(admin_client):
    app = make_app().app
    make_failed_delivery(app)
    WebhookDelivery.objects.create(app=app, event="routed_message", resource={})
    for query, count in [
        ("", 2),
        ("?status__exact=failed", 1),
        ("?event__exact=routed_message", 1),
        (f"?app__id__exact={app.pk}", 2),
    ]:
        response = admin_client.get(f"/admin/botapps/webhookdelivery/{query}")
        assert response.context["cl"].result_count == count, query


def test_retry_now_queues_failed_deliveries_again_keeping_their_attempts(
    admin_client, sent, django_capture_on_commit_callbacks
):
    app = make_app().app
    failed = make_failed_delivery(app)
    delivered = WebhookDelivery.objects.create(
        app=app, event="member_message", resource={}, status=Status.DELIVERED, attempts=1
    )
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):  # queued once committed
        response = admin_client.post(
            "/admin/botapps/webhookdelivery/",
            {"action": "retry_now", "_selected_action": [failed.pk, delivered.pk]},
            follow=True,
        )
    assert "1 of 2 deliveries will be retried now." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 2)
    assert failed.next_attempt_at >= before
    assert sent == [failed.pk]
    delivered.refresh_from_db()
    assert delivered.status == Status.DELIVERED


def test_staff_who_may_only_look_at_deliveries_cannot_retry(client):
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    client.force_login(viewer)
    row = make_failed_delivery(make_app().app)
    page = client.get("/admin/botapps/webhookdelivery/")
    assert page.status_code == 200
    assert "retry_now" not in page.content.decode()
    detail = client.get(f"/admin/botapps/webhookdelivery/{row.pk}/change/").content.decode()
    assert "HTTP 500 Internal: boom" in detail  # the attempts, with the delivery
