"""The shop's products, which the chat app held until its migration 0010.

The tables, their rows and the demo products stay where they are; this migration only tells
Django that the shop owns them now, and moves their content types (and with them staff's
permissions and admin history) to the shop. 0002 renames the tables.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ["product", "productattribute"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label="shop", model__in=MOVED).values_list(
            "model", flat=True
        )
    )
    ContentType.objects.filter(app_label="chat", model__in=set(MOVED) - taken).update(
        app_label="shop"
    )


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="shop", model__in=MOVED).update(app_label="chat")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("chat", "0010_products_move_to_shop"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Product",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        ("slug", models.SlugField(unique=True)),
                        ("description", models.TextField()),
                        ("price", models.DecimalField(decimal_places=2, max_digits=10)),
                        ("stock", models.PositiveIntegerField(default=0)),
                    ],
                    options={"ordering": ["name"], "db_table": "chat_product"},
                ),
                migrations.CreateModel(
                    name="ProductAttribute",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        ("value", models.CharField(max_length=300)),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                        (
                            "product",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attributes",
                                to="shop.product",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["product", "position", "id"],
                        "db_table": "chat_productattribute",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("product", "name"), name="chat_attribute_product_name"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
