"""Stream pages: /live/, watching, the studio, summaries, past streams, badges, the admin."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import ReaderProfileFactory
from readings.tests.helpers import verify_ledger
from streams import services
from streams.models import Stream
from streams.tests.helpers import fund

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_janus(settings):
    settings.JANUS_URLS = []


@pytest.fixture
def stream(bob):
    return services.go_live(bob, title="Full moon tarot", description="Ask <b>me</b>", janus_urls=["ws://x"])


def login(client, user):
    client.force_login(user)
    return client


# --- /live/ -----------------------------------------------------------------------------------------


def test_live_list_shows_live_streams_sorted(client, stream, bob):
    other = ReaderProfileFactory(display_name="Zara").user
    second = services.go_live(other, title="Zodiac hour", janus_urls=[])
    Stream.objects.filter(pk=stream.pk).update(viewer_count=7, peak_viewers=7)
    newest = client.get("/live/").content.decode()
    assert newest.index("Zodiac hour") < newest.index("Full moon tarot")
    watched = client.get("/live/?sort=watched").content.decode()
    assert watched.index("Full moon tarot") < watched.index("Zodiac hour")
    assert "7 watching" in watched and "Chat only" in watched  # the stream without video says so
    services.end_stream(second, other)
    assert "Zodiac hour" not in client.get("/live/").content.decode()


def test_live_list_fragment_and_bad_sort(client, stream):
    response = client.get("/live/?sort=%00nonsense", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "Full moon tarot" in response.content.decode()


def test_empty_list(client):
    assert "Nobody is live right now" in client.get("/live/").content.decode()


def test_stale_stream_never_shows_as_live(client, stream):
    Stream.objects.filter(pk=stream.pk).update(publisher_seen_at=timezone.now() - timedelta(minutes=5))
    assert "Full moon tarot" not in client.get("/live/").content.decode()
    stream.refresh_from_db()
    assert stream.status == "ended" and stream.end_reason == "stale"


# --- badges -----------------------------------------------------------------------------------------


def test_live_badges_on_home_and_profile(client, stream, bob):
    home = client.get("/").content.decode()
    assert "1 live now" in home and 'hx-get="/live/badge/"' in home
    profile = client.get(f"/readers/{bob.reader_profile.slug}/").content.decode()
    assert f'href="/live/{stream.pk}/"' in profile and "Live now" in profile
    services.end_stream(stream, bob)
    badge = client.get(f"/live/badge/{bob.reader_profile.slug}/").content.decode()
    assert "Live now" not in badge and "data-live-badge" in badge
    assert client.get("/live/badge/no-such-reader/").status_code == 404


# --- watching -----------------------------------------------------------------------------------------


def test_anonymous_visitor_watches(client, stream):
    response = client.get(f"/live/{stream.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert stream.room_secret not in page and str(stream.room_id) not in page  # never sent to a browser
    assert "Log in</a> to send gifts" in page and 'id="chat-input"' not in page
    assert "Ask &lt;b&gt;me&lt;/b&gt;" in page  # escaped
    assert "Connecting to the live video" in page


def test_video_unavailable_is_said_clearly(client, bob):
    stream = services.go_live(bob, title="Chat only show", janus_urls=[])
    assert "Live video is unavailable right now" in client.get(f"/live/{stream.pk}/").content.decode()


def test_gift_bar_for_a_short_balance(client, stream, alice):
    fund(alice, "3.00")
    page = login(client, alice).get(f"/live/{stream.pk}/").content.decode()
    assert 'data-gift="heart"' in page
    rose = page[page.index('data-gift="rose"') : page.index("</button>", page.index('data-gift="rose"'))]
    heart = page[page.index('data-gift="heart"') : page.index("</button>", page.index('data-gift="heart"'))]
    assert " disabled" in rose and " disabled" not in heart
    assert "$3.00" in page


def test_zero_balance_explains_and_links_to_top_up(client, stream, alice):
    page = login(client, alice).get(f"/live/{stream.pk}/").content.decode()
    assert "balance is too low" in page and 'href="/wallet/"' in page


def test_private_reading_button_uses_the_request_flow(client, stream, alice):
    fund(alice, "50.00")
    page = login(client, alice).get(f"/live/{stream.pk}/").content.decode()
    assert f'action="/readings/request/{stream.reader.reader_profile.slug}/"' in page


def test_banned_viewer_gets_403(client, stream, alice, bob):
    services.restrict(bob, alice, "ban", bob)
    assert login(client, alice).get(f"/live/{stream.pk}/").status_code == 403


def test_ended_stream_redirects_to_summary(client, stream, bob):
    services.end_stream(stream, bob)
    response = client.get(f"/live/{stream.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/live/{stream.pk}/summary/"


def test_unknown_stream_is_404(client):
    assert client.get("/live/999999/").status_code == 404
    assert client.get("/live/999999/summary/").status_code == 404


# --- the studio ---------------------------------------------------------------------------------------


def test_studio_is_for_readers(client, alice):
    assert client.get("/live/studio/").status_code == 302
    assert login(client, alice).get("/live/studio/").status_code == 403


def test_go_live_from_the_studio(client, bob):
    page = login(client, bob).get("/live/studio/").content.decode()
    assert 'id="go-live-form"' in page and 'id="camera-select"' in page
    assert "Live video is unavailable right now" in page  # no Janus configured in this test
    response = client.post("/live/studio/", {"title": "Sunday tarot", "description": "", "category": "tarot"})
    assert response.status_code == 302 and response["Location"] == "/live/studio/"
    stream = Stream.objects.get(reader=bob, status="live")
    assert stream.category == "tarot" and not stream.has_video
    page = client.get("/live/studio/").content.decode()
    assert 'data-role="publisher"' in page and 'id="end-stream"' in page and "stream-config" in page
    # the reader's own watch link leads back to the studio
    assert client.get(f"/live/{stream.pk}/")["Location"] == "/live/studio/"


def test_studio_form_errors(client, bob):
    login(client, bob)
    for data in (
        {"title": "", "category": "tarot"},
        {"title": "ok title", "category": "nope"},
        {"title": "bad\x00", "category": "tarot"},
    ):
        response = client.post("/live/studio/", data)
        assert response.status_code == 200
    assert not Stream.objects.exists()


def test_end_from_the_studio_and_by_staff(client, stream, bob, alice, carol):
    assert login(client, alice).post(f"/live/{stream.pk}/end/").status_code == 403
    response = login(client, bob).post(f"/live/{stream.pk}/end/")
    assert response["Location"] == f"/live/{stream.pk}/summary/"
    stream.refresh_from_db()
    assert stream.status == "ended" and stream.end_reason == "reader"


def test_dashboard_links_to_the_studio(client, bob, stream):
    page = login(client, bob).get("/dashboard/reader/").content.decode()
    assert 'href="/live/studio/"' in page and "You are live now" in page


# --- records ------------------------------------------------------------------------------------------


def test_summary_and_past_streams_show_gifts(client, stream, alice, bob):
    fund(alice, "20.00")
    services.send_gift(stream.pk, alice, "rose", str(uuid.uuid4()))
    services.send_gift(stream.pk, alice, "heart", str(uuid.uuid4()))
    services.end_stream(stream, bob)
    page = login(client, bob).get(f"/live/{stream.pk}/summary/").content.decode()
    assert "$10.50" in page and "$7.35" in page and "Rose" in page and alice.public_name in page
    past = client.get("/live/past/").content.decode()
    assert "Full moon tarot" in past and "$10.50" in past
    public = login(client, alice).get(f"/live/{stream.pk}/summary/").content.decode()
    assert "$10.50" in public and 'id="summary-share"' not in public  # only the reader sees the share
    earnings = login(client, bob).get("/earnings/").content.decode()
    assert "Gift: Rose from" in earnings  # the ledger charge reads well in the earnings history
    verify_ledger()


def test_lift_a_restriction(client, bob, alice):
    restriction = services.restrict(bob, alice, "mute", bob)
    response = login(client, bob).post(f"/live/restrictions/{restriction.pk}/lift/")
    assert response.status_code == 302
    assert not services.restrictions_of(bob.pk, alice)
    other = ReaderProfileFactory().user
    restriction = services.restrict(bob, alice, "ban", bob)
    assert login(client, other).post(f"/live/restrictions/{restriction.pk}/lift/").status_code == 404


def test_admin_can_end_a_stream(client, stream, carol):
    login(client, carol)
    assert client.get("/django-admin/streams/stream/").status_code == 200
    page = client.get(f"/django-admin/streams/stream/{stream.pk}/change/").content.decode()
    assert stream.room_secret not in page
    response = client.post("/django-admin/streams/stream/", {"action": "end_streams", "_selected_action": [stream.pk]})
    assert response.status_code == 302
    stream.refresh_from_db()
    assert stream.status == "ended" and stream.end_reason == "staff" and stream.ended_by == carol
    assert client.get("/django-admin/streams/gifttype/").status_code == 200
