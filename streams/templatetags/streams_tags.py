from django import template

from streams.views import _badge_context

register = template.Library()


@register.inclusion_tag("streams/fragment_live_badge.html")
def live_badge(reader=None):
    """The "Live now" badge: a reader's (profile) or the site's count (home page). Polls to stay current."""
    return _badge_context(reader)


@register.inclusion_tag("streams/fragment_studio_card.html", takes_context=True)
def studio_card(context):
    from streams.models import Stream

    user = context["request"].user
    live = Stream.objects.filter(reader=user, status=Stream.Status.LIVE).first()
    return {"live": live, "past_count": Stream.objects.filter(reader=user, status=Stream.Status.ENDED).count()}
