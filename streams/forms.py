from django import forms

from streams.models import Stream
from streams.services import StreamError, clean_text


class GoLiveForm(forms.Form):
    title = forms.CharField(
        max_length=120,
        min_length=3,
        help_text="What the stream is about, e.g. “Sunday tarot: open questions”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input"}),
    )
    description = forms.CharField(
        max_length=1000,
        required=False,
        help_text="Optional: a few lines for the live list (up to 1000 characters).",
        widget=forms.Textarea(attrs={"rows": 3, "class": "input"}),
    )
    category = forms.ChoiceField(choices=Stream.Category.choices, initial=Stream.Category.GENERAL)

    def _clean_text(self, name: str, what: str, max_length: int, min_length: int = 0) -> str:
        try:
            return clean_text(self.cleaned_data.get(name, ""), what=what, max_length=max_length, min_length=min_length)
        except StreamError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_title(self):
        return self._clean_text("title", "The title", 120, 3)

    def clean_description(self):
        return self._clean_text("description", "The description", 1000)


class SortForm(forms.Form):
    sort = forms.ChoiceField(choices=[("newest", "Newest"), ("watched", "Most watched")], required=False)
