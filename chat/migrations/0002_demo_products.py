"""A handful of demo products, so that a fresh database has a shop to browse."""

from decimal import Decimal

from django.db import migrations

PRODUCTS = [
    (
        "Gopher Plush Toy",
        "gopher-plush-toy",
        "A soft, huggable Go gopher, 30 cm tall. Keeps you company through long compile times "
        "(which, with Go, are short).",
        Decimal("19.99"),
        42,
    ),
    (
        "Isomorphic Go Book",
        "isomorphic-go-book",
        "Learn to build isomorphic web applications in Go: code that runs on both the web "
        "server and the web client. Paperback, 500 pages.",
        Decimal("44.99"),
        15,
    ),
    (
        "Gopher Coffee Mug",
        "gopher-coffee-mug",
        "A 350 ml ceramic mug with a gopher who has clearly had enough coffee. Dishwasher safe.",
        Decimal("12.50"),
        120,
    ),
    (
        "Gopher Sticker Pack",
        "gopher-sticker-pack",
        "Twelve vinyl stickers of gophers at work and play, for laptops and water bottles.",
        Decimal("6.00"),
        300,
    ),
    (
        "Gopher Hoodie",
        "gopher-hoodie",
        "A warm, heavyweight cotton hoodie with an embroidered gopher. Sizes S to XXL.",
        Decimal("49.00"),
        0,
    ),
    (
        "Mechanical Keyboard, Gopher Edition",
        "mechanical-keyboard-gopher-edition",
        "Tactile switches, gopher-blue keycaps and a very satisfying click for writing Go.",
        Decimal("129.00"),
        7,
    ),
]


def install_products(apps, schema_editor):
    Product = apps.get_model("chat", "Product")
    for name, slug, description, price, stock in PRODUCTS:
        Product.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "price": price, "stock": stock},
        )


def remove_products(apps, schema_editor):
    apps.get_model("chat", "Product").objects.filter(
        slug__in=[slug for _, slug, *_ in PRODUCTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]
    operations = [migrations.RunPython(install_products, remove_products)]
