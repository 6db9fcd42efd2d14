"""Stripe's webhook endpoint: check the signature locally, then hand the event to the services once."""

import json
import logging

from django.conf import settings
from django.db import DataError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import gateway, services
from payments.validators import is_event

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    if not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponse("Webhooks are not configured.", status=404)
    try:
        gateway.construct_event(request.body, request.headers.get("Stripe-Signature", ""))
        event = json.loads(request.body)
    except (ValueError, TypeError, AttributeError, gateway.SignatureVerificationError):  # non-object JSON too
        log.warning("rejected a Stripe webhook with a bad signature or body")
        return HttpResponseBadRequest("Bad signature.")
    if not is_event(event):
        log.warning("rejected a signed Stripe webhook without a well-formed id, type and data.object")
        return HttpResponseBadRequest("Malformed event.")
    try:
        outcome = services.process_stripe_event(event)
    except (KeyError, TypeError, ValueError, ArithmeticError, DataError):
        # A signed event whose object lacks what its type needs: nothing was recorded (one
        # transaction), so Stripe may retry; a 400 says it is the payload, not us.
        log.warning("rejected a malformed Stripe event %s (%s)", event["id"], event["type"], exc_info=True)
        return HttpResponseBadRequest("Malformed event.")
    log.info("stripe event %s (%s): %s", event.get("id"), event.get("type"), outcome)
    return JsonResponse({"received": True, "outcome": outcome})
