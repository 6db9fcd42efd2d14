from accounts.routing import websocket_urlpatterns as accounts_ws
from readings.routing import websocket_urlpatterns as readings_ws
from streams.routing import websocket_urlpatterns as streams_ws

websocket_urlpatterns = [*accounts_ws, *readings_ws, *streams_ws]
