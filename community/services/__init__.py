"""Community use cases, one module per topic (notifications, forum, messages, moderation)."""
