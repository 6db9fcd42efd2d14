"""Permissions-Policy: camera and microphone are off everywhere except on the pages that need them.

``PermissionsPolicyMiddleware`` sends ``Permissions-Policy`` on every response, denying the
powerful features SoulSeer never uses. A view wrapped with :func:`camera_and_microphone` gets
``camera=(self), microphone=(self)`` instead of ``camera=(), microphone=()``: the reading room
(and, after the merge, the streams pages) asks for them; nothing else, and no embedded frame, can.
"""

from __future__ import annotations

from functools import wraps

from asgiref.sync import iscoroutinefunction

# Features denied on every page; values are allow-lists in the header's structured syntax.
DEFAULT_POLICY: dict[str, str] = {
    "camera": "()",
    "microphone": "()",
    "display-capture": "()",
    "geolocation": "()",
    "payment": "()",
    "usb": "()",
}
CAMERA_AND_MICROPHONE = {"camera": "(self)", "microphone": "(self)"}


def header_value(allow: dict[str, str] | None = None) -> str:
    policy = {**DEFAULT_POLICY, **(allow or {})}
    return ", ".join(f"{feature}={value}" for feature, value in policy.items())


def camera_and_microphone(view):
    """Allow this view's page (and only same-origin frames in it) to use the camera and microphone."""

    if iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request, *args, **kwargs):
            response = await view(request, *args, **kwargs)
            response.permissions_policy = CAMERA_AND_MICROPHONE
            return response

        return async_wrapper

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.permissions_policy = CAMERA_AND_MICROPHONE
        return response

    return wrapper


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = header_value(getattr(response, "permissions_policy", None))
        return response
