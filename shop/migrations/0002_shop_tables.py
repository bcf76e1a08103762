"""The products' tables and their constraint take the shop's name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AlterModelTable(name="product", table=None),
        migrations.AlterModelTable(name="productattribute", table=None),
        migrations.RemoveConstraint(
            model_name="productattribute", name="chat_attribute_product_name"
        ),
        migrations.AddConstraint(
            model_name="productattribute",
            constraint=models.UniqueConstraint(
                fields=("product", "name"), name="shop_attribute_product_name"
            ),
        ),
    ]
