"""console/admin.py: canned responses in admin, validated as the console validates them."""

import pytest
from django.contrib.auth.models import User

from console.models import CannedResponse

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/console/cannedresponse/add/"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "r@x.org", "pw"))
    return client


def test_canned_responses_are_listed_and_searched(admin_client):
    CannedResponse.objects.create(shortcut="hello", title="Hello", text="Hi!")
    CannedResponse.objects.create(shortcut="bye", title="Goodbye", text="Bye!")
    page = admin_client.get("/admin/console/cannedresponse/?q=good")
    assert page.status_code == 200
    assert [r.shortcut for r in page.context["cl"].result_list] == ["bye"]


def test_a_canned_response_is_added_in_admin_kept_in_lower_case(admin_client):
    response = admin_client.post(
        ADD_URL, {"shortcut": "Shipping", "title": "Shipping", "text": "Hi {visitor_name}"}
    )
    assert response.status_code == 302
    assert CannedResponse.objects.get().shortcut == "shipping"


def test_admin_refuses_an_unknown_placeholder_in_the_console_s_words(admin_client):
    response = admin_client.post(
        ADD_URL, {"shortcut": "x", "title": "X", "text": "Hi {first_name}"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "text": [
            "Unknown placeholder {first_name}: use {visitor_name} or {agent_name} "
            "(write {{ or }} for a brace itself)."
        ]
    }
    assert not CannedResponse.objects.exists()
