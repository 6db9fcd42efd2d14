"""The seller's product form: fields, the digital file and photos, with clear errors."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings

from accounts.forms import PhotoField
from accounts.images import reencode_photo
from shop.files import validate_shop_file
from shop.models import Category, Product

PRICE_MIN = Decimal("1.00")
PRICE_MAX = Decimal("1000.00")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(PhotoField):
    """Several photos in one input; each is size-checked, validated and re-encoded like a reader photo."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class ProductForm(forms.ModelForm):
    price = forms.DecimalField(
        label="Price ($)",
        max_digits=7,
        decimal_places=2,
        min_value=PRICE_MIN,
        max_value=PRICE_MAX,
        error_messages={
            "min_value": "The price must be at least $1.00.",
            "max_value": "The price can be at most $1,000.00.",
            "invalid": "Enter a price in dollars, like 24.99.",
        },
        help_text="Between $1 and $1,000. You receive 70 % of each sale.",
    )
    file = forms.FileField(
        required=False,
        label="File buyers download",
        help_text="Digital products only. Stored privately: buyers get it through an expiring link.",
    )
    photos = MultiplePhotoField(required=False, label="Add photos", help_text="JPEG, PNG or WebP, up to 5 MB each.")
    remove_photos = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Remove photos"
    )

    class Meta:
        model = Product
        fields = ["title", "category", "kind", "description", "price", "stock", "delivery_days"]
        labels = {"stock": "Items in stock", "delivery_days": "Delivered within (days)"}
        help_texts = {
            "stock": "Physical products only.",
            "delivery_days": "Services only: the days you promise to deliver within.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.all()
        self.fields["remove_photos"].queryset = (
            self.instance.photos.all()
            if self.instance.pk
            else Product.objects.none().model.photos.field.model.objects.none()
        )
        self.fields["price"].widget.attrs.update(min="1", max="1000", step="0.01", inputmode="decimal")
        self.fields["stock"].widget.attrs.update(min="0")
        self.fields["delivery_days"].widget.attrs.update(min="1", max="60")
        self.fields[
            "file"
        ].help_text += (
            f" Types: {', '.join(settings.SHOP_FILE_TYPES)}; up to {settings.SHOP_FILE_MAX_BYTES // 1_048_576} MB."
        )
        self.fields["photos"].help_text += f" At most {settings.SHOP_PHOTOS_PER_PRODUCT} per product."

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            validate_shop_file(upload)
        return upload

    def clean_photos(self):
        return [reencode_photo(photo) for photo in self.cleaned_data.get("photos") or []]

    def clean_delivery_days(self):
        days = self.cleaned_data.get("delivery_days")
        if days is not None and not 1 <= days <= 60:
            raise forms.ValidationError("Promise delivery within 1 to 60 days.")
        return days

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Product.Kind.PHYSICAL and cleaned.get("stock") is None and "stock" not in self.errors:
            self.add_error("stock", "Say how many you have in stock (0 if none right now).")
        if kind == Product.Kind.SERVICE and not cleaned.get("delivery_days") and "delivery_days" not in self.errors:
            self.add_error("delivery_days", "Say within how many days you deliver this service.")
        if kind != Product.Kind.PHYSICAL:
            cleaned["stock"] = None
        if kind != Product.Kind.SERVICE:
            cleaned["delivery_days"] = None
        if cleaned.get("file") and kind != Product.Kind.DIGITAL:
            self.add_error("file", "Only digital products have a file to download.")
        on_sale = self.instance.pk and self.instance.status != Product.Status.DRAFT
        if kind == Product.Kind.DIGITAL and on_sale and not (cleaned.get("file") or self.instance.file):
            self.add_error("file", "Upload the file buyers will download: this product is for sale.")
        kept = self.instance.photos.count() - len(cleaned.get("remove_photos") or []) if self.instance.pk else 0
        new = len(cleaned.get("photos") or [])
        limit = settings.SHOP_PHOTOS_PER_PRODUCT
        if new and kept + new > limit:
            self.add_error("photos", f"A product can have at most {limit} photos; you would have {kept + new}.")
        return cleaned

    def product_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}
