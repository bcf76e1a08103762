"""Products move to the shop app (shop/migrations/0001 takes over their tables, rows and all).

The conversation keeps the id of the product its page showed, as a plain number in the same
column: the chat reads products through its catalog (chat/catalog.py), so a site without a
shop can run it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("chat", "0009_demo_product_attributes")]

    operations = [
        migrations.AlterField(
            model_name="conversation",
            name="current_product",
            field=models.BigIntegerField(blank=True, null=True, db_column="current_product_id"),
        ),
        migrations.RenameField(
            model_name="conversation", old_name="current_product", new_name="current_product_id"
        ),
        migrations.AlterField(
            model_name="conversation",
            name="current_product_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ProductAttribute"),
                migrations.DeleteModel(name="Product"),
            ],
        ),
    ]
