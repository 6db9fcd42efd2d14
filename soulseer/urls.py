from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from soulseer import views

urlpatterns = [
    path("", views.home, name="home"),
    path("about/<slug:page>/", views.policy_page, name="policy"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("readings/", include("readings.urls")),
    path("live/", include("streams.urls")),
    path("", include("payments.urls")),
    path("django-admin/", admin.site.urls),
]

# Reader photos: every upload is re-encoded by Pillow before it is stored, so the
# files under MEDIA_ROOT are plain images; a front proxy may serve them instead.
urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

handler403 = "soulseer.views.permission_denied"
handler404 = "soulseer.views.page_not_found"
handler500 = "soulseer.views.server_error"
