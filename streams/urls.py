from django.urls import path

from streams import views

app_name = "streams"

urlpatterns = [
    path("", views.live_list, name="list"),
    path("badge/", views.live_badge, name="badge"),
    path("badge/<slug:slug>/", views.live_badge, name="reader_badge"),
    path("studio/", views.studio, name="studio"),
    path("past/", views.past, name="past"),
    path("restrictions/<int:pk>/lift/", views.lift, name="lift"),
    path("<int:pk>/", views.watch, name="watch"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/summary/", views.summary, name="summary"),
]
