"""Reader photos: accept JPEG, PNG or WebP up to the size limits, and re-encode every upload.

Re-encoding drops EXIF (location!) and anything smuggled after the image data,
and bounds the stored size, so what reaches MEDIA_ROOT is always a plain WebP.

The pixel count is read from the header and checked *before* anything is decoded: a 32 KB PNG
can declare 12000x12000 pixels and would take ~0.6 GB to decode. Any decoding failure (including
Pillow's ``DecompressionBombError``) is a form error, never a 500.

Each stored photo gets square WebP thumbnails (``SOULSEER_PHOTO_THUMBNAIL_SIZES``: 64/128/256 px)
under ``readers/thumbs/``, used through ``srcset``; replacing or removing a photo deletes the old
file and its thumbnails.
"""

from __future__ import annotations

import io
import logging
import posixpath
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from PIL import Image, ImageOps

log = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 800
UNREADABLE = "This file is not an image we can read. Upload a JPEG, PNG or WebP."


def max_pixels() -> int:
    return int(getattr(settings, "SOULSEER_PHOTO_MAX_PIXELS", 40_000_000))


def thumbnail_sizes() -> tuple[int, ...]:
    return tuple(getattr(settings, "SOULSEER_PHOTO_THUMBNAIL_SIZES", (64, 128, 256)))


def _bomb(exc: Exception) -> ValidationError:
    """Pillow refused the header itself (over 2 x Image.MAX_IMAGE_PIXELS): the same clear message."""
    return ValidationError(
        f"Image too large: over {2 * (Image.MAX_IMAGE_PIXELS or 0) / 1_000_000:.0f} megapixels; "
        f"the limit is {max_pixels() / 1_000_000:g} megapixels. Upload a smaller photo."
    )


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width * height > max_pixels():
        raise ValidationError(
            f"Image too large: {width}×{height} pixels; the limit is {max_pixels() / 1_000_000:g} megapixels. "
            "Upload a smaller photo."
        )


def _open(file) -> Image.Image:
    """Open (header only), check the pixel count, verify the structure, and reopen for use."""
    file.seek(0)
    try:
        image = Image.open(file)  # reads the header only: nothing is decoded yet
        _check_pixels(image)
        image.verify()  # structural check; the image must be reopened after it
        file.seek(0)
        image = Image.open(file)
        _check_pixels(image)
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own (higher) limit
        raise _bomb(exc) from exc
    except Exception as exc:  # UnidentifiedImageError, OSError, SyntaxError, struct errors...: not an image
        raise ValidationError(UNREADABLE) from exc
    return image


def check_size(file) -> None:
    """Bytes and declared pixels only, from the header: the cheap checks that must come before decoding.

    A file Pillow cannot even identify passes here; the decoding checks refuse it afterwards.
    """
    limit = settings.SOULSEER_PHOTO_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            f"The photo is too large ({file.size / 1_048_576:.1f} MB); the limit is {limit // 1_048_576} MB."
        )
    file.seek(0)
    try:
        image = Image.open(file)
    except Image.DecompressionBombError as exc:
        raise _bomb(exc) from exc
    except Exception:  # not an image: left to the checks that decode
        return
    finally:
        file.seek(0)
    _check_pixels(image)


def validate_photo(file) -> None:
    limit = settings.SOULSEER_PHOTO_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            f"The photo is too large ({file.size / 1_048_576:.1f} MB); the limit is {limit // 1_048_576} MB."
        )
    if getattr(file, "_committed", False) and not hasattr(file, "content_type"):
        return  # an already-stored photo was validated when it was uploaded
    image = _open(file)
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError(f"{image.format or 'This'} images are not accepted. Upload a JPEG, PNG or WebP.")
    file.seek(0)


def reencode_photo(file) -> ContentFile:
    """Return the validated upload re-encoded as a WebP of at most MAX_SIDE pixels a side."""
    validate_photo(file)
    image = _open(file)
    try:
        if image.format == "JPEG":
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2..1/8 scale: less memory for big JPEGs
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        image.save(out, format="WEBP", quality=85)
    except Exception as exc:  # truncated data, bad chunks...: whatever Pillow raises while decoding
        raise ValidationError(UNREADABLE) from exc
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.webp")


# --- thumbnails -------------------------------------------------------------------------------------


def thumbnail_name(name: str, size: int) -> str:
    """``readers/abc.webp`` -> ``readers/thumbs/abc-64.webp``."""
    folder, base = posixpath.split(name)
    stem = posixpath.splitext(base)[0]
    return posixpath.join(folder, "thumbs", f"{stem}-{size}.webp")


def make_thumbnails(name: str, storage: Storage | None = None) -> list[str]:
    """Square WebP thumbnails of a stored photo, one per size; returns their names."""
    storage = storage or default_storage
    with storage.open(name, "rb") as stored:
        image = Image.open(stored)
        _check_pixels(image)
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    made = []
    for size in thumbnail_sizes():
        thumb = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
        out = io.BytesIO()
        thumb.save(out, format="WEBP", quality=82, method=4)
        target = thumbnail_name(name, size)
        if storage.exists(target):
            storage.delete(target)
        made.append(storage.save(target, ContentFile(out.getvalue())))
    return made


def delete_photo(name: str, storage: Storage | None = None) -> None:
    """Delete a stored photo and its thumbnails (missing files are fine)."""
    storage = storage or default_storage
    for target in (name, *(thumbnail_name(name, size) for size in thumbnail_sizes())):
        try:
            storage.delete(target)
        except OSError:
            log.warning("could not delete %s", target, exc_info=True)


def thumbnails_exist(name: str, storage: Storage | None = None) -> bool:
    storage = storage or default_storage
    return all(storage.exists(thumbnail_name(name, size)) for size in thumbnail_sizes())
