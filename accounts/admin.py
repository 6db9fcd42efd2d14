from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.models import ClientProfile, Favourite, ReaderProfile, Specialty, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "date_joined", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        (
            "Role and permissions",
            {"fields": ["role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["make_reader"]

    @admin.action(description="Make the selected users readers (creates their reader profile)")
    def make_reader(self, request, queryset):
        made = 0
        for user in queryset:
            try:
                services.make_reader(user)
                made += 1
            except ValueError as exc:
                self.message_user(request, f"{user}: {exc}", messages.ERROR)
        if made:
            self.message_user(request, f"{made} user(s) are now readers.", messages.SUCCESS)


@admin.register(ReaderProfile)
class ReaderProfileAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "user",
        "availability",
        "chat_rate",
        "voice_rate",
        "video_rate",
        "rating_average",
        "review_count",
    ]
    list_filter = ["availability", "specialties"]
    search_fields = ["display_name", "user__email", "tagline"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["specialties"]
    readonly_fields = ["rating_average", "review_count", "created_at"]
    prepopulated_fields = {"slug": ["display_name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.make_reader(obj.user)  # a profile made here gives its user the reader role


@admin.register(ClientProfile)
class ClientProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "share_name", "created_at"]
    list_filter = ["share_name"]
    search_fields = ["user__email", "user__first_name"]
    list_select_related = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Favourite)
class FavouriteAdmin(admin.ModelAdmin):
    list_display = ["client", "reader", "created_at"]
    raw_id_fields = ["client", "reader"]
