from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The demo shop the chat sits on: products, their pages and their details.

    It knows nothing of the chat. The chat reads its products through ``shop.catalog``,
    which the setting ``CHAT_CATALOG`` names.
    """

    name = "shop"
    verbose_name = "Shop"
