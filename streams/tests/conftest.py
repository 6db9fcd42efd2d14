import importlib

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def gift_catalog(request):
    """The catalog comes from a data migration; tests on a flushed (transactional) database get it back."""
    if "django_db_setup" not in request.fixturenames:
        return
    request.getfixturevalue("django_db_blocker")
    migration = importlib.import_module("streams.migrations.0002_gift_catalog")
    with request.getfixturevalue("django_db_blocker").unblock():
        migration.add_catalog(apps, None)
