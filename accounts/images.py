"""Reader photos: accept JPEG, PNG or WebP up to the size limit, and re-encode every upload.

Re-encoding drops EXIF (location!) and anything smuggled after the image data,
and bounds the stored size, so what reaches MEDIA_ROOT is always a plain WebP.
"""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 800


def _open(file) -> Image.Image:
    file.seek(0)
    try:
        image = Image.open(file)
        image.verify()  # structural check; the image must be reopened after it
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError("This file is not an image we can read. Upload a JPEG, PNG or WebP.") from exc
    file.seek(0)
    return Image.open(file)


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
    image = ImageOps.exif_transpose(_open(file))
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.webp")
