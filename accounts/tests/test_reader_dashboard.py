import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image


def image_upload(fmt="PNG", size=(40, 40), name="me.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (255, 105, 180)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def form_data(**overrides):
    data = {
        "display_name": "Bob the Seer",
        "tagline": "Clear answers",
        "bio": "Twenty years of tarot.",
        "years_experience": "20",
        "chat_rate": "2.50",
        "voice_rate": "3.50",
        "video_rate": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def as_bob(client, bob):
    client.force_login(bob)
    return client


@pytest.mark.django_db
class TestEditProfile:
    def test_saves_rates_and_bio(self, as_bob, bob):
        response = as_bob.post(reverse("reader_dashboard"), form_data())
        assert response.status_code == 302
        profile = bob.reader_profile
        profile.refresh_from_db()
        assert profile.chat_rate == Decimal("2.50")
        assert profile.video_rate is None
        assert profile.bio == "Twenty years of tarot."

    def test_photo_is_reencoded_as_webp(self, as_bob, bob):
        as_bob.post(reverse("reader_dashboard"), form_data(photo=image_upload("JPEG", name="me.jpg")))
        bob.reader_profile.refresh_from_db()
        photo = bob.reader_profile.photo
        assert photo.name.endswith(".webp")
        with photo.open("rb") as f:
            assert Image.open(f).format == "WEBP"

    @pytest.mark.parametrize(
        "overrides,message",
        [
            ({"chat_rate": "-1"}, "Rates start at $0.50 per minute."),
            ({"chat_rate": "0.10"}, "Rates start at $0.50 per minute."),
            ({"voice_rate": "999"}, "Rates can be at most $50.00 per minute."),
            ({"voice_rate": "3.333"}, "Ensure that there are no more than 2 decimal places."),
            ({"chat_rate": "", "voice_rate": "", "video_rate": ""}, "Offer at least one reading type"),
            ({"display_name": ""}, "This field is required."),
        ],
    )
    def test_bad_input_gets_a_message_and_changes_nothing(self, as_bob, bob, overrides, message):
        response = as_bob.post(reverse("reader_dashboard"), form_data(**overrides))
        assert response.status_code == 200
        assert message in response.content.decode()
        bob.reader_profile.refresh_from_db()
        assert bob.reader_profile.chat_rate == Decimal("2.00")
        assert bob.reader_profile.voice_rate == Decimal("3.00")

    def test_an_oversized_photo_is_refused(self, as_bob, bob, settings):
        settings.SOULSEER_PHOTO_MAX_BYTES = 1024
        big = image_upload("PNG", size=(600, 600))
        response = as_bob.post(reverse("reader_dashboard"), form_data(photo=big, chat_rate="9.00"))
        assert "The photo is too large" in response.content.decode()
        bob.reader_profile.refresh_from_db()
        assert not bob.reader_profile.photo
        assert bob.reader_profile.chat_rate == Decimal("2.00")

    def test_a_file_that_is_not_an_image_is_refused(self, as_bob, bob):
        fake = SimpleUploadedFile("me.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
        response = as_bob.post(reverse("reader_dashboard"), form_data(photo=fake))
        assert "Upload a valid image" in response.content.decode()
        bob.reader_profile.refresh_from_db()
        assert not bob.reader_profile.photo

    def test_a_gif_is_refused(self, as_bob, bob):
        response = as_bob.post(reverse("reader_dashboard"), form_data(photo=image_upload("GIF", name="me.gif")))
        assert "Upload a JPEG, PNG or WebP" in response.content.decode()
        bob.reader_profile.refresh_from_db()
        assert not bob.reader_profile.photo


@pytest.mark.django_db
class TestAvailability:
    def test_htmx_toggle_returns_the_switch_fragment(self, as_bob, bob):
        response = as_bob.post(reverse("reader_availability"), {"availability": "offline"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert 'id="availability-switch"' in response.content.decode()
        assert "<html" not in response.content.decode()
        bob.reader_profile.refresh_from_db()
        assert bob.reader_profile.availability == "offline"

    def test_without_javascript_it_redirects_back(self, as_bob, bob):
        response = as_bob.post(reverse("reader_availability"), {"availability": "online"})
        assert response.status_code == 302
        bob.reader_profile.refresh_from_db()
        assert bob.reader_profile.availability == "online"

    def test_a_reader_cannot_set_busy_by_hand(self, as_bob, bob):
        response = as_bob.post(reverse("reader_availability"), {"availability": "busy"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 400
        bob.reader_profile.refresh_from_db()
        assert bob.reader_profile.availability == "online"
