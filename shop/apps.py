from django.apps import AppConfig


class ShopConfig(AppConfig):
    """Readers' shop: products, cart and orders; filled by a later issue."""

    name = "shop"
