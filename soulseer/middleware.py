"""Project middleware: the Content-Security-Policy with the site's own WebSocket origin."""

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, adding ``ws(s)://<this host>`` to ``connect-src``.

    CSP Level 3 counts ``ws:``/``wss:`` on the page's own host as ``'self'``, but older browsers
    (Safari before 15.4) do not, and the pages talk to ``/ws/...`` on their own host. The origin is
    the request's own (a host Django already validated against ALLOWED_HOSTS), never a wildcard.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        try:
            host = request.get_host()
        except Exception:  # DisallowedHost: Django answers 400 itself; keep the base policy
            return parts
        origin = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), origin]
        parts.update = update
        return parts
