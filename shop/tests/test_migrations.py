"""Products moved from the chat app to the shop: a database that held them keeps every row."""

from decimal import Decimal

import pytest

from testsupport.migrations import migrate, migrated_back

BEFORE = [("chat", "0009_demo_product_attributes"), ("shop", None)]
AFTER = [("chat", "0010_products_move_to_shop"), ("shop", "0002_shop_tables")]
# Transactional with a serialized rollback, as testsupport.migrations explains.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def old_apps():
    with migrated_back(BEFORE) as apps:
        yield apps


def test_moving_products_to_the_shop_keeps_every_row(old_apps):
    Product = old_apps.get_model("chat", "Product")
    Attribute = old_apps.get_model("chat", "ProductAttribute")
    Conversation = old_apps.get_model("chat", "Conversation")
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    lamp = Product.objects.create(
        name="Gopher Lamp", slug="gopher-lamp", description="Bright.", price="19.99", stock=4
    )
    Attribute.objects.create(product=lamp, name="Power", value="5 W", position=0)
    on_page = Conversation.objects.create(session_key="s1", current_product=lamp)
    no_page = Conversation.objects.create(session_key="s2")
    ContentType.objects.get_or_create(app_label="chat", model="product")
    products = sorted(Product.objects.values_list("pk", "slug", "name", "price", "stock"))
    attributes = sorted(Attribute.objects.values_list("pk", "product_id", "name", "value"))

    new_apps = migrate(AFTER)

    Product = new_apps.get_model("shop", "Product")
    Attribute = new_apps.get_model("shop", "ProductAttribute")
    Conversation = new_apps.get_model("chat", "Conversation")
    ContentType = new_apps.get_model("contenttypes", "ContentType")
    assert sorted(Product.objects.values_list("pk", "slug", "name", "price", "stock")) == products
    assert sorted(Attribute.objects.values_list("pk", "product_id", "name", "value")) == attributes
    assert Product.objects.get(slug="gopher-lamp").price == Decimal("19.99")
    assert Conversation.objects.get(pk=on_page.pk).current_product_id == lamp.pk
    assert Conversation.objects.get(pk=no_page.pk).current_product_id is None
    assert ContentType.objects.filter(app_label="shop", model="product").exists()
    assert not ContentType.objects.filter(app_label="chat", model="product").exists()
    assert Product._meta.db_table == "shop_product"


def test_the_move_can_be_undone_without_losing_a_row(old_apps):
    Product = old_apps.get_model("chat", "Product")
    count = Product.objects.count()
    migrate(AFTER)
    back = migrate(BEFORE)
    assert back.get_model("chat", "Product").objects.count() == count
