import pytest
from django.conf import settings
from django.urls import reverse

from bots.models import Agent
from chat.models import Product

pytestmark = pytest.mark.django_db


def test_the_demo_products_are_installed_by_migration():
    assert Product.objects.count() >= 5


def test_product_list_links_every_product_and_carries_the_chat_box(client):
    response = client.get(reverse("chat:product_list"))
    assert response.status_code == 200
    for product in Product.objects.all():
        assert product.get_absolute_url() in response.content.decode()
    assertChatBox(response)


def test_product_detail_shows_name_description_price_and_stock(client):
    product = Product.objects.create(
        name="Test Gopher", slug="test-gopher", description="Fluffy.", price="9.50", stock=3
    )
    response = client.get(product.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Test Gopher" in body
    assert "Fluffy." in body
    assert "9.50" in body
    assert "In stock: 3" in body
    assertChatBox(response)


def test_out_of_stock_is_said(client):
    product = Product.objects.create(name="Gone", slug="gone", description="-", price=1, stock=0)
    assert "Out of stock" in client.get(product.get_absolute_url()).content.decode()


def test_unknown_product_is_404(client):
    assert client.get("/products/no-such-thing/").status_code == 404


def test_product_text_is_escaped(client):
    product = Product.objects.create(
        name="<script>alert(1)</script>", slug="xss", description="<b>x</b>", price=1, stock=1
    )
    body = client.get(product.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_a_page_sets_the_session_cookie_the_chat_socket_needs(client):
    response = client.get(reverse("chat:product_list"))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["httponly"]
    # Later pages keep the same session, so the socket finds the same conversation.
    client.get(reverse("chat:product_list"))
    assert client.session.session_key == cookie.value


def test_agent_info_has_exactly_the_seed_fields(client):
    response = client.get("/restapi/get-agent-info")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "AgentName": "Case",
        "AgentTitle": "Resident Isomorphic Gopher Agent",
        "AgentThumbImagePath": "/static/images/chat/Case.png",
    }


def test_agent_info_follows_an_edit_in_admin(client):
    agent = Agent.objects.get(slug="case")
    agent.name = "Molly"
    agent.thumbnail_path = "https://cdn.example.com/molly.png"
    agent.save()
    data = client.get("/restapi/get-agent-info").json()
    assert data["AgentName"] == "Molly"
    assert data["AgentThumbImagePath"] == "https://cdn.example.com/molly.png"


def test_agent_info_is_get_only(client):
    assert client.post("/restapi/get-agent-info").status_code == 405


def test_the_thumbnail_is_a_served_static_file():
    from django.contrib.staticfiles import finders

    assert finders.find("images/chat/Case.png")


def assertChatBox(response):
    body = response.content.decode()
    assert 'id="chatboxContainer"' in body
    assert 'id="chatboxInputField"' in body
    assert 'placeholder="Type your message here..."' in body
    assert "chat/chat.js" in body
    # The chat box sits beneath the primary content, as in the seed's layout.
    assert body.index('id="primaryContent"') < body.index('id="chatboxContainer"')
