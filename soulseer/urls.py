from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from ops.health import health
from soulseer import views

urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("about/<slug:page>/", views.policy_page, name="policy"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("readings/", include("readings.urls")),
    path("live/", include("streams.urls")),
    path("", include("payments.urls")),
    path("notifications/", include("community.urls_notifications")),
    path("community/", include("community.urls")),
    path("messages/", include("community.urls_messages")),
    path("shop/", include("shop.urls")),
    path("django-admin/", admin.site.urls),
]

# Health for load balancers and uptime monitors (ops/health.py).
urlpatterns += [path("health/", health, name="health")]

# Uploaded media (re-encoded photos): served by Django only in development; in production nginx
# serves MEDIA_ROOT with far-future caching (deploy/nginx/soulseer.conf, docs/production.md).
if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

handler403 = "soulseer.views.permission_denied"
handler404 = "soulseer.views.page_not_found"
handler500 = "soulseer.views.server_error"
