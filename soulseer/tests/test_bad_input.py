"""Bad input to the accounts and readings pages (and the room socket) never becomes a 500.

Every parameter a person can type into a URL, a query string or a form: NUL bytes (psycopg raises
DataError for them on PostgreSQL), ids out of any integer range, unknown choices, missing fields.
Each answer is a 400/404, a redirect, or the page with a form error.
"""

import asyncio

import pytest
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from readings import services
from readings.routing import websocket_urlpatterns
from readings.tests.helpers import active_reading, fund

HUGE = "99999999999999999999999"
NUL = "\x00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "specialty=%00",
        "specialty=" + "x" * 500,
        "q=%00",
        "type=%00",
        "availability=%00",
        "max_price=%00",
        "max_price=1e999999",
        "sort=%00",
        "page=%00",
        "page=" + HUGE,
    ],
)
def test_directory_filters_with_bad_values(client, bob, query):
    response = client.get(f"/readers/?{query}")
    assert response.status_code in (200, 400)
    response = client.get(f"/readers/?{query}", headers={"HX-Request": "true", "HX-Target": "reader-results"})
    assert response.status_code in (200, 400)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/readers/%00/", "/about/%00/", "/readers/a%00b/"])
def test_malformed_slugs_are_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["", "status/", "room/", "summary/", "accept/", "decline/", "cancel/", "end/", "review/", "refund/"]
)
def test_reading_ids_out_of_range_are_404(client, alice, carol, path):
    for user in (alice, carol):
        client.force_login(user)
        url = f"/readings/{HUGE}/{path}"
        assert client.get(url).status_code in (403, 404, 405)  # 403: the role guard answers first
        assert client.post(url).status_code in (403, 404, 405)


@pytest.fixture
def reading(alice, bob):
    fund(alice, "50.00")
    return active_reading(alice, bob)


@pytest.mark.django_db
def test_reading_forms_refuse_nul_bytes(client, alice, bob, carol, reading):
    client.force_login(alice)
    assert client.post(f"/readings/request/{bob.reader_profile.slug}/", {"type": NUL}).status_code in (200, 302, 400)
    services.end_reading(reading, alice)
    response = client.post(f"/readings/{reading.pk}/review/", {"rating": "5", "comment": f"great{NUL}"})
    assert response.status_code in (200, 302, 400)
    client.force_login(carol)
    response = client.post(f"/readings/{reading.pk}/refund/", {"minutes": NUL, "reason": NUL})
    assert response.status_code in (302, 400)
    assert client.get("/readings/staff/?status=%00&page=%00&disputed=%00").status_code == 200


@pytest.mark.django_db
def test_reader_forms_refuse_nul_bytes(client, bob):
    client.force_login(bob)
    response = client.post(
        "/dashboard/reader/",
        {"display_name": f"Bob{NUL}", "tagline": NUL, "bio": NUL, "chat_rate": "2.00", "specialties": [NUL]},
    )
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed" in response.content.decode()
    assert client.post("/dashboard/reader/availability/", {"availability": NUL}).status_code in (200, 302, 400)


@pytest.mark.django_db
def test_log_in_and_sign_up_with_nul_bytes(client):
    response = client.post("/accounts/login/", {"login": f"a{NUL}@example.com", "password": NUL})
    assert response.status_code in (200, 400)
    response = client.post(
        "/accounts/signup/",
        {"email": f"a{NUL}@example.com", "password1": NUL, "password2": NUL, "accept_terms": "on"},
    )
    assert response.status_code in (200, 400)


@pytest.mark.django_db(transaction=True)
async def test_a_chat_line_with_a_nul_byte_gets_an_error_not_a_crash(alice, bob):
    from channels.db import database_sync_to_async

    channel_layers.backends.clear()
    reading = await database_sync_to_async(_live_reading)(alice, bob)
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/readings/{reading.pk}/")
    comm.scope["user"] = alice
    connected, _ = await comm.connect(timeout=5)
    assert connected
    try:
        await comm.send_json_to({"type": "chat", "text": f"hello{NUL}world"})
        deadline = asyncio.get_running_loop().time() + 5
        while True:
            message = await comm.receive_json_from(timeout=max(0.1, deadline - asyncio.get_running_loop().time()))
            if message["type"] in ("error", "chat"):
                break
        # Refused with a clear message; the socket stays open (no 1011).
        assert message["type"] == "error" and "NUL" in message["message"]
        await comm.send_json_to({"type": "ping", "t": 1})
        while (await comm.receive_json_from(timeout=5))["type"] != "pong":
            pass
    finally:
        await comm.disconnect()
        channel_layers.backends.clear()


def _live_reading(alice, bob):
    fund(alice, "50.00")
    return active_reading(alice, bob)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("frame", [{"text_data": "{not json"}, {"text_data": "\x00"}, {"bytes_data": b"\x00\xff"}])
async def test_the_notification_socket_ignores_whatever_a_browser_sends(alice, frame):
    from accounts.routing import websocket_urlpatterns as account_routes

    channel_layers.backends.clear()
    comm = WebsocketCommunicator(URLRouter(account_routes), "/ws/notifications/")
    comm.scope["user"] = alice
    connected, _ = await comm.connect(timeout=5)
    assert connected
    try:
        await comm.send_to(**frame)
        assert await comm.receive_nothing(timeout=0.5)  # neither an answer nor a close (1011)
        await comm.send_json_to({"type": "anything"})
        assert await comm.receive_nothing(timeout=0.2)
    finally:
        await comm.disconnect()
        channel_layers.backends.clear()
