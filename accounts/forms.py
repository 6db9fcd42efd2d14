from decimal import Decimal

from django import forms
from django.conf import settings

from accounts.images import check_size, reencode_photo
from accounts.models import ReaderProfile, Specialty

SHARE_NAME_LABEL = "Show my first name to readers"
SHARE_NAME_HELP = "Readers see “Client #{id}” unless you share your first name."


class SignupForm(forms.Form):
    """Extra sign-up fields for allauth: a first name (optional), sharing it, and the 18+ / terms consent."""

    first_name = forms.CharField(max_length=60, required=False, label="First name (optional)")
    share_name = forms.BooleanField(
        required=False,
        label=SHARE_NAME_LABEL,
        help_text="Readers see a number like “Client #15” unless you share your first name.",
    )
    accept_terms = forms.BooleanField(
        label="I am 18 or older and accept the Terms and Privacy policy",
        error_messages={"required": "You must be 18 or older and accept the Terms to join."},
    )

    def signup(self, request, user):
        from accounts.services import set_name_sharing

        set_name_sharing(user, self.cleaned_data.get("first_name", ""), bool(self.cleaned_data.get("share_name")))


class ClientSettingsForm(forms.Form):
    """A client's name and whether readers see it."""

    first_name = forms.CharField(max_length=60, required=False, label="First name")
    share_name = forms.BooleanField(required=False, label=SHARE_NAME_LABEL)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["share_name"].help_text = SHARE_NAME_HELP.format(id=user.pk)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("share_name") and not (cleaned.get("first_name") or "").strip():
            self.add_error("first_name", "Enter a first name to share it with readers.")
        return cleaned


class PhotoField(forms.ImageField):
    """An ImageField that checks the byte size and the pixel count (from the header) first, so a
    pixel bomb gets "Image too large" instead of Django's generic message or a decode."""

    def to_python(self, data):
        if data is not None and hasattr(data, "content_type"):
            check_size(data)
        return super().to_python(data)


class ReaderProfileForm(forms.ModelForm):
    class Meta:
        model = ReaderProfile
        field_classes = {"photo": PhotoField}
        fields = [
            "display_name",
            "tagline",
            "bio",
            "photo",
            "specialties",
            "years_experience",
            "chat_rate",
            "voice_rate",
            "video_rate",
        ]
        widgets = {
            "specialties": forms.CheckboxSelectMultiple,
            "bio": forms.Textarea(attrs={"rows": 5}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }
        help_texts = {
            "chat_rate": "Leave empty to not offer chat readings.",
            "voice_rate": "Leave empty to not offer voice readings.",
            "video_rate": "Leave empty to not offer video readings.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("chat_rate", "voice_rate", "video_rate"):
            self.fields[name].widget.attrs.update(
                min=settings.SOULSEER_MIN_RATE, max=settings.SOULSEER_MAX_RATE, step="0.01"
            )

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):  # a new upload, not the stored file
            return reencode_photo(photo)
        return photo

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f) for f in ("chat_rate", "voice_rate", "video_rate")) and not self.errors:
            raise forms.ValidationError("Offer at least one reading type: set a chat, voice or video rate.")
        return cleaned


class AvailabilityForm(forms.Form):
    """What a reader may choose; 'busy' is set by readings, never by hand."""

    availability = forms.ChoiceField(
        choices=[(ReaderProfile.Availability.ONLINE, "Online"), (ReaderProfile.Availability.OFFLINE, "Offline")]
    )


class DirectoryFilterForm(forms.Form):
    SORTS = {
        "recommended": "Recommended",
        "rating": "Top rated",
        "price_low": "Price: low to high",
        "price_high": "Price: high to low",
    }
    TYPES = [("", "Any reading type"), ("chat", "Chat"), ("voice", "Voice"), ("video", "Video")]

    q = forms.CharField(required=False, max_length=80, label="Search")
    specialty = forms.ModelChoiceField(
        queryset=Specialty.objects.all(), to_field_name="slug", required=False, empty_label="All specialties"
    )
    availability = forms.ChoiceField(
        required=False, choices=[("", "Any availability"), *ReaderProfile.Availability.choices]
    )
    type = forms.ChoiceField(required=False, choices=TYPES, label="Reading type")
    max_price = forms.DecimalField(
        required=False,
        min_value=Decimal("0.50"),
        max_value=Decimal("50.00"),
        decimal_places=2,
        label="Max $/min",
    )
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))
