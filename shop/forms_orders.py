"""Forms of the buying side: quantities, checkout, shipping address, fulfilment and reviews."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings

from shop import files
from shop.models import Order

COUNTRIES = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("NL", "Netherlands"),
    ("BE", "Belgium"),
    ("PT", "Portugal"),
    ("AT", "Austria"),
    ("CH", "Switzerland"),
    ("SE", "Sweden"),
    ("NO", "Norway"),
    ("DK", "Denmark"),
    ("FI", "Finland"),
    ("MX", "Mexico"),
    ("BR", "Brazil"),
    ("ZA", "South Africa"),
    ("IN", "India"),
    ("SG", "Singapore"),
    ("JP", "Japan"),
]
POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")
US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, max_value=settings.SHOP_CART_MAX_QUANTITY, initial=1)


class CheckoutForm(forms.Form):
    """The one-time token that makes a resubmitted checkout harmless."""

    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)


class AddressForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = Order.ADDRESS_FIELDS
        widgets = {"ship_country": forms.Select(choices=[("", "Choose a country"), *COUNTRIES])}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("ship_name", "ship_line1", "ship_city", "ship_postal_code", "ship_country"):
            self.fields[name].required = True
        self.fields["ship_name"].widget.attrs["autocomplete"] = "name"
        self.fields["ship_line1"].widget.attrs["autocomplete"] = "address-line1"
        self.fields["ship_line2"].widget.attrs["autocomplete"] = "address-line2"
        self.fields["ship_city"].widget.attrs["autocomplete"] = "address-level2"
        self.fields["ship_region"].widget.attrs["autocomplete"] = "address-level1"
        self.fields["ship_postal_code"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["ship_country"].widget.attrs["autocomplete"] = "country"

    def clean_ship_country(self) -> str:
        value = self.cleaned_data["ship_country"].upper()
        if value not in dict(COUNTRIES):
            raise forms.ValidationError("We ship to the countries in the list only.")
        return value

    def clean(self):
        data = super().clean()
        code, country = (data.get("ship_postal_code") or "").strip(), data.get("ship_country")
        if code and not POSTAL_CODE.match(code):
            self.add_error("ship_postal_code", "Enter a postal code of letters, digits, spaces or dashes.")
        elif code and country == "US" and not US_ZIP.match(code):
            self.add_error("ship_postal_code", "Enter a US ZIP code like 94110 or 94110-1234.")
        if country == "US" and not (data.get("ship_region") or "").strip():
            self.add_error("ship_region", "Enter the state.")
        return data

    def address(self) -> dict:
        return {name: (value or "").strip() for name, value in self.cleaned_data.items()}


class ShipForm(forms.Form):
    carrier = forms.CharField(max_length=60, help_text="e.g. USPS, UPS, Royal Mail")
    tracking_number = forms.RegexField(
        regex=r"^[A-Za-z0-9][A-Za-z0-9 -]{3,59}$",
        max_length=60,
        error_messages={"invalid": "Enter the tracking number as the carrier gave it (letters, digits, dashes)."},
    )


class DeliverForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    file = forms.FileField(required=False, help_text="Optional: a report, recording or PDF for the buyer.")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            files.validate_shop_file(upload)
        return upload


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)], widget=forms.RadioSelect
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False, label="Review")
