from django.apps import AppConfig


class StreamsConfig(AppConfig):
    """Live streams and paid gifts; filled by a later issue."""

    name = "streams"
