"""The forum and its moderation, mounted at /community/."""

from django.urls import path

from community import converters  # noqa: F401 - registers <dbid:…>
from community import views_forum as views
from community import views_moderation as moderation

app_name = "community"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("moderation/", moderation.queue, name="moderation"),
    path("moderation/log/", moderation.log, name="moderation_log"),
    path("moderation/post/<dbid:pk>/", moderation.act, name="moderate_post"),
    path("moderation/sanction/<dbid:pk>/lift/", moderation.lift, name="lift_sanction"),
    path("thread/<dbid:pk>/", views.thread, name="thread"),
    path("thread/<dbid:pk>/reply/", views.reply, name="reply"),
    path("thread/<dbid:pk>/moderate/", views.moderate_thread, name="moderate_thread"),
    path("post/<dbid:pk>/", views.post_permalink, name="post"),
    path("post/<dbid:pk>/edit/", views.edit_post, name="edit_post"),
    path("post/<dbid:pk>/flag/", views.flag_post, name="flag_post"),
    path("<slug:slug>/", views.category, name="category"),
    path("<slug:slug>/new/", views.new_thread, name="new_thread"),
]
