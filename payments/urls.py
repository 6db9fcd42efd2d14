from django.urls import path, register_converter

from payments import views, webhooks
from payments.validators import StripeIdConverter

register_converter(StripeIdConverter, "stripe_id")

app_name = "payments"

urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/add-funds/", views.topup, name="topup"),
    path("wallet/add-funds/done/", views.topup_return, name="topup_return"),
    path("wallet/sandbox-checkout/<stripe_id:checkout_id>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("wallet/auto-reload/", views.auto_reload, name="auto_reload"),
    path("earnings/", views.earnings, name="earnings"),
    path("earnings/connect/", views.connect_start, name="connect_start"),
    path("earnings/connect/refresh/", views.connect_refresh, name="connect_refresh"),
    path("earnings/connect/return/", views.connect_return, name="connect_return"),
    path("staff/money/", views.money_overview, name="money_overview"),
    path("staff/money/pay-out/<int:user_id>/", views.staff_pay_out, name="staff_pay_out"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
