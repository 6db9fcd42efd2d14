"""Catalog (/shop/, product pages) and the sellers' product management."""

urlpatterns: list = []
