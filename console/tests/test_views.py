import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from chat.tests.conftest import make_agent

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
