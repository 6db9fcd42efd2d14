"""Role guards: anonymous visitors are sent to log in, a signed-in wrong role gets a 403."""

from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def has_role(user, roles) -> bool:
    return user.is_authenticated and user.is_active and user.role in roles


def role_required(*roles):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, roles):
                raise PermissionDenied("This page is not available to your account.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


client_required = role_required("client")
reader_required = role_required("reader")
admin_required = role_required("admin")


class RoleRequiredMixin(AccessMixin):
    """Class-based twin of :func:`role_required`: set ``roles`` on the view."""

    roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, self.roles):
            raise PermissionDenied("This page is not available to your account.")
        return super().dispatch(request, *args, **kwargs)
