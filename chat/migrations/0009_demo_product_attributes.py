"""The demo products' details, as their pages show them and the bot answers from them."""

from django.db import migrations

ATTRIBUTES = {
    "gopher-plush-toy": [
        ("Height", "30 cm"),
        ("Material", "soft polyester plush"),
        ("Care", "hand wash only"),
        ("Age", "3 years and up"),
    ],
    "isomorphic-go-book": [
        ("Author", "Kamesh Balasubramanian"),
        ("Format", "Paperback"),
        ("Pages", "500"),
        ("Language", "English"),
        ("Publisher", "Packt Publishing"),
        ("Published", "2017"),
    ],
    "gopher-coffee-mug": [
        ("Capacity", "350 ml"),
        ("Material", "ceramic"),
        ("Dishwasher safe", "yes"),
        ("Microwave safe", "yes"),
    ],
    "gopher-sticker-pack": [
        ("Stickers", "12"),
        ("Material", "vinyl"),
        ("Waterproof", "yes"),
        ("Finish", "matte"),
    ],
    "gopher-hoodie": [
        ("Material", "100% cotton"),
        ("Sizes", "S, M, L, XL, XXL"),
        ("Colour", "navy blue"),
        ("Fit", "regular"),
    ],
    "mechanical-keyboard-gopher-edition": [
        ("Switches", "tactile brown"),
        ("Layout", "US ANSI, full size"),
        ("Connection", "USB-C cable"),
        ("Keycaps", "PBT, gopher-blue"),
    ],
}


def install_attributes(apps, schema_editor):
    Product = apps.get_model("chat", "Product")
    ProductAttribute = apps.get_model("chat", "ProductAttribute")
    for product in Product.objects.filter(slug__in=list(ATTRIBUTES)):
        ProductAttribute.objects.bulk_create(
            [
                ProductAttribute(product=product, name=name, value=value, position=position)
                for position, (name, value) in enumerate(ATTRIBUTES[product.slug])
            ],
            ignore_conflicts=True,
        )


def remove_attributes(apps, schema_editor):
    apps.get_model("chat", "ProductAttribute").objects.filter(
        product__slug__in=list(ATTRIBUTES)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("chat", "0008_product_attributes")]
    operations = [migrations.RunPython(install_attributes, remove_attributes)]
