"""The catalog's filters: a plain GET form; bad input is a field error, never a 500."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from shop.models import Category, Product
from shop.services.catalog import SORTS, sellers_with_products

PRICE_MIN = Decimal("0")
PRICE_MAX = Decimal("1000")


class CatalogFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=80, label="Search")
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *Product.Kind.choices], label="Kind")
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), to_field_name="slug", required=False, empty_label="All categories"
    )
    seller = forms.ModelChoiceField(
        queryset=None, to_field_name="slug", required=False, empty_label="Any seller", label="Seller"
    )
    min_price = forms.DecimalField(
        required=False, min_value=PRICE_MIN, max_value=PRICE_MAX, decimal_places=2, max_digits=7, label="Min $"
    )
    max_price = forms.DecimalField(
        required=False, min_value=PRICE_MIN, max_value=PRICE_MAX, decimal_places=2, max_digits=7, label="Max $"
    )
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()), label="Sort by")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].queryset = sellers_with_products()
        self.fields["seller"].error_messages["invalid_choice"] = "That seller has nothing in the shop right now."
        self.fields["category"].error_messages["invalid_choice"] = "There is no such category."
        for name in ("min_price", "max_price"):
            self.fields[name].widget.attrs.update(min="0", max="1000", step="0.01", inputmode="decimal")

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum price must be at least the minimum price.")
        return cleaned

    def filters(self) -> dict:
        """The valid filters only (an invalid field is left out, so the page still shows products)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if k not in self.errors and v not in (None, "")}
