"""Private messages, mounted at /messages/."""

from django.urls import path

from community import converters  # noqa: F401 - registers <dbid:…>
from community import views_messages as views

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
