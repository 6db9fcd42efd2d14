from django.urls import re_path

from accounts.routing import websocket_urlpatterns as accounts_ws
from readings.routing import websocket_urlpatterns as readings_ws
from soulseer.websocket import RefusedRoute
from streams.routing import websocket_urlpatterns as streams_ws

websocket_urlpatterns = [
    *accounts_ws,
    *readings_ws,
    *streams_ws,
    re_path(r"", RefusedRoute.as_asgi()),  # last: any other path is refused at the handshake, not a 500
]
