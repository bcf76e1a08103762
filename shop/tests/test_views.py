import pytest
from django.urls import reverse

from shop.models import Product

pytestmark = pytest.mark.django_db


def test_the_demo_products_are_installed_by_migration():
    assert Product.objects.count() >= 5


def test_product_list_links_every_product_and_carries_the_chat_box(client):
    response = client.get(reverse("shop:product_list"))
    assert response.status_code == 200
    for product in Product.objects.all():
        assert product.get_absolute_url() in response.content.decode()
    assert 'id="chatboxContainer"' in response.content.decode()


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
    assert 'id="chatboxContainer"' in response.content.decode()


def test_product_detail_lists_the_details_staff_gave(client):
    book = Product.objects.get(slug="isomorphic-go-book")
    body = client.get(book.get_absolute_url()).content.decode()
    assert '<th scope="row">Format</th><td>Paperback</td>' in body
    assert '<th scope="row">Author</th><td>Kamesh Balasubramanian</td>' in body
    bare = Product.objects.create(name="Bare", slug="bare", description="-", price=1, stock=1)
    assert "productAttributes" not in client.get(bare.get_absolute_url()).content.decode()


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
