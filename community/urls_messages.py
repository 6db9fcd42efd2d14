"""Private messages, mounted at /messages/."""

from django.urls import path, register_converter

from community import views_messages as views
from community.converters import IdConverter

register_converter(IdConverter, "dbid")

app_name = "messages"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/<dbid:user_id>/", views.new, name="new"),
    path("block/<dbid:user_id>/", views.block, name="block"),
    path("unblock/<dbid:user_id>/", views.unblock, name="unblock"),
    path("<dbid:pk>/", views.conversation, name="conversation"),
    path("<dbid:pk>/feed/", views.feed, name="feed"),
    path("<dbid:pk>/send/", views.send, name="send"),
    path("<dbid:pk>/open/<dbid:message_id>/", views.open_reply, name="open"),
]
