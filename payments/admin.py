"""The ledger in the admin: read-only lists, plus refund and pay-out actions that call the services."""

import uuid

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from payments import services
from payments.forms import RefundForm
from payments.models import (
    Account,
    AutoReload,
    AutoReloadAttempt,
    ConnectAccount,
    Entry,
    Movement,
    Payout,
    StripeEvent,
    TopUp,
)
from payments.services import PaymentError
from soulseer.admin_base import ReadOnlyAdmin


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "amount", "memo", "client", "reader", "key"]
    list_filter = ["kind", "created_at"]
    search_fields = ["key", "memo", "reference", "client__email", "reader__email"]
    list_select_related = ["client", "reader"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]
    actions = ["refund_action"]

    @admin.action(description="Refund the selected charge (full or partial)")
    def refund_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one charge to refund.", messages.WARNING)
            return None
        movement = queryset.get()
        if movement.kind != Movement.Kind.CHARGE:
            self.message_user(request, "Only charges can be refunded.", messages.ERROR)
            return None
        remaining = movement.amount - services.refunded_amount(movement)
        if "apply" in request.POST:
            form = RefundForm(request.POST, remaining=remaining)
            if form.is_valid():
                try:
                    refund = services.refund(
                        movement,
                        form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        by=request.user,
                        key=f"refund:{form.cleaned_data['token']}",
                    )
                except PaymentError as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(request, f"Refunded ${refund.amount} to {movement.client}.", messages.SUCCESS)
                    return None
        else:
            form = RefundForm(initial={"token": uuid.uuid4().hex}, remaining=remaining)
        context = {
            **self.admin_site.each_context(request),
            "title": "Refund a charge",
            "movement": movement,
            "remaining": remaining,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "payments/admin/refund.html", context)


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "amount", "movement"]
    list_filter = ["account__kind", "created_at"]
    search_fields = ["movement__key", "account__user__email"]
    list_select_related = ["account__user", "movement"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "user", "balance"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    actions = ["pay_out_now"]

    @admin.action(description="Pay out now (reader earnings)")
    def pay_out_now(self, request, queryset):
        _pay_out(self, request, [a.user for a in queryset.filter(kind=Account.Kind.EARNINGS).select_related("user")])


def _pay_out(model_admin, request, readers):
    for reader in readers:
        try:
            payout = services.pay_out(reader, force=True, by=request.user)
        except PaymentError as exc:
            model_admin.message_user(request, f"{reader}: {exc}", messages.ERROR)
        else:
            payout.refresh_from_db()
            level = messages.SUCCESS if payout.status == Payout.Status.PAID else messages.WARNING
            model_admin.message_user(request, f"{reader}: ${payout.amount} {payout.get_status_display()}.", level)


@admin.register(ConnectAccount)
class ConnectAccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "stripe_account_id", "details_submitted", "payouts_enabled", "sandbox", "updated_at"]
    list_filter = ["payouts_enabled", "sandbox"]
    search_fields = ["user__email", "stripe_account_id"]
    actions = ["pay_out_now"]

    @admin.action(description="Pay out now")
    def pay_out_now(self, request, queryset):
        _pay_out(self, request, [c.user for c in queryset.select_related("user")])


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "reader", "amount", "status", "attempts", "stripe_transfer_id", "last_error"]
    list_filter = ["status", "created_at"]
    search_fields = ["reader__email", "stripe_transfer_id", "destination"]
    list_select_related = ["reader"]
    actions = ["retry"]

    @admin.action(description="Retry the selected failed payouts")
    def retry(self, request, queryset):
        for payout in queryset.filter(status=Payout.Status.FAILED):
            result = services.send_payout(payout.pk, retry=True)
            self.message_user(request, f"Payout {result.pk}: {result.get_status_display()}.")


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "amount", "status", "sandbox", "checkout_id"]
    list_filter = ["status", "sandbox"]
    search_fields = ["user__email", "checkout_id"]


@admin.register(AutoReload)
class AutoReloadAdmin(ReadOnlyAdmin):
    list_display = ["user", "enabled", "threshold", "amount", "armed", "last_status", "card_last4"]
    list_filter = ["enabled", "last_status"]
    search_fields = ["user__email"]


@admin.register(AutoReloadAttempt)
class AutoReloadAttemptAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "amount", "status", "failure_code", "payment_intent_id"]
    list_filter = ["status"]
    search_fields = ["user__email", "payment_intent_id"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id"]
