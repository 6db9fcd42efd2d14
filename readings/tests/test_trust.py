"""The trust pages' rules: one affordability rule for buttons and requests, review replies, the
missed-request notification, reviews on the profile (newest first, paginated, histogram)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Notification
from readings import services
from readings.models import Reading, Review
from readings.reviews import REVIEWS_PAGE_SIZE
from readings.tests.helpers import active_reading, at, fund

pytestmark = pytest.mark.django_db


# --- affordability: one rule -------------------------------------------------------------------


def test_affordability_needs_the_minimum_minutes_and_five_dollars(alice, bob):
    profile = bob.reader_profile  # chat $2.00, voice $3.00, video $4.00
    fund(alice, "9.00")
    chat = services.affordability(alice, profile, "chat")
    assert chat.ok and chat.needed == Decimal("6.00")
    video = services.affordability(alice, profile, "video")
    assert not video.ok and video.needed == Decimal("12.00") and video.shortfall == Decimal("3.00")
    assert "$12.00" in video.reason and "$9.00" in video.reason


def test_affordability_floor_is_the_minimum_start_balance(alice, bob):
    bob.reader_profile.chat_rate = Decimal("0.50")
    bob.reader_profile.save()
    fund(alice, "4.99")
    result = services.affordability(alice, bob.reader_profile, "chat")
    assert not result.ok and result.needed == Decimal("5.00")


def test_request_refuses_with_the_same_reason_the_button_shows(alice, bob):
    fund(alice, "9.00")
    expected = services.affordability(alice, bob.reader_profile, "video").reason
    with pytest.raises(services.ReadingError) as refused:
        services.request_reading(alice, bob.reader_profile, "video")
    assert str(refused.value) == expected
    assert services.request_reading(alice, bob.reader_profile, "chat").status == "requested"


def test_profile_disables_what_the_client_cannot_afford(client, alice, bob):
    fund(alice, "8.00")
    client.force_login(alice)
    html = client.get(reverse("reader_detail", args=["bob-the-seer"])).content.decode()
    assert 'data-unaffordable="video"' in html and 'data-unaffordable="voice"' in html
    assert 'data-unaffordable="chat"' not in html
    assert "You need $12.00 to start; your balance is $8.00." in html
    assert 'name="amount" value="10"' in html  # one click adds the smallest preset covering $4.00
    assert reverse("readings:request", args=["bob-the-seer"]) in html  # chat still starts


def test_anonymous_visitors_go_through_sign_up_and_back(client, bob):
    html = client.get(reverse("reader_detail", args=["bob-the-seer"])).content.decode()
    assert "/accounts/signup/?next=/readers/bob-the-seer/" in html
    assert "Chat now · $2.00/min" in html


def test_offline_and_busy_readers_show_their_state(client, alice, bob):
    from accounts.models import ReaderProfile

    ReaderProfile.objects.filter(user=bob).update(availability="offline")
    client.force_login(alice)
    html = client.get(reverse("reader_detail", args=["bob-the-seer"])).content.decode()
    assert 'data-when="offline">' in html  # the offline variant is the visible one
    assert "Notify me when online" in html
    assert 'data-when="online" hidden' in html


# --- review replies ------------------------------------------------------------------------------


@pytest.fixture
def review(alice, bob):
    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    services.end_reading(reading, alice, now=at(30))
    return services.leave_review(reading, alice, 5, "Lovely")


def test_the_reader_replies_once(review, bob):
    services.reply_to_review(review, bob, "  Thank you, Alice!  ")
    review.refresh_from_db()
    assert review.reply == "Thank you, Alice!" and review.replied_at is not None
    with pytest.raises(services.ReadingError, match="already replied"):
        services.reply_to_review(review, bob, "Again")
    review.refresh_from_db()
    assert review.reply == "Thank you, Alice!"


def test_only_the_reviewed_reader_may_reply(review, alice):
    from accounts.tests.factories import ReaderProfileFactory

    other = ReaderProfileFactory().user
    for who in (alice, other):
        with pytest.raises(services.ReadingError, match="Only the reader"):
            services.reply_to_review(review, who, "Hi")
    assert Review.objects.get(pk=review.pk).replied_at is None


def test_empty_or_long_replies_are_refused(review, bob):
    with pytest.raises(services.ReadingError):
        services.reply_to_review(review, bob, "   ")
    with pytest.raises(services.ReadingError):
        services.reply_to_review(review, bob, "x" * 1001)


def test_reply_from_the_dashboard_shows_on_the_profile(client, review, bob):
    client.force_login(bob)
    dashboard = client.get(reverse("reader_dashboard")).content.decode()
    assert reverse("readings:reply", args=[review.pk]) in dashboard
    client.post(reverse("readings:reply", args=[review.pk]), {"reply": "Thank you <3"})
    profile = client.get(reverse("reader_detail", args=["bob-the-seer"])).content.decode()
    assert "Reply from Bob the Seer" in profile and "Thank you &lt;3" in profile
    assert reverse("readings:reply", args=[review.pk]) not in client.get(reverse("reader_dashboard")).content.decode()


def test_someone_elses_review_is_a_404(client, review):
    from accounts.tests.factories import ReaderProfileFactory

    other = ReaderProfileFactory().user
    client.force_login(other)
    assert client.post(reverse("readings:reply", args=[review.pk]), {"reply": "Hi"}).status_code == 404


# --- reviews on the profile ----------------------------------------------------------------------


def _reviews(reader, client_user, ratings):
    now = timezone.now()
    for n, rating in enumerate(ratings):
        reading = Reading.objects.create(
            client=client_user,
            reader=reader,
            type="chat",
            rate=Decimal("2.00"),
            status="ended",
            requested_at=now - timedelta(days=n + 1),
            started_at=now - timedelta(days=n + 1),
            ended_at=now - timedelta(days=n + 1),
        )
        Review.objects.create(
            reading=reading,
            client=client_user,
            reader=reader,
            rating=rating,
            comment=f"review {n}",
            created_at=now - timedelta(days=n + 1),
        )
    services.recompute_rating(reader.pk)


def test_profile_reviews_are_paginated_newest_first_with_a_histogram(client, alice, bob):
    _reviews(bob, alice, [5, 4, 5, 3, 5, 1, 5, 4, 5, 2])
    html = client.get(reverse("reader_detail", args=["bob-the-seer"])).content.decode()
    assert html.index("review 0") < html.index("review 1")  # newest first
    assert f"review {REVIEWS_PAGE_SIZE - 1}" in html and f"review {REVIEWS_PAGE_SIZE}" not in html
    assert 'data-stars="5">5<' in html and 'data-stars="1">1<' in html
    page2 = client.get(reverse("reader_detail", args=["bob-the-seer"]), {"reviews": 2}).content.decode()
    assert f"review {REVIEWS_PAGE_SIZE}" in page2
    fragment = client.get(
        reverse("reader_detail", args=["bob-the-seer"]),
        {"reviews": 2},
        headers={"HX-Request": "true", "HX-Target": "review-list"},
    ).content.decode()
    assert "<html" not in fragment and f"review {REVIEWS_PAGE_SIZE}" in fragment


def test_directory_cards_show_readings_completed(client, alice, bob):
    _reviews(bob, alice, [5, 5, 4])
    Reading.objects.create(
        client=alice, reader=bob, type="chat", rate=Decimal("2.00"), status="declined", requested_at=timezone.now()
    )
    html = client.get(reverse("reader_directory")).content.decode()
    assert '<span class="block text-sm font-semibold text-white" data-readings-completed>3</span>' in html


# --- the missed request --------------------------------------------------------------------------


def test_an_expired_request_tells_the_reader_once(alice, bob, settings):
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "chat", now=at(0))
    assert services.expire_stale_requests(now=at(settings.READINGS_REQUEST_TIMEOUT_SECONDS + 1)) == 1
    assert services.expire_stale_requests(now=at(settings.READINGS_REQUEST_TIMEOUT_SECONDS + 5)) == 0
    missed = Notification.objects.get(user=bob, kind="reading_missed")
    assert alice.public_name in missed.text and "chat" in missed.text
    reading.refresh_from_db()
    assert reading.status == "expired"
    assert not Notification.objects.filter(user=alice).exists()
