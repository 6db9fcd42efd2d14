"""ASGI entry point: HTTP goes to Django, WebSockets to the apps' consumers.

WebSockets pass the same-origin check (``soulseer.websocket``) and the session auth middleware,
so every consumer knows who is on the other end before it accepts.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soulseer.settings")
django_asgi_app = get_asgi_application()  # before importing consumers (app registry)

import gc  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from soulseer.routing import websocket_urlpatterns  # noqa: E402
from soulseer.websocket import SameOriginValidator  # noqa: E402

# Everything loaded so far (Django, the apps, the URL map) lives as long as the process: freeze it
# out of the collector's full passes. With a thousand open reading rooms per daphne, each full pass
# over it all held the event loop for 100-260 ms (benchmarks/readings_bench.py: signalling p99
# 164-248 ms before, 124 ms after).
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
