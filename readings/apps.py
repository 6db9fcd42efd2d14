from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    """Pay-per-minute readings: session lifecycle, billing engine, reviews (see issue 4)."""

    name = "readings"
