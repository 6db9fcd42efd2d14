from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    """Pay-per-minute readings: session lifecycle, billing engine, reviews, presence (see issue 4)."""

    name = "readings"

    def ready(self):
        from readings import presence  # noqa: F401  (connects the presence receivers)
