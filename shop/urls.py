"""The shop's URLs: the catalog and selling (urls_catalog), the cart, orders and fulfilment (urls_orders)."""

from shop.urls_catalog import urlpatterns as catalog_patterns
from shop.urls_orders import urlpatterns as order_patterns

app_name = "shop"
urlpatterns = catalog_patterns + order_patterns
