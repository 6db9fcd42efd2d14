"""Every community input goes through one of these forms (length limits, NUL bytes, choices)."""

from django import forms

from community import conf
from community.models import Flag, NotificationPreference
from community.services import notifications
from community.services.moderation import MAX_SUSPENSION_DAYS


def _textarea(rows: int, placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder, "class": "input"})


class ThreadForm(forms.Form):
    title = forms.CharField(
        label="Title",
        min_length=conf.TITLE_MIN,
        max_length=conf.TITLE_MAX,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        help_text=f"{conf.TITLE_MIN} to {conf.TITLE_MAX} characters.",
    )
    body = forms.CharField(
        label="Your post",
        min_length=conf.POST_MIN,
        max_length=conf.POST_MAX,
        widget=_textarea(8, "Plain text. Line breaks and links are kept; HTML is shown as typed."),
        help_text=f"Up to {conf.POST_MAX:,} characters of plain text.",
    )

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        if "\n" in title or "\r" in title:
            raise forms.ValidationError("The title must be one line.")
        return title


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        min_length=conf.POST_MIN,
        max_length=conf.POST_MAX,
        widget=_textarea(5, "Plain text. Line breaks and links are kept."),
    )
    quote = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)


class EditPostForm(forms.Form):
    title = forms.CharField(
        label="Title",
        required=False,
        min_length=conf.TITLE_MIN,
        max_length=conf.TITLE_MAX,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )
    body = forms.CharField(label="Your post", min_length=conf.POST_MIN, max_length=conf.POST_MAX, widget=_textarea(8))

    def __init__(self, *args, opening: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if opening:
            self.fields["title"].required = True
        else:
            del self.fields["title"]


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with this post?", choices=Flag.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Anything staff should know (optional)",
        required=False,
        max_length=300,
        widget=_textarea(3),
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search the community",
        max_length=conf.SEARCH_MAX,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "class": "input", "placeholder": "Search titles and posts"}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=conf.MESSAGE_MAX,
        widget=_textarea(4, "Write your message…"),
    )


class ReaderMessageForm(MessageForm):
    """A reader's composer: the reply may be paid (a price and an optional preview line)."""

    paid = forms.BooleanField(label="Make this a paid reply", required=False)
    price = forms.DecimalField(
        label="Price (USD)",
        required=False,
        max_digits=6,
        decimal_places=2,
        error_messages={
            "invalid": "Enter the price in dollars, like 5 or 4.50.",
            "max_decimal_places": "Use at most two decimal places (cents).",
            "max_digits": "That price is too large.",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "input"}),
    )
    teaser = forms.CharField(
        label="Preview line (optional)",
        required=False,
        max_length=140,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = conf.paid_reply_bounds()
        self.fields["price"].help_text = f"From ${low} to ${high}. The client pays it to open the reply; you get 70 %."
        limit = conf.get("COMMUNITY_PAID_PREVIEW_CHARS")
        self.fields[
            "teaser"
        ].help_text = (
            f"What the client sees before paying. Left empty, they see the first {limit} characters of your reply."
        )

    def clean(self):
        data = super().clean()
        if data.get("paid"):
            price = data.get("price")
            low, high = conf.paid_reply_bounds()
            if price is None:
                if "price" not in self.errors:
                    self.add_error("price", "Enter a price for the paid reply.")
            elif not low <= price <= high:
                self.add_error("price", f"A paid reply costs from ${low} to ${high}.")
        else:
            data["price"] = None
            data["teaser"] = ""
        return data


class ModerationForm(forms.Form):
    ACTIONS = [
        ("hide", "Hide"),
        ("restore", "Restore"),
        ("delete", "Delete"),
        ("warn", "Warn the author"),
        ("suspend", "Suspend the author"),
        ("ban", "Ban the author"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(
        label="Reason (recorded, and shown to the member)",
        min_length=3,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )
    days = forms.IntegerField(
        label="Suspension (days)",
        required=False,
        min_value=1,
        max_value=MAX_SUSPENSION_DAYS,
        initial=7,
        widget=forms.NumberInput(attrs={"class": "input"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "suspend" and not data.get("days"):
            self.add_error("days", f"Give the number of days (1 to {MAX_SUSPENSION_DAYS}).")
        return data


class ThreadModerationForm(forms.Form):
    action = forms.ChoiceField(choices=[("lock", "Lock"), ("unlock", "Unlock"), ("pin", "Pin"), ("unpin", "Unpin")])


class LiftForm(forms.Form):
    reason = forms.CharField(label="Reason", min_length=3, max_length=300)


class RefundForm(forms.Form):
    reason = forms.CharField(label="Reason (shown to the client)", min_length=3, max_length=200)


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
