"""A small local stand-in for the parts of the Stripe API that ``payments.gateway`` uses.

It runs in a thread on 127.0.0.1 and answers with realistic JSON objects, so the real
stripe-python request/response code runs (form encoding, idempotency headers, error objects
turned into ``CardError`` and friends). Tests inspect ``stub.requests`` and inject failures.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

WEBHOOK_SECRET = "whsec_test_soulseer"
SECRET_KEY = "sk_test_soulseer_stub"


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, made exactly as Stripe makes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event(type_: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{next(_ids):06d}",
        "object": "event",
        "api_version": "2026-08-26.dahlia",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": type_,
        "data": {"object": obj},
    }


_ids = itertools.count(1)


class StripeStub:
    def __init__(self):
        self.requests: list[dict] = []
        self.objects: dict[str, dict] = {}
        self.failures: dict[str, list[tuple[int, dict]]] = {}
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle and test helpers ------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StripeStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.objects.clear()
            self.failures.clear()
            self.idempotent.clear()

    def fail_next(self, method: str, path: str, status: int, error: dict) -> None:
        """The next ``method path`` request answers ``status`` with ``{"error": error}``."""
        self.failures.setdefault(f"{method} {path}", []).append((status, {"error": error}))

    def calls(self, method: str, path: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"] == path]

    def put(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    # --- the fake API ------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(_ids):06d}stub"

    def _list(self, kind: str, path: str) -> dict:
        data = [o for o in self.objects.values() if o["object"] == kind]
        return {"object": "list", "url": path, "has_more": False, "data": sorted(data, key=lambda o: o["id"])}

    def handle(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        now = int(time.time())
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if method == "POST" and parts == ["customers"]:
            return 200, self.put(
                {
                    "id": self._new_id("cus"),
                    "object": "customer",
                    "email": params.get("email"),
                    "metadata": _meta(params),
                    "created": now,
                    "livemode": False,
                }
            )
        if method == "POST" and parts == ["checkout", "sessions"]:
            session_id = self._new_id("cs_test")
            return 200, self.put(
                {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": params.get("mode"),
                    "status": "open",
                    "payment_status": "unpaid",
                    "customer": params.get("customer"),
                    "client_reference_id": params.get("client_reference_id"),
                    "amount_total": int(params["line_items[0][price_data][unit_amount]"]),
                    "currency": params["line_items[0][price_data][currency]"],
                    "payment_intent": None,
                    "metadata": _meta(params),
                    "success_url": params.get("success_url"),
                    "cancel_url": params.get("cancel_url"),
                    "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                    "created": now,
                    "livemode": False,
                }
            )
        if method == "GET" and parts == ["checkout", "sessions"]:
            return 200, self._list("checkout.session", path)
        if method == "POST" and parts == ["payment_intents"]:
            intent = {
                "id": self._new_id("pi"),
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "amount_received": int(params["amount"]),
                "currency": params.get("currency"),
                "customer": params.get("customer"),
                "payment_method": params.get("payment_method"),
                "metadata": _meta(params),
                "status": "succeeded",
                "last_payment_error": None,
                "created": now,
                "livemode": False,
            }
            decline = DECLINES.get(params.get("payment_method", ""))
            if decline:
                code, message, status = decline
                intent.update(status=status, amount_received=0)
                error = {"code": code, "message": message, "type": "card_error"}
                intent["last_payment_error"] = dict(error)
                self.put(intent)
                return 402, {"error": {**error, "decline_code": code, "payment_intent": intent}}
            return 200, self.put(intent)
        if method == "GET" and parts == ["payment_intents"]:
            return 200, self._list("payment_intent", path)
        if method == "GET" and len(parts) == 2 and parts[0] == "payment_methods":
            last4 = "3155" if "3ds" in parts[1] else "4242"
            return 200, {
                "id": parts[1],
                "object": "payment_method",
                "type": "card",
                "card": {"brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2030},
                "livemode": False,
            }
        if method == "POST" and parts == ["accounts"]:
            return 200, self.put(
                {
                    "id": self._new_id("acct"),
                    "object": "account",
                    "type": params.get("type"),
                    "email": params.get("email"),
                    "details_submitted": False,
                    "charges_enabled": False,
                    "payouts_enabled": False,
                    "metadata": _meta(params),
                    "created": now,
                }
            )
        if method == "GET" and len(parts) == 2 and parts[0] == "accounts":
            account = self.objects.get(parts[1])
            if account is None:
                return 404, {"error": {"type": "invalid_request_error", "message": f"No such account: '{parts[1]}'"}}
            return 200, account
        if method == "POST" and parts == ["account_links"]:
            return 200, {
                "object": "account_link",
                "url": f"https://connect.stripe.test/setup/e/{params['account']}/{next(_ids)}",
                "created": now,
                "expires_at": now + 300,
            }
        if method == "POST" and parts == ["transfers"]:
            return 200, self.put(
                {
                    "id": self._new_id("tr"),
                    "object": "transfer",
                    "amount": int(params["amount"]),
                    "currency": params.get("currency"),
                    "destination": params.get("destination"),
                    "transfer_group": params.get("transfer_group"),
                    "metadata": _meta(params),
                    "reversed": False,
                    "created": now,
                    "livemode": False,
                }
            )
        if method == "GET" and parts == ["transfers"]:
            return 200, self._list("transfer", path)
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})."}}

    def _handler(stub):  # the closure's "self" is the stub
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self, method: str):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else url.query
                params = dict(parse_qsl(body, keep_blank_values=True))
                key = self.headers.get("Idempotency-Key")
                with stub.lock:
                    stub.requests.append(
                        {
                            "method": method,
                            "path": url.path,
                            "params": params,
                            "idempotency_key": key,
                            "authorization": self.headers.get("Authorization"),
                        }
                    )
                    queued = stub.failures.get(f"{method} {url.path}")
                    if key and key in stub.idempotent:
                        status, payload = stub.idempotent[key]
                    elif queued:
                        status, payload = queued.pop(0)
                    else:
                        status, payload = stub.handle(method, url.path, params)
                    if key:
                        stub.idempotent[key] = (status, payload)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(_ids)}")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        return Handler


# payment method id -> (error code, message, resulting intent status)
DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "Your card was declined.", "requires_payment_method"),
    "pm_card_authenticationRequired": (
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
        "requires_payment_method",
    ),
}


def _meta(params: dict) -> dict:
    return {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")}
