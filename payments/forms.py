"""Every money input goes through a form: amounts as Decimal, two decimals at most, within the limits."""

from decimal import Decimal

from django import forms
from django.conf import settings

from payments import services
from payments.models import Movement
from payments.services import PaymentError


def _money_field(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        error_messages={
            "invalid": "Enter an amount in dollars, like 25 or 12.50.",
            "max_decimal_places": "Use at most two decimal places (cents).",
            "max_digits": "That amount is too large.",
            "required": "Enter an amount.",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "input"}),
        **kwargs,
    )


class TopUpForm(forms.Form):
    amount = _money_field("Amount (USD)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "amount"
        ].help_text = f"Any amount from ${settings.PAYMENTS_TOPUP_MIN:.0f} to ${settings.PAYMENTS_TOPUP_MAX:.0f}."

    def clean_amount(self) -> Decimal:
        try:
            return services.topup_amount(self.cleaned_data["amount"])
        except PaymentError as exc:
            raise forms.ValidationError(str(exc)) from None


class AutoReloadForm(forms.Form):
    enabled = forms.BooleanField(label="Reload my wallet automatically when it runs low", required=False)
    threshold = _money_field("When my balance falls below (USD)")
    amount = _money_field("Add (USD)")

    def clean_threshold(self) -> Decimal:
        value = self.cleaned_data["threshold"]
        try:
            return services.to_amount(value, maximum=settings.PAYMENTS_TOPUP_MAX, what="The threshold")
        except PaymentError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_amount(self) -> Decimal:
        try:
            return services.topup_amount(self.cleaned_data["amount"])
        except PaymentError as exc:
            raise forms.ValidationError(str(exc)) from None


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Everything"), *Movement.Kind.choices], widget=forms.Select
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [("", "Everything"), *[(k.value, k.label) for k in kinds]]

    def filter(self, entries):
        if not self.is_valid():
            return entries
        data = self.cleaned_data
        if data["kind"]:
            entries = entries.filter(movement__kind=data["kind"])
        if data["since"]:
            entries = entries.filter(created_at__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(created_at__date__lte=data["until"])
        return entries


class RefundForm(forms.Form):
    """The admin's refund step: leave the amount empty to refund everything that is left."""

    amount = _money_field("Amount to refund (USD)", required=False)
    reason = forms.CharField(label="Reason (shown to the client)", max_length=200)
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, remaining: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if remaining is not None:
            self.fields["amount"].help_text = f"Leave empty to refund everything left: ${remaining}."
