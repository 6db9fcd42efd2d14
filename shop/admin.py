"""Staff's side of the catalog: categories, moderation of readers' products, the platform's own products.

Approving and unpublishing go through ``shop.services.selling`` (which notifies the seller); photos
added here are re-encoded and get thumbnails like the readers' uploads; a digital file uploaded here
is stored privately (``shop.files``).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction

from accounts.forms import PhotoField
from accounts.images import delete_photo, make_thumbnails, reencode_photo
from shop.admin_actions import with_reason
from shop.files import validate_shop_file
from shop.models import Category, Product, ProductPhoto
from shop.services import selling


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ProductPhotoForm(forms.ModelForm):
    class Meta:
        model = ProductPhoto
        fields = ["image", "position", "alt"]
        field_classes = {"image": PhotoField}

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload: re-encoded like a reader photo
            return reencode_photo(image)
        return image


class ProductPhotoInline(admin.TabularInline):
    model = ProductPhoto
    form = ProductPhotoForm
    extra = 1

    def get_max_num(self, request, obj=None, **kwargs):
        return settings.SHOP_PHOTOS_PER_PRODUCT


class SellerFilter(admin.SimpleListFilter):
    title = "seller"
    parameter_name = "sold_by"

    def lookups(self, request, model_admin):
        return [("platform", "SoulSeer (platform)"), ("readers", "Readers")]

    def queryset(self, request, queryset):
        if self.value() == "platform":
            return queryset.filter(seller__isnull=True)
        if self.value() == "readers":
            return queryset.filter(seller__isnull=False)
        return queryset


class ProductAdminForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        label="Digital file",
        help_text="Digital products only; stored privately. Replaces the current file.",
    )

    class Meta:
        model = Product
        fields = [
            "seller",
            "category",
            "kind",
            "title",
            "description",
            "price",
            "stock",
            "delivery_days",
            "status",
            "status_note",
        ]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            validate_shop_file(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind != Product.Kind.PHYSICAL:
            cleaned["stock"] = None
        elif cleaned.get("stock") is None:
            self.add_error("stock", "Physical products need a stock count.")
        if kind != Product.Kind.SERVICE:
            cleaned["delivery_days"] = None
        elif not cleaned.get("delivery_days"):
            self.add_error("delivery_days", "Services need a delivery time in days.")
        if (
            kind == Product.Kind.DIGITAL
            and cleaned.get("status") == Product.Status.PUBLISHED
            and not (cleaned.get("upload") or self.instance.file)
        ):
            self.add_error("upload", "A published digital product needs its file.")
        return cleaned


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["title", "seller", "kind", "category", "price", "stock", "status", "approved_at", "sold_count"]
    list_filter = ["status", "kind", "category", SellerFilter]
    list_select_related = ["seller", "category"]
    search_fields = ["title", "description", "seller__email", "seller__reader_profile__display_name"]
    autocomplete_fields = ["seller"]
    readonly_fields = [
        "file_name",
        "file_size",
        "approved_at",
        "rating_sum",
        "rating_count",
        "sold_count",
        "created_at",
        "updated_at",
    ]
    inlines = [ProductPhotoInline]
    actions = ["approve_selected", "remove_selected"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        upload = form.cleaned_data.get("upload")
        if upload:
            selling.set_file(obj, upload)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProductPhoto:
            return super().save_formset(request, form, formset, change)
        replaced = [
            f.initial["image"].name
            for f in formset.forms
            if f.instance.pk and "image" in f.changed_data and getattr(f.initial.get("image"), "name", "")
        ]
        photos = formset.save(commit=False)
        for name in replaced:  # a replaced photo's old file and thumbnails go once the change commits
            transaction.on_commit(lambda name=name: delete_photo(name))
        for photo in formset.deleted_objects:
            name, storage = photo.image.name, photo.image.storage
            photo.delete()
            transaction.on_commit(lambda name=name, storage=storage: delete_photo(name, storage))
        new_images = {id(p) for p in formset.new_objects}
        new_images |= {id(p) for p, fields in formset.changed_objects if "image" in fields}
        for photo in photos:
            photo.save()
            if id(photo) in new_images and photo.image:
                make_thumbnails(photo.image.name, photo.image.storage)
        formset.save_m2m()

    @admin.action(description="Approve (pending → published; the seller is told)")
    def approve_selected(self, request, queryset):
        done = 0
        for product in queryset:
            try:
                selling.approve(product, by=request.user)
                done += 1
            except selling.SellingError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        if done:
            self.message_user(request, f"{done} product(s) approved and published.", messages.SUCCESS)

    @admin.action(description="Unpublish (remove; asks for the reason the seller is told)")
    def remove_selected(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset,
            action="remove_selected",
            title="Unpublish products",
            explain="The products leave the shop; each seller is told the reason and cannot publish them again.",
            button="Unpublish",
            run=lambda product, reason: selling.remove(product, by=request.user, note=reason),
            done="{n} product(s) unpublished.",
        )


from shop import admin_orders  # noqa: E402,F401
