from django.urls import path

from readings import views

app_name = "readings"

urlpatterns = [
    path("request/<slug:slug>/", views.request_reading, name="request"),
    path("history/", views.history, name="history"),
    path("staff/", views.staff_list, name="staff_list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/room/", views.room, name="room"),
    path("<int:pk>/end/", views.end, name="end"),
    path("<int:pk>/summary/", views.summary, name="summary"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/refund/", views.refund, name="refund"),
    path("reviews/<int:pk>/reply/", views.reply, name="reply"),
]
