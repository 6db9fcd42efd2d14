"""Hand out a private file (under PRIVATE_MEDIA_ROOT) after the view checked who asks.

Behind nginx (``PRIVATE_MEDIA_X_ACCEL_PREFIX``, ``/protected/`` by default with DEBUG off) the view
answers with an empty body and ``X-Accel-Redirect``; nginx's ``internal`` location then streams the
file itself (deploy/nginx/soulseer.conf). Without a proxy (development) Django streams it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.encoding import iri_to_uri
from django.utils.http import content_disposition_header


def _resolve(name: str) -> Path:
    root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    if "\x00" in name:
        raise Http404("No such file.")
    path = (root / name).resolve()
    if root not in path.parents:
        raise Http404("No such file.")  # "../" and absolute names never leave the private root
    return path


def private_file_response(name: str, *, download_name: str | None = None) -> HttpResponse:
    """The response for a private file ``name`` (relative to PRIVATE_MEDIA_ROOT); 404 when absent."""
    path = _resolve(name)
    if not path.is_file():
        raise Http404("No such file.")
    prefix = settings.PRIVATE_MEDIA_X_ACCEL_PREFIX
    if prefix:
        relative = path.relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve()).as_posix()
        response = HttpResponse(content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        response["X-Accel-Redirect"] = iri_to_uri(prefix.rstrip("/") + "/" + relative)
    else:
        response = FileResponse(path.open("rb"))
    response["Content-Disposition"] = content_disposition_header(True, download_name or path.name)
    response["Cache-Control"] = "private, no-store"
    return response
