from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Forum, direct messages and moderation, and the notification centre."""

    name = "community"

    def ready(self):
        from community import receivers  # noqa: F401
