"""Reader photos: pixel bombs refused before decoding (memory bounded), any decode failure a form
error, thumbnails made on upload and used through srcset, the old files deleted on replacement."""

import io
import json
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from accounts.images import thumbnail_name
from accounts.tests.pngbomb import pixel_bomb_png
from accounts.tests.test_reader_dashboard import form_data, image_upload


@pytest.fixture
def as_bob(client, bob):
    client.force_login(bob)
    return client


def upload_bytes(data: bytes, name="me.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.django_db
@pytest.mark.parametrize("side", [12000, 14000])
def test_a_pixel_bomb_is_refused_as_too_large(as_bob, bob, side):
    response = as_bob.post(reverse("reader_dashboard"), form_data(photo=upload_bytes(pixel_bomb_png(side, side))))
    assert response.status_code == 200
    errors = response.context["form"].errors["photo"]
    assert any(e.startswith("Image too large") for e in errors), errors
    assert "the limit is 40 megapixels" in errors[0]
    if side == 12000:  # under Pillow's own bomb limit (179 MP), the header's size is quoted
        assert "12000×12000 pixels" in errors[0]
    bob.reader_profile.refresh_from_db()
    assert not bob.reader_profile.photo


def test_refusing_a_pixel_bomb_decodes_nothing(tmp_path):
    """In a fresh process, validating the photo form with a 12000x12000 PNG (144 MP; 432 MB as RGB)
    grows the peak RSS by a few MB at most: the header is read, the pixels never are."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(pixel_bomb_png(12000, 12000))
    script = textwrap.dedent(
        f"""
        import json, resource, django
        django.setup()
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.forms.utils import ErrorDict
        from accounts.forms import ReaderProfileForm
        data = open({str(bomb)!r}, "rb").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        form = ReaderProfileForm({{"display_name": "Bob", "chat_rate": "2.00", "years_experience": "1"}},
                                 {{"photo": SimpleUploadedFile("b.png", data, content_type="image/png")}})
        form._errors, form.cleaned_data = ErrorDict(), {{}}  # what full_clean() does before the fields
        form._clean_fields()  # each field's clean() and clean_<field>(): no database needed
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"grew_kb": after - before, "errors": form.errors.get("photo", [])}}))
        """
    )
    env = {"DJANGO_SETTINGS_MODULE": "soulseer.settings", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = {"cwd": django_settings.BASE_DIR, "env": env, "capture_output": True, "text": True, "timeout": 120}
    result = subprocess.run([sys.executable, "-c", script], **run)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(e.startswith("Image too large") for e in outcome["errors"]), outcome
    assert outcome["grew_kb"] < 30 * 1024, outcome  # decoding would take >= 144 MB


@pytest.mark.django_db
def test_the_pixel_limit_is_a_setting(as_bob, bob, settings):
    settings.SOULSEER_PHOTO_MAX_PIXELS = 30 * 30
    response = as_bob.post(reverse("reader_dashboard"), form_data(photo=image_upload(size=(40, 40))))
    assert "Image too large: 40×40 pixels" in response.content.decode()


def _truncated_png() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((300, 300), 64).convert("RGB").save(buffer, format="PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2]


def _bad_crc_png() -> bytes:
    data = bytearray(image_upload(size=(50, 50)).read())
    data[-20] ^= 0xFF  # corrupt the last IDAT byte / CRC
    return bytes(data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [_truncated_png(), _bad_crc_png(), b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"GIF89a" + b"\x00" * 20],
    ids=["truncated", "bad-crc", "header-only", "gif-garbage"],
)
def test_undecodable_images_are_form_errors_never_500(as_bob, bob, data):
    response = as_bob.post(reverse("reader_dashboard"), form_data(photo=upload_bytes(data)))
    assert response.status_code == 200
    assert response.context["form"].errors["photo"]
    bob.reader_profile.refresh_from_db()
    assert not bob.reader_profile.photo


@pytest.mark.django_db
def test_an_upload_gets_64_128_256_px_webp_thumbnails_used_in_srcset(as_bob, bob, client):
    as_bob.post(reverse("reader_dashboard"), form_data(photo=image_upload(size=(600, 400))))
    profile = bob.reader_profile
    profile.refresh_from_db()
    for size in (64, 128, 256):
        name = thumbnail_name(profile.photo.name, size)
        with default_storage.open(name) as f:
            thumb = Image.open(f)
            assert (thumb.format, thumb.size) == ("WEBP", (size, size))
    srcset = profile.photo_srcset
    for size in (64, 128, 256):
        assert f"{default_storage.url(thumbnail_name(profile.photo.name, size))} {size}w" in srcset
    for url in (reverse("reader_directory"), reverse("reader_detail", args=[profile.slug]), reverse("home")):
        body = client.get(url).content.decode()
        assert f'srcset="{srcset}"' in body, url
    assert f'srcset="{srcset}"' in as_bob.get(reverse("reader_dashboard")).content.decode()


@pytest.mark.django_db
def test_replacing_a_photo_deletes_the_old_file_and_its_thumbnails(as_bob, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        as_bob.post(reverse("reader_dashboard"), form_data(photo=image_upload(size=(80, 80))))
    bob.reader_profile.refresh_from_db()
    old = bob.reader_profile.photo.name
    old_files = [old, *(thumbnail_name(old, s) for s in (64, 128, 256))]
    assert all(default_storage.exists(n) for n in old_files)

    with django_capture_on_commit_callbacks(execute=True):
        as_bob.post(reverse("reader_dashboard"), form_data(photo=image_upload(size=(90, 90))))
    bob.reader_profile.refresh_from_db()
    new = bob.reader_profile.photo.name
    assert new != old and default_storage.exists(new)
    assert not any(default_storage.exists(n) for n in old_files)

    with django_capture_on_commit_callbacks(execute=True):
        as_bob.post(reverse("reader_dashboard"), {**form_data(), "photo-clear": "on"})
    bob.reader_profile.refresh_from_db()
    assert not bob.reader_profile.photo
    assert not default_storage.exists(new)


@pytest.mark.django_db
def test_make_photo_thumbnails_backfills_missing_ones(bob):
    from accounts.demo_photos import demo_photo

    profile = bob.reader_profile
    profile.photo.save("old.webp", demo_photo("Bob"), save=True)
    for size in (64, 128, 256):
        default_storage.delete(thumbnail_name(profile.photo.name, size))
    call_command("make_photo_thumbnails")
    assert all(default_storage.exists(thumbnail_name(profile.photo.name, s)) for s in (64, 128, 256))
