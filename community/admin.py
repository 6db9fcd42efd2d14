from django.contrib import admin, messages
from django.template.response import TemplateResponse

from community.forms import RefundForm
from community.models import (
    Block,
    Category,
    Conversation,
    Flag,
    Message,
    ModerationAction,
    Notification,
    NotificationPreference,
    Post,
    Sanction,
    Thread,
)
from community.services import messages as messages_service
from community.services import moderation
from community.services.rules import CommunityError
from payments.services import PaymentError
from soulseer.admin_base import ReadOnlyAdmin


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "text", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "text"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email"]
    raw_id_fields = ["user"]


# --- Forum and moderation ---------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "staff_only"]
    list_editable = ["position", "staff_only"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "author", "reply_count", "last_activity_at", "pinned", "locked", "status"]
    list_filter = ["category", "pinned", "locked", "status"]
    search_fields = ["title", "author__email"]
    raw_id_fields = ["author", "last_author"]
    readonly_fields = ["status", "reply_count", "last_activity_at", "last_author", "pinned", "locked"]
    list_select_related = ["category", "author"]
    actions = ["lock", "unlock", "pin", "unpin"]

    def _apply(self, request, queryset, **flags):
        for thread in queryset:
            moderation.set_thread_flags(request.user, thread, reason="From the Django admin", **flags)
        self.message_user(request, f"{queryset.count()} thread(s) updated.", messages.SUCCESS)

    @admin.action(description="Lock the selected threads")
    def lock(self, request, queryset):
        self._apply(request, queryset, locked=True)

    @admin.action(description="Unlock the selected threads")
    def unlock(self, request, queryset):
        self._apply(request, queryset, locked=False)

    @admin.action(description="Pin the selected threads")
    def pin(self, request, queryset):
        self._apply(request, queryset, pinned=True)

    @admin.action(description="Unpin the selected threads")
    def unpin(self, request, queryset):
        self._apply(request, queryset, pinned=False)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Posts are moderated from the moderation queue (/community/moderation/); here they are read."""

    list_display = ["pk", "thread", "author", "created_at", "status", "flag_count"]
    list_filter = ["status", "thread__category"]
    search_fields = ["body", "author__email", "thread__title"]
    raw_id_fields = ["thread", "author", "quote_of"]
    readonly_fields = ["status", "flag_count", "created_at", "edited_at", "is_opening"]
    list_select_related = ["thread", "author"]


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ["post", "member", "reason", "created_at", "resolved_at", "resolved_by"]
    list_filter = ["reason", "resolved_at"]
    list_select_related = ["post", "member", "resolved_by"]


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "reason", "starts_at", "ends_at", "created_by", "lifted_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "reason"]
    list_select_related = ["user", "created_by"]
    actions = ["lift"]

    @admin.action(description="Lift the selected sanctions")
    def lift(self, request, queryset):
        for sanction in queryset.filter(lifted_at__isnull=True):
            moderation.lift(request.user, sanction, "Lifted from the Django admin")
        self.message_user(request, "Lifted.", messages.SUCCESS)


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "member", "post", "thread", "reason", "until"]
    list_filter = ["action", "created_at"]
    search_fields = ["reason", "actor__email", "member__email"]
    list_select_related = ["actor", "member", "post", "thread"]
    date_hierarchy = "created_at"


# --- Private messages -------------------------------------------------------------------------


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "client", "reader", "created_at", "last_message_at"]
    search_fields = ["client__email", "reader__email"]
    list_select_related = ["client", "reader"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["pk", "conversation", "sender", "recipient", "created_at", "price", "paid_at", "refunded_at"]
    list_filter = ["paid_at", "refunded_at"]
    search_fields = ["sender__email", "recipient__email"]
    list_select_related = ["sender", "recipient", "conversation"]
    actions = ["refund_paid_reply"]

    @admin.action(description="Refund the selected paid reply to the client")
    def refund_paid_reply(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one paid reply to refund.", messages.WARNING)
            return None
        message = queryset.select_related("recipient").get()
        if message.movement_id is None:
            self.message_user(request, "This message was not paid; there is nothing to refund.", messages.ERROR)
            return None
        if message.refunded_at is not None:
            self.message_user(request, "This paid reply was already refunded.", messages.WARNING)
            return None
        form = RefundForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                messages_service.refund_paid_reply(message, reason=form.cleaned_data["reason"], by=request.user)
            except (CommunityError, PaymentError) as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"Refunded ${message.price} to {message.recipient}.", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Refund a paid reply",
            "message": message,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "community/admin/refund_message.html", context)


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ["blocker", "blocked", "created_at"]
    search_fields = ["blocker__email", "blocked__email"]
