"""Stripe's webhook endpoint: check the signature locally, then hand the event to the services once."""

import json
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import gateway, services

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    if not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponse("Webhooks are not configured.", status=404)
    try:
        gateway.construct_event(request.body, request.headers.get("Stripe-Signature", ""))
        event = json.loads(request.body)
    except (ValueError, gateway.SignatureVerificationError):
        log.warning("rejected a Stripe webhook with a bad signature or body")
        return HttpResponseBadRequest("Bad signature.")
    outcome = services.process_stripe_event(event)
    log.info("stripe event %s (%s): %s", event.get("id"), event.get("type"), outcome)
    return JsonResponse({"received": True, "outcome": outcome})
