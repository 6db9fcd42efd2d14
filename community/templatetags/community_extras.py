"""Rendering people's text safely, and the navigation's unread-messages count.

``plain_text`` is the only way community text reaches a page: everything is escaped first, then
http(s) links and ``www.`` addresses become links (``rel="nofollow"``, long ones shortened) and line
breaks become ``<br>``. No HTML anyone typed is ever rendered; ``javascript:`` is never a link.
"""

from django import template
from django.utils.html import urlize
from django.utils.safestring import mark_safe

from community.services import messages as messages_service

register = template.Library()

URL_DISPLAY_LIMIT = 60


@register.filter(is_safe=True)
def plain_text(value) -> str:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    linked = urlize(text, trim_url_limit=URL_DISPLAY_LIMIT, nofollow=True, autoescape=True)  # escapes first
    return mark_safe(linked.replace("\n", "<br>"))  # noqa: S308 - every character came through escape()


@register.filter
def excerpt(value, length: int = 200) -> str:
    """One line of plain text, at most ``length`` characters (escape it as usual when shown)."""
    flat = " ".join(str(value or "").split())
    return flat if len(flat) <= int(length) else flat[: int(length)].rstrip() + "…"


@register.simple_tag
def messages_unread(user) -> int:
    """Unread private messages of the signed-in person (one COUNT), for the nav badge."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return messages_service.unread_count(user)
