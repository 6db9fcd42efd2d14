from django.urls import path

from soulseer.private_files import private_file_response
from soulseer.urls import handler403, handler404, handler500  # noqa: F401
from soulseer.urls import urlpatterns as site_urlpatterns


def private_file(request, name):
    return private_file_response(name)


urlpatterns = [path("_test/private/<path:name>", private_file), *site_urlpatterns]
