"""Bad input to the payments views and the webhook gets a clear 400/404, never a 500.

On PostgreSQL a NUL byte reaching a query raised psycopg's DataError (a 500); these tests run in
both suite modes and are the reason the PostgreSQL mode exists for them.
"""

import pytest

from payments.models import StripeEvent
from payments.tests.stripe_stub import event

NUL = "\x00"


@pytest.fixture
def client_alice(client, alice):
    client.force_login(alice)
    return client


def test_topup_return_with_a_nul_session_id_is_a_400(client_alice):
    response = client_alice.get("/wallet/add-funds/done/?session_id=%00")
    assert response.status_code == 400


@pytest.mark.parametrize("session_id", ["cs_test_%00abc", "x" * 300, "cs test", "../../etc"])
def test_topup_return_with_a_malformed_session_id_is_a_400(client_alice, session_id):
    assert client_alice.get(f"/wallet/add-funds/done/?session_id={session_id}").status_code == 400


def test_topup_return_with_an_unknown_but_wellformed_session_id_shows_the_page(client_alice):
    assert client_alice.get("/wallet/add-funds/done/?session_id=cs_test_unknown").status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("checkout_id", ["%00", "sbx_%00", "a%20b", "x" * 300])
def test_sandbox_checkout_with_a_malformed_id_is_a_404(client_alice, method, checkout_id):
    response = getattr(client_alice, method)(f"/wallet/sandbox-checkout/{checkout_id}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url", ["/wallet/?kind=%00", "/wallet/?since=%00&until=%00", "/wallet/?page=%00", "/wallet/?kind=x&page=-1"]
)
def test_wallet_history_filters_with_bad_values_never_fail(client_alice, url):
    assert client_alice.get(url).status_code in (200, 400)


def test_topup_and_auto_reload_forms_refuse_nul_bytes(client_alice):
    assert client_alice.post("/wallet/add-funds/", {"amount": "1\x000"}).status_code == 400
    response = client_alice.post("/wallet/auto-reload/", {"enabled": "on", "threshold": NUL, "amount": NUL})
    assert response.status_code == 400


def test_staff_pay_out_of_an_out_of_range_id_is_a_404(client, carol):
    client.force_login(carol)
    assert client.post("/staff/money/pay-out/99999999999999999999999/").status_code == 404


# --- the webhook: a valid signature does not make a well-formed event ------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {k: v for k, v in event("checkout.session.completed", {"id": "cs_1"}).items() if k != "data"},
        {k: v for k, v in event("checkout.session.completed", {"id": "cs_1"}).items() if k != "id"},
        {k: v for k, v in event("checkout.session.completed", {"id": "cs_1"}).items() if k != "type"},
        {**event("checkout.session.completed", {"id": "cs_1"}), "data": None},
        {**event("checkout.session.completed", {"id": "cs_1"}), "data": {"object": "nope"}},
        {**event("checkout.session.completed", {"id": "cs_1"}), "data": {}},
        {**event("checkout.session.completed", {"id": "cs_1"}), "id": 12},
        {**event("checkout.session.completed", {"id": "cs_1"}), "id": "evt_\x00"},
        {**event("checkout.session.completed", {"id": "cs_1"}), "type": "checkout.\x00"},
        {**event("checkout.session.completed", {"id": "cs_1"}), "id": "e" * 300},
        [],
        "just a string",
    ],
    ids=[
        "no-data",
        "no-id",
        "no-type",
        "data-null",
        "object-not-dict",
        "no-object",
        "id-not-str",
        "nul-id",
        "nul-type",
        "long-id",
        "list",
        "string",
    ],
)
def test_a_validly_signed_malformed_event_is_a_400(db, stripe_stub, post_event, payload):
    response = post_event(payload)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_signed_event_whose_object_lacks_what_its_type_needs_is_a_400_and_not_recorded(
    db, stripe_stub, post_event, alice
):
    from payments.models import StripeCustomer

    StripeCustomer.objects.create(user=alice, customer_id="cus_alice")
    session = {"mode": "payment", "payment_status": "paid", "amount_total": 2500, "customer": "cus_alice"}  # no id
    assert post_event(event("checkout.session.completed", session)).status_code == 400
    session = {**session, "id": "cs_1", "amount_total": "lots"}
    assert post_event(event("checkout.session.completed", session)).status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_signed_body_that_is_not_json_is_a_400(db, stripe_stub, client):
    from payments.tests.stripe_stub import sign

    body = "{not json"
    response = client.post(
        "/stripe/webhook/", data=body, content_type="application/json", headers={"Stripe-Signature": sign(body)}
    )
    assert response.status_code == 400
