from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Forum, direct messages and moderation; filled by a later issue."""

    name = "community"
