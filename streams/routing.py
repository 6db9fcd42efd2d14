from django.urls import path

from streams import consumers

websocket_urlpatterns = [
    path("ws/streams/<int:stream_id>/", consumers.StreamConsumer.as_asgi()),
    path("ws/live/", consumers.LobbyConsumer.as_asgi()),
]
