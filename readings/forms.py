from django import forms

from readings.models import Reading


class RequestForm(forms.Form):
    type = forms.ChoiceField(choices=Reading.Type.choices)


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        label="Your rating",
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, required=False, label="Comment (optional)"
    )


class RefundForm(forms.Form):
    minutes = forms.IntegerField(min_value=1, label="Minutes to refund")
    reason = forms.CharField(max_length=200, label="Reason")


class ReviewReplyForm(forms.Form):
    reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, label="Your public reply", strip=True
    )
