from django.urls import path

from readings.consumers import ReadingConsumer

websocket_urlpatterns = [path("ws/readings/<int:reading_id>/", ReadingConsumer.as_asgi())]
