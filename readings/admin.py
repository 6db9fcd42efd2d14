"""Admins see every reading, read transcripts (for disputes) and refund minutes through payments."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render

from readings import services
from readings.models import ChatMessage, Reading, ReadingConnection, Review
from soulseer.admin_base import WrittenByServicesAdmin


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    fields = ["sent_at", "sender", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "transcript"

    def has_add_permission(self, request, obj=None):
        return False


class RefundMinutesForm(forms.Form):
    minutes = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=200)


@admin.register(Reading)
class ReadingAdmin(WrittenByServicesAdmin):
    list_display = [
        "pk",
        "requested_at",
        "client",
        "reader",
        "type",
        "status",
        "billed_minutes",
        "total_charged",
        "disputed",
    ]
    list_filter = ["status", "type", "disputed"]
    search_fields = ["client__email", "reader__email", "pk"]
    date_hierarchy = "requested_at"
    inlines = [ChatMessageInline]
    actions = ["mark_disputed", "end_now", "refund_minutes"]
    readonly_fields = [f.name for f in Reading._meta.fields if f.name not in ("disputed",)]

    @admin.action(description="Mark as disputed")
    def mark_disputed(self, request, queryset):
        queryset.update(disputed=True)

    @admin.action(description="End the selected live readings now")
    def end_now(self, request, queryset):
        for reading in queryset.filter(status__in=Reading.LIVE):
            services.end_reading(reading, request.user, reason="admin")

    @admin.action(description="Refund minutes to the client (through payments)")
    def refund_minutes(self, request, queryset):
        if "apply" in request.POST:
            form = RefundMinutesForm(request.POST)
            if form.is_valid():
                for reading in queryset:
                    try:
                        refunds = services.refund_minutes(
                            reading,
                            min(form.cleaned_data["minutes"], reading.billed_minutes),
                            request.user,
                            form.cleaned_data["reason"],
                        )
                    except Exception as exc:  # shown to the admin, one line per reading
                        self.message_user(request, f"Reading #{reading.pk}: {exc}", messages.ERROR)
                    else:
                        total = sum(m.amount for m in refunds)
                        self.message_user(request, f"Reading #{reading.pk}: refunded ${total:.2f}.", messages.SUCCESS)
                return redirect(request.get_full_path())
        else:
            form = RefundMinutesForm()
        return render(
            request,
            "readings/admin_refund.html",
            {"form": form, "readings": queryset, "opts": self.model._meta, "action": "refund_minutes"},
        )


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["reading", "reader", "client", "rating", "created_at"]
    list_filter = ["rating"]
    search_fields = ["reader__email", "client__email", "comment"]
    readonly_fields = ["reading", "client", "reader", "rating", "comment", "created_at"]


admin.site.register(ReadingConnection)
