"""The shop's use cases, split by topic: cart, orders (placing and paying), fulfilment (after the
sale), refunds, catalog and selling. Views and the admin call these; nothing else changes shop rows."""

from shop.services.errors import OutOfStock, ShopError  # noqa: F401
