"""Reading pages: request with refusals as messages, waiting, answer, room access, summary, history, staff."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import ReaderProfile
from accounts.tests.factories import UserFactory
from payments import services as payments
from readings import services
from readings.models import ChatMessage, Reading, Review
from readings.tests.helpers import active_reading, at, beat, fund

pytestmark = pytest.mark.django_db


def request_url():
    return reverse("readings:request", args=["bob-the-seer"])


def test_profile_shows_start_buttons_to_clients(client, alice, bob):
    fund(alice, "50.00")
    client.force_login(alice)
    page = client.get(reverse("reader_detail", args=["bob-the-seer"])).content.decode()
    for kind in ("chat", "voice", "video"):
        assert f'data-start="{kind}"' in page
    assert request_url() in page


def test_request_redirects_to_waiting_page(client, alice, bob):
    fund(alice, "50.00")
    client.force_login(alice)
    response = client.post(request_url(), {"type": "video"})
    reading = Reading.objects.get(client=alice)
    assert response.status_code == 302 and response.url == reverse("readings:detail", args=[reading.pk])
    page = client.get(response.url).content.decode()
    assert "Waiting for" in page and "Bob the Seer" in page and reverse("readings:cancel", args=[reading.pk]) in page


def test_refusal_is_a_message_on_the_profile(client, alice, bob):
    client.force_login(alice)  # no funds
    response = client.post(request_url(), {"type": "video"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reader_detail", args=["bob-the-seer"])
    assert "You need at least $12.00" in response.content.decode()
    ReaderProfile.objects.filter(user=bob).update(availability="offline")
    fund(alice, "50.00")
    response = client.post(request_url(), {"type": "video"}, follow=True)
    assert "is not online right now" in response.content.decode()
    assert not Reading.objects.exists()


def test_readers_cannot_request(client, bob):
    client.force_login(bob)
    assert client.post(request_url(), {"type": "chat"}).status_code == 403


def test_reader_accepts_and_lands_in_room(client, alice, bob):
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "chat")
    client.force_login(bob)
    page = client.get(reverse("readings:detail", args=[reading.pk])).content.decode()
    assert alice.public_name in page and "data-accept" in page
    response = client.post(reverse("readings:accept", args=[reading.pk]))
    assert response.url == reverse("readings:room", args=[reading.pk])
    room = client.get(response.url).content.decode()
    assert 'id="reading-config"' in room and "reading_room.js" in room
    assert alice.email not in room  # privacy: the reader sees "Client #id"


def test_reader_declines(client, alice, bob):
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "chat")
    client.force_login(bob)
    client.post(reverse("readings:decline", args=[reading.pk]))
    reading.refresh_from_db()
    assert reading.status == "declined"
    client.force_login(alice)
    status = client.get(reverse("readings:status", args=[reading.pk])).content.decode()
    assert "declined" in status


def test_client_cancels_while_waiting(client, alice, bob):
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "chat")
    client.force_login(alice)
    client.post(reverse("readings:cancel", args=[reading.pk]))
    assert Reading.objects.get(pk=reading.pk).status == "cancelled"


def test_status_redirects_into_the_room_once_accepted(client, alice, bob):
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "chat")
    services.accept_reading(reading, bob)
    client.force_login(alice)
    response = client.get(reverse("readings:status", args=[reading.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("readings:detail", args=[reading.pk])
    assert client.get(response["HX-Redirect"]).url == reverse("readings:room", args=[reading.pk])


def test_strangers_get_403_everywhere(client, alice, bob):
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "chat")
    client.force_login(UserFactory())
    for name in ("readings:detail", "readings:room", "readings:summary", "readings:status"):
        assert client.get(reverse(name, args=[reading.pk])).status_code == 403


def test_room_has_ice_servers_with_short_lived_turn_credentials(client, alice, bob, settings):
    settings.TURN_URLS = ["turn:turn.example.test:3478"]
    settings.TURN_SECRET = "s3cret"
    settings.STUN_URLS = ["stun:turn.example.test:3478"]
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "video")
    services.accept_reading(reading, bob)
    client.force_login(alice)
    config = client.get(reverse("readings:room", args=[reading.pk])).context["config"]
    stun, turn = config["iceServers"]
    assert stun == {"urls": ["stun:turn.example.test:3478"]}
    expiry, user_id = turn["username"].split(":")
    assert user_id == str(alice.pk) and int(expiry) > 0
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert "s3cret" not in client.get(reverse("readings:room", args=[reading.pk])).content.decode()


def test_no_ice_servers_by_default(client, alice, bob, settings):
    settings.TURN_URLS, settings.STUN_URLS, settings.TURN_SECRET = [], [], ""
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "voice")
    services.accept_reading(reading, bob)
    client.force_login(bob)
    assert client.get(reverse("readings:room", args=[reading.pk])).context["config"]["iceServers"] == []


def test_summary_escapes_transcript_and_takes_one_review(client, alice, bob):
    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    ChatMessage.objects.create(reading=reading, sender=alice, text="<script>alert(1)</script>", sent_at=at(5))
    services.end_reading(reading, alice, now=at(30))
    client.force_login(alice)
    page = client.get(reverse("readings:summary", args=[reading.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert 'id="review-form"' in page
    client.post(reverse("readings:review", args=[reading.pk]), {"rating": "5", "comment": "<b>great</b>"})
    client.post(reverse("readings:review", args=[reading.pk]), {"rating": "1", "comment": "again"})
    assert Review.objects.get().rating == 5
    page = client.get(reverse("readings:summary", args=[reading.pk])).content.decode()
    assert 'id="review-form"' not in page and "&lt;b&gt;great&lt;/b&gt;" in page


def test_history_lists_past_readings_for_both(client, alice, bob):
    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    services.end_reading(reading, bob, now=at(30))
    summary_url = reverse("readings:summary", args=[reading.pk])
    for user in (alice, bob):
        client.force_login(user)
        page = client.get(reverse("readings:history")).content.decode()
        assert summary_url in page
    client.force_login(bob)
    assert alice.email not in client.get(reverse("readings:history")).content.decode()


def test_admin_reads_transcripts_and_refunds(client, alice, bob, carol):
    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    beat(reading, at(61))
    services.charge_due_minutes(reading, at(61))
    ChatMessage.objects.create(reading=reading, sender=alice, text="it cut out", sent_at=at(5))
    services.end_reading(reading, alice, now=at(70))
    client.force_login(carol)
    assert str(reading.pk) in client.get(reverse("readings:staff_list")).content.decode()
    page = client.get(reverse("readings:summary", args=[reading.pk])).content.decode()
    assert "it cut out" in page and reverse("readings:refund", args=[reading.pk]) in page
    before = payments.balance(alice)
    client.post(reverse("readings:refund", args=[reading.pk]), {"minutes": "1", "reason": "Call dropped"})
    assert payments.balance(alice) == before + Decimal("4.00")
    assert Reading.objects.get(pk=reading.pk).disputed
    # the Django admin too
    assert client.get(reverse("admin:readings_reading_change", args=[reading.pk])).status_code == 200
    client.force_login(alice)
    assert client.get(reverse("readings:staff_list")).status_code == 403
    assert (
        client.post(reverse("readings:refund", args=[reading.pk]), {"minutes": "1", "reason": "x"}).status_code == 403
    )


def test_reviews_show_on_the_profile_escaped(client, alice, bob):
    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    services.end_reading(reading, alice, now=at(30))
    services.leave_review(reading, alice, 4, "Kind <and> wise")
    html = client.get(reverse("reader_detail", args=["bob-the-seer"])).content.decode()
    assert "Kind &lt;and&gt; wise" in html and "4 out of 5" in html and "Video reading" in html
