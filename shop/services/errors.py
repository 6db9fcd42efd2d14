class ShopError(Exception):
    """A shop operation was refused. The message is safe to show to the user."""


class OutOfStock(ShopError):
    """Someone else bought the last one first."""
