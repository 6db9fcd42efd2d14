"""Cart, checkout, the buyer's orders and downloads, the sellers' sales queue."""

from django.urls import path

from shop import views_orders as views

urlpatterns = [
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/<int:pk>/", views.cart_add, name="cart_add"),
    path("cart/update/<int:pk>/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/pay/", views.order_pay, name="order_pay"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/lines/<int:pk>/download/", views.download, name="download"),
    path("orders/lines/<int:pk>/review/", views.review, name="review"),
    path("selling/orders/", views.sales, name="sales"),
    path("selling/orders/<int:pk>/ship/", views.ship, name="ship"),
    path("selling/orders/<int:pk>/deliver/", views.deliver, name="deliver"),
]
