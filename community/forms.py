from django import forms

from community.models import NotificationPreference
from community.services import notifications


class NotificationSettingsForm(forms.Form):
    """One switch per notification kind: email me about it when I am not on the site."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        off = set(NotificationPreference.objects.filter(user=user, email=False).values_list("kind", flat=True))
        for kind, label in notifications.KINDS.items():
            self.fields[kind] = forms.BooleanField(label=label, required=False, initial=kind not in off)

    def save(self) -> None:
        for kind in notifications.KINDS:
            notifications.set_email_preference(self.user, kind, bool(self.cleaned_data.get(kind)))
