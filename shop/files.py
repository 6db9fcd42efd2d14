"""Private files of the shop: digital goods and service deliveries.

Stored under ``PRIVATE_MEDIA_ROOT/shop/`` with a random folder per file, never under a public URL;
handed out only by a view that checked who asks (``soulseer.private_files``). Size and type are
checked before anything is written.
"""

from __future__ import annotations

import contextlib
import posixpath
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import get_valid_filename


def validate_shop_file(upload) -> None:
    """A clear form error for a file that is too big or of a type the shop does not take."""
    limit = settings.SHOP_FILE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"This file is {upload.size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB."
        )
    if upload.size == 0:
        raise ValidationError("This file is empty.")
    extension = Path(upload.name or "").suffix.lower().lstrip(".")
    allowed = [t.lower() for t in settings.SHOP_FILE_TYPES]
    if extension not in allowed:
        raise ValidationError(f"Upload one of these types: {', '.join(allowed)}.")


def save_private_file(upload, folder: str) -> tuple[str, str, int]:
    """Store ``upload`` privately; returns (name under PRIVATE_MEDIA_ROOT, the original file name, size)."""
    original = get_valid_filename(Path(upload.name or "file").name)[:150] or "file"
    name = posixpath.join("shop", folder, uuid.uuid4().hex, original)
    path = Path(settings.PRIVATE_MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name, original, upload.size


def delete_private_file(name: str) -> None:
    if not name:
        return
    path = Path(settings.PRIVATE_MEDIA_ROOT) / name
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()
