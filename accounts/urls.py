from django.urls import path

from accounts import views

urlpatterns = [
    path("readers/", views.reader_directory, name="reader_directory"),
    path("readers/<slug:slug>/", views.reader_detail, name="reader_detail"),
    path("readers/<slug:slug>/favourite/", views.favourite, name="favourite"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/client/", views.client_dashboard, name="client_dashboard"),
    path("dashboard/client/settings/", views.client_settings, name="client_settings"),
    path("dashboard/reader/", views.reader_dashboard, name="reader_dashboard"),
    path("dashboard/reader/availability/", views.reader_availability, name="reader_availability"),
    path("staff/", views.staff_dashboard, name="staff_dashboard"),
]
