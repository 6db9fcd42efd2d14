from django.contrib import admin, messages
from django.utils.html import format_html

from soulseer.admin_base import WrittenByServicesAdmin
from streams import services
from streams.models import Gift, GiftType, Stream, StreamMessage, StreamRestriction


@admin.register(GiftType)
class GiftTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "preview", "price", "animation", "sort_order", "active"]
    list_editable = ["price", "sort_order", "active"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="Image")
    def preview(self, obj):
        from django.templatetags.static import static

        return format_html('<img src="{}" alt="" width="32" height="32">', static(obj.image))


class GiftInline(admin.TabularInline):
    model = Gift
    extra = 0
    can_delete = False
    fields = ["created_at", "sender", "gift_type", "amount", "movement"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Stream)
class StreamAdmin(WrittenByServicesAdmin):
    """Readers go live from their studio, and gifts (ledger charges) point at streams."""

    list_display = [
        "title",
        "reader",
        "status",
        "started_at",
        "ended_at",
        "viewer_count",
        "peak_viewers",
        "total_viewers",
        "gift_total",
        "gift_count",
        "janus_url",
    ]
    list_filter = ["status", "category", "end_reason"]
    search_fields = ["title", "reader__email", "reader__reader_profile__display_name"]
    date_hierarchy = "started_at"
    actions = ["end_streams"]
    inlines = [GiftInline]
    # The room secret stays out of the admin too: only the server's consumer needs it.
    exclude = ["room_secret"]
    readonly_fields = [
        "reader",
        "status",
        "end_reason",
        "ended_by",
        "started_at",
        "ended_at",
        "janus_url",
        "room_id",
        "publisher_feed",
        "publishing",
        "publisher_seen_at",
        "viewer_count",
        "peak_viewers",
        "total_viewers",
        "gift_total",
        "gift_count",
    ]

    @admin.action(description="End the selected live streams")
    def end_streams(self, request, queryset):
        ended = 0
        for stream in queryset.filter(status=Stream.Status.LIVE):
            services.end_stream(stream, request.user)
            ended += 1
        self.message_user(request, f"Ended {ended} stream(s).", messages.SUCCESS)


@admin.register(Gift)
class GiftAdmin(WrittenByServicesAdmin):
    list_display = ["created_at", "stream", "sender", "gift_type", "amount", "key"]
    list_filter = ["gift_type"]
    search_fields = ["key", "sender__email", "stream__title"]
    readonly_fields = ["stream", "sender", "gift_type", "amount", "key", "movement", "created_at"]


@admin.register(StreamMessage)
class StreamMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "stream", "sender", "text", "deleted_at"]
    list_filter = ["deleted_at"]
    search_fields = ["text", "sender__email"]
    readonly_fields = ["stream", "sender", "text", "created_at", "deleted_at", "deleted_by"]


@admin.register(StreamRestriction)
class StreamRestrictionAdmin(admin.ModelAdmin):
    list_display = ["reader", "user", "kind", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["reader__email", "user__email"]
    raw_id_fields = ["reader", "user", "created_by"]
