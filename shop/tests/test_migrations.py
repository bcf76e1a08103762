"""Products moved from the chat app to the shop: a database that held them keeps every row."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("chat", "0009_demo_product_attributes"), ("shop", None)]
AFTER = [("chat", "0010_products_move_to_shop"), ("shop", "0002_shop_tables")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


# Transactional, as migrations need; the serialized rollback (as every transactional test of
# the suite has) restores the migrated data for the tests after it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def old_apps():
    apps = migrate(BEFORE)
    yield apps
    # Whatever the test did, the database ends on the newest schema for the tests after it.
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


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
