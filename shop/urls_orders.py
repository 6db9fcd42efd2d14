"""Cart, checkout, the buyer's orders and downloads, the sellers' sales queue."""

urlpatterns: list = []
