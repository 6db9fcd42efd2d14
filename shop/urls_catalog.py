"""Catalog (/shop/, product pages) and the sellers' product management."""

from django.urls import path

from shop import views_catalog, views_selling

urlpatterns: list = [
    path("", views_catalog.catalog_page, name="catalog"),
    path("p/<int:pk>-<slug:slug>/", views_catalog.product_page, name="product"),
    path("selling/", views_selling.my_shop, name="selling"),
    path("selling/new/", views_selling.product_new, name="product_new"),
    path("selling/<int:pk>/", views_selling.product_edit, name="product_edit"),
    path("selling/<int:pk>/publish/", views_selling.product_publish, name="product_publish"),
    path("selling/<int:pk>/unpublish/", views_selling.product_unpublish, name="product_unpublish"),
]
