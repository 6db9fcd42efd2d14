"""Stream services: going live, gifts through the ledger, viewers, chat, moderation, ending."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ReaderProfile
from accounts.tests.factories import ReaderProfileFactory
from community.models import Notification
from payments import services as payments
from payments.models import Entry, Movement
from readings.tests.helpers import verify_ledger
from streams import services
from streams.models import Gift, GiftType, Stream, StreamConnection, StreamMessage, StreamRestriction
from streams.tests.helpers import client_user, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream(bob):
    return services.go_live(bob, title="Full moon tarot", category="tarot", janus_urls=["ws://janus-a"])


def key() -> str:
    return str(uuid.uuid4())


# --- the catalog ------------------------------------------------------------------------------------


def test_catalog_has_the_design_defaults():
    prices = {g.slug: g.price for g in GiftType.objects.all()}
    assert prices == {
        "heart": Decimal("0.50"),
        "star": Decimal("1.00"),
        "crystal": Decimal("2.00"),
        "moon": Decimal("5.00"),
        "rose": Decimal("10.00"),
    }
    for gift in services.catalog():
        assert gift.image == f"img/gifts/{gift.slug}.svg"


# --- going live ---------------------------------------------------------------------------------------


def test_go_live_creates_a_private_room_and_tells_fans(bob, alice):
    accounts_services.add_favourite(alice, bob.reader_profile)
    stream = services.go_live(bob, title="  Full moon tarot ", janus_urls=["ws://janus-a"])
    assert stream.status == Stream.Status.LIVE and stream.title == "Full moon tarot"
    assert stream.janus_url == "ws://janus-a"
    assert 0 < stream.room_id < 2**53 and 0 < stream.publisher_feed < 2**53 and len(stream.room_secret) >= 24
    note = Notification.objects.get(user=alice)
    assert note.kind == "stream_live" and "Bob the Seer is live now" in note.text
    assert note.url == f"/live/{stream.pk}/"
    bob.reader_profile.refresh_from_db()
    assert bob.reader_profile.availability == ReaderProfile.Availability.ONLINE  # "Private reading" works


def test_go_live_broadcasts_only_after_commit(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.go_live(bob, title="Tarot", janus_urls=[])
    assert callbacks  # lobby update (and presence) wait for the commit


def test_one_live_stream_per_reader(bob, stream):
    with pytest.raises(services.StreamError, match="already live"):
        services.go_live(bob, title="Another one", janus_urls=[])
    with pytest.raises(IntegrityError), transaction.atomic():  # the database itself refuses
        Stream.objects.create(reader=bob, title="x")


def test_only_readers_go_live(alice):
    with pytest.raises(services.StreamError, match="Only readers"):
        services.go_live(alice, title="Hello there", janus_urls=[])


@pytest.mark.parametrize(
    "title,message",
    [("ab", "too short"), ("x" * 121, "at most 120"), ("bad\x00title", "NUL"), ("bad \ud800 title", "invalid")],
)
def test_go_live_refuses_bad_titles(bob, title, message):
    with pytest.raises(services.StreamError, match=message):
        services.go_live(bob, title=title, janus_urls=[])


def test_without_janus_the_stream_has_no_video(bob):
    stream = services.go_live(bob, title="Chat only tonight", janus_urls=[])
    assert not stream.has_video and stream.room_id is None and stream.room_secret == ""


def test_streams_are_pinned_to_the_least_loaded_janus(settings):
    settings.JANUS_URLS = ["ws://a", "ws://b"]
    readers = [ReaderProfileFactory().user for _ in range(3)]
    urls = [services.go_live(r, title="Live reading").janus_url for r in readers]
    assert urls == ["ws://a", "ws://b", "ws://a"]


# --- gifts --------------------------------------------------------------------------------------------


def test_gift_splits_70_30_through_the_ledger(stream, alice, bob):
    fund(alice, "20.00")
    result = services.send_gift(stream.pk, alice, "rose", key())
    assert result.created and result.balance == Decimal("10.00")
    movement = Movement.objects.get(pk=result.gift.movement_id)
    assert movement.key == result.gift.key and movement.reference == f"stream:{stream.pk}"
    assert movement.memo.startswith("Gift: Rose from Client #") and "Full moon tarot" in movement.memo
    legs = {e.account.kind: e.amount for e in Entry.objects.filter(movement=movement).select_related("account")}
    assert legs == {"wallet": Decimal("-10.00"), "earnings": Decimal("7.00"), "revenue": Decimal("3.00")}
    assert payments.earnings_balance(bob) == Decimal("7.00")
    stream.refresh_from_db()
    assert stream.gift_total == Decimal("10.00") and stream.gift_count == 1
    assert stream.reader_share == Decimal("7.00")
    verify_ledger()


def test_heart_split_rounds_to_the_cent(stream, alice, bob):
    fund(alice, "5.00")
    services.send_gift(stream.pk, alice, "heart", key())
    assert payments.earnings_balance(bob) == Decimal("0.35")
    assert payments.system_balance("revenue") == Decimal("0.15")


def test_same_key_sends_one_gift(stream, alice):
    fund(alice, "20.00")
    k = key()
    first = services.send_gift(stream.pk, alice, "moon", k)
    again = services.send_gift(stream.pk, alice, "moon", k)
    assert first.created and not again.created and again.gift.pk == first.gift.pk
    assert Gift.objects.count() == 1 and Movement.objects.filter(kind="charge").count() == 1
    assert payments.balance(alice) == Decimal("15.00")
    stream.refresh_from_db()
    assert stream.gift_total == Decimal("5.00") and stream.gift_count == 1


def test_someone_elses_key_is_refused(stream, alice):
    fund(alice, "20.00")
    dave = client_user("dave@example.com", funds="20.00")
    k = key()
    services.send_gift(stream.pk, alice, "star", k)
    with pytest.raises(services.StreamError, match="bad gift id"):
        services.send_gift(stream.pk, dave, "star", k)
    assert payments.balance(dave) == Decimal("20.00")


def test_insufficient_funds_moves_nothing(stream, alice):
    fund(alice, "4.00")
    with pytest.raises(payments.InsufficientFunds, match="Not enough funds"):
        services.send_gift(stream.pk, alice, "moon", key())
    assert payments.balance(alice) == Decimal("4.00")
    assert not Gift.objects.exists()
    stream.refresh_from_db()
    assert stream.gift_total == 0 and stream.gift_count == 0


def test_no_gifts_once_the_stream_ended(stream, alice, bob):
    fund(alice, "20.00")
    services.end_stream(stream, bob)
    with pytest.raises(services.StreamError, match="only be sent while it is live"):
        services.send_gift(stream.pk, alice, "rose", key())
    assert payments.balance(alice) == Decimal("20.00")


@pytest.mark.parametrize("bad_key", ["", "not-a-uuid", None, "1" * 500])
def test_malformed_keys_are_refused(stream, alice, bad_key):
    fund(alice, "20.00")
    with pytest.raises(services.StreamError, match="bad gift id"):
        services.send_gift(stream.pk, alice, "rose", bad_key)


def test_unknown_or_inactive_gift_is_refused(stream, alice):
    fund(alice, "20.00")
    GiftType.objects.filter(slug="star").update(active=False)
    for slug in ("star", "diamond", None):
        with pytest.raises(services.StreamError, match="not available"):
            services.send_gift(stream.pk, alice, slug, key())


def test_only_clients_send_gifts(stream, carol):
    with pytest.raises(services.StreamError, match="client account"):
        services.send_gift(stream.pk, carol, "heart", key())


def test_banned_viewer_cannot_gift(stream, alice, bob):
    fund(alice, "20.00")
    services.restrict(bob, alice, "ban", bob)
    with pytest.raises(services.StreamError, match="cannot send gifts"):
        services.send_gift(stream.pk, alice, "heart", key())


def test_top_gifters(stream, alice):
    fund(alice, "30.00")
    dave = client_user("dave@example.com", "Dave", funds="30.00")
    services.send_gift(stream.pk, alice, "moon", key())
    services.send_gift(stream.pk, dave, "rose", key())
    services.send_gift(stream.pk, alice, "star", key())
    top = services.top_gifters(stream)
    assert [row["total"] for row in top] == ["10.00", "6.00"]
    assert top[1]["name"] == alice.public_name


# --- viewers ------------------------------------------------------------------------------------------


def test_viewer_accounting(stream, alice, bob):
    services.join(stream.pk, bob, "c-reader", f"u{bob.pk}")  # the reader publishes, is not a viewer
    services.join(stream.pk, alice, "c-1", f"u{alice.pk}")
    services.join(stream.pk, alice, "c-2", f"u{alice.pk}")  # a second tab counts once
    from django.contrib.auth.models import AnonymousUser

    services.join(stream.pk, AnonymousUser(), "c-3", "a-session")
    stream.refresh_from_db()
    assert (stream.viewer_count, stream.peak_viewers, stream.total_viewers) == (2, 2, 2)
    services.leave("c-1")
    stream.refresh_from_db()
    assert stream.viewer_count == 2  # alice still has a tab open
    services.leave("c-2")
    services.leave("c-3")
    stream.refresh_from_db()
    assert (stream.viewer_count, stream.peak_viewers, stream.total_viewers) == (0, 2, 2)
    services.leave("c-3")  # twice is harmless


def test_banned_people_cannot_join(stream, alice, bob):
    services.restrict(bob, alice, "ban", bob)
    with pytest.raises(services.Banned):
        services.join(stream.pk, alice, "c-1", f"u{alice.pk}")


def test_join_an_ended_stream_returns_none(stream, alice, bob):
    services.end_stream(stream, bob)
    assert services.join(stream.pk, alice, "c-1", f"u{alice.pk}") is None


# --- lifecycle ------------------------------------------------------------------------------------------


def test_lifecycle_end_by_reader(stream, alice, bob):
    services.join(stream.pk, alice, "c-1", f"u{alice.pk}")
    ended = services.end_stream(stream, bob)
    assert ended.status == "ended" and ended.end_reason == "reader" and ended.ended_at is not None
    assert ended.viewer_count == 0 and ended.peak_viewers == 1
    assert not StreamConnection.objects.filter(left_at__isnull=True).exists()
    assert services.end_stream(stream, bob).ended_at == ended.ended_at  # idempotent
    # and the reader can go live again
    assert services.go_live(bob, title="Second show", janus_urls=[]).pk != stream.pk


def test_only_reader_or_staff_end_a_stream(stream, alice, carol):
    with pytest.raises(services.StreamError, match="Only the reader"):
        services.end_stream(stream, alice)
    assert services.end_stream(stream, carol).end_reason == "staff"


def test_stale_streams_end_without_a_ghost(stream, bob):
    later = timezone.now() + timedelta(seconds=120)
    assert services.end_stale_streams(later) == 1
    stream.refresh_from_db()
    assert stream.status == "ended" and stream.end_reason == "stale"


def test_fresh_publisher_heartbeat_keeps_the_stream(stream, bob):
    services.join(stream.pk, bob, "c-reader", f"u{bob.pk}")
    soon = timezone.now() + timedelta(seconds=50)
    services.heartbeat(["c-reader"], soon)
    assert services.end_stale_streams(soon + timedelta(seconds=30)) == 0
    stream.refresh_from_db()
    assert stream.status == "live" and stream.publisher_seen_at == soon


def test_sockets_that_stop_beating_are_reaped(stream, alice):
    services.join(stream.pk, alice, "c-1", f"u{alice.pk}")
    services.reap_stale_connections(timezone.now() + timedelta(minutes=5))
    stream.refresh_from_db()
    assert stream.viewer_count == 0


def test_publishing_flag(stream):
    assert services.set_publishing(stream.pk, True) is True
    assert services.set_publishing(stream.pk, True) is False  # no change, no broadcast
    stream.refresh_from_db()
    assert stream.publishing


# --- chat and moderation ----------------------------------------------------------------------------------


def test_chat_is_stored_as_plain_text(stream, alice):
    message = services.post_chat(stream.pk, alice, "  <b>hi</b> ")
    assert message.text == "<b>hi</b>"


@pytest.mark.parametrize(
    "text,error",
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("x" * 501, "at most 500"),
        ("a\x00b", "NUL"),
        ("\udc80", "invalid"),
        (42, "must be text"),
    ],
)
def test_chat_limits(stream, alice, text, error):
    with pytest.raises(services.StreamError, match=error):
        services.post_chat(stream.pk, alice, text)
    assert not StreamMessage.objects.exists()


def test_chat_needs_an_account_and_a_live_stream(stream, alice, bob):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(services.StreamError, match="Log in"):
        services.post_chat(stream.pk, AnonymousUser(), "hello")
    services.end_stream(stream, bob)
    with pytest.raises(services.StreamError, match="chat is closed"):
        services.post_chat(stream.pk, alice, "hello")


def test_mute_stops_chat_in_all_the_readers_streams(stream, alice, bob):
    services.restrict(bob, alice, "mute", bob)
    with pytest.raises(services.StreamError, match="muted"):
        services.post_chat(stream.pk, alice, "hello")
    services.end_stream(stream, bob)
    second = services.go_live(bob, title="Second show", janus_urls=[])
    with pytest.raises(services.StreamError, match="muted"):
        services.post_chat(second.pk, alice, "hello")
    assert services.lift(bob, alice.pk, "mute", bob)
    assert services.post_chat(second.pk, alice, "hello").text == "hello"


def test_bans_are_per_reader(stream, alice, bob):
    other = ReaderProfileFactory().user
    services.restrict(bob, alice, "ban", bob)
    assert services.is_banned(bob.pk, alice) and not services.is_banned(other.pk, alice)


def test_who_may_moderate(stream, alice, bob, carol):
    dave = client_user("dave@example.com")
    message = services.post_chat(stream.pk, dave, "spam")
    with pytest.raises(services.StreamError, match="Only the reader"):
        services.delete_message(message.pk, alice)
    with pytest.raises(services.StreamError, match="Only the reader"):
        services.restrict(bob, dave, "ban", alice)
    services.delete_message(message.pk, carol)  # staff may
    message.refresh_from_db()
    assert message.deleted_at is not None and message.deleted_by == carol
    assert services.recent_messages(stream) == []
    services.restrict(bob, dave, "mute", carol)
    assert StreamRestriction.objects.get(user=dave).created_by == carol
    with pytest.raises(services.StreamError, match="cannot be muted"):
        services.restrict(bob, carol, "ban", bob)
    with pytest.raises(services.StreamError, match="cannot be muted"):
        services.restrict(bob, bob, "ban", carol)
    with pytest.raises(services.StreamError, match="mute or ban"):
        services.restrict(bob, dave, "kick", bob)


def test_restrict_is_idempotent(stream, alice, bob):
    services.restrict(bob, alice, "ban", bob)
    services.restrict(bob, alice, "ban", bob)
    assert StreamRestriction.objects.filter(user=alice).count() == 1


def test_a_gift_racing_the_end_of_the_stream_is_rolled_back(stream, alice, bob, monkeypatch):
    """The stream ends between the gift's first check and its commit: no gift, no money moved."""
    fund(alice, "20.00")
    real_charge = payments.charge

    def charge_then_stream_ends(*args, **kwargs):
        movement = real_charge(*args, **kwargs)
        Stream.objects.filter(pk=stream.pk).update(status="ended", ended_at=timezone.now())
        return movement

    monkeypatch.setattr(payments, "charge", charge_then_stream_ends)
    with pytest.raises(services.StreamError, match="only be sent while it is live"):
        services.send_gift(stream.pk, alice, "rose", key())
    assert payments.balance(alice) == Decimal("20.00")
    assert not Gift.objects.exists() and not Movement.objects.filter(kind="charge").exists()
    verify_ledger()
