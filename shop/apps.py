from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The shop: readers and the platform sell services, digital goods and physical products."""

    name = "shop"

    def ready(self) -> None:
        from shop import receivers  # noqa: F401
