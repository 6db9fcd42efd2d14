"""Thin views: check who is asking, parse with a form, call a service, render."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.guards import admin_required, client_required, reader_required
from accounts.models import ReaderProfile, User
from payments import services
from payments.forms import AutoReloadForm, HistoryFilterForm, TopUpForm
from payments.models import Account, AutoReloadAttempt, Movement, Payout, TopUp
from payments.services import PaymentError
from payments.validators import is_stripe_id

WALLET_KINDS = [Movement.Kind.TOPUP, Movement.Kind.AUTO_RELOAD, Movement.Kind.CHARGE, Movement.Kind.REFUND]
EARNINGS_KINDS = [Movement.Kind.CHARGE, Movement.Kind.REFUND, Movement.Kind.PAYOUT]


def _history_page(request, entries, kinds):
    filters = HistoryFilterForm(request.GET or None, kinds=kinds)
    entries = filters.filter(entries)
    page = Paginator(entries, settings.PAYMENTS_HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"filters": filters, "page": page, "query": query.urlencode()}


@client_required
def wallet(request, topup_form=None, auto_form=None, status=200):
    user = request.user
    setting = services.auto_reload_for(user)
    context = {
        "balance": services.balance(user),
        "presets": settings.PAYMENTS_TOPUP_PRESETS,
        "topup_form": topup_form or TopUpForm(),
        "auto_form": auto_form
        or AutoReloadForm(
            initial={"enabled": setting.enabled, "threshold": setting.threshold, "amount": setting.amount}
        ),
        "auto_reload": setting,
        "attempts": AutoReloadAttempt.objects.filter(user=user)[:5],
        "sandbox": settings.PAYMENTS_SANDBOX,
        **_history_page(request, services.history(user, Account.Kind.WALLET), WALLET_KINDS),
    }
    if request.htmx and request.htmx.target == "history":
        return render(request, "payments/fragment_history.html", context)
    context["buys"] = _what_it_buys(context["balance"])
    return render(request, "payments/wallet.html", context, status=status)


def _what_it_buys(balance) -> list[dict]:
    """Minutes the balance pays for at the directory's typical (median) rate of each reading type."""
    return [
        {"kind": kind, "rate": rate, "minutes": int(balance // rate)}
        for kind, rate in ReaderProfile.objects.typical_rates().items()
    ]


@client_required
@require_POST
def topup(request):
    form = TopUpForm(request.POST)
    if not form.is_valid():
        return wallet(request, topup_form=form, status=400)
    wallet_url = request.build_absolute_uri(reverse("payments:wallet"))
    success_url = request.build_absolute_uri(reverse("payments:topup_return")) + "?session_id={CHECKOUT_SESSION_ID}"
    try:
        pending, url = services.start_topup(
            request.user, form.cleaned_data["amount"], success_url=success_url, cancel_url=wallet_url + "?cancelled=1"
        )
    except PaymentError as exc:
        form.add_error(None, str(exc))
        return wallet(request, topup_form=form, status=400)
    if pending.sandbox:
        return redirect("payments:sandbox_checkout", checkout_id=pending.checkout_id)
    return redirect(url)


@client_required
def sandbox_checkout(request, checkout_id):
    """The sandbox's checkout page: clearly marked, no card, credits through the same service once."""
    pending = get_object_or_404(TopUp, checkout_id=checkout_id, user=request.user, sandbox=True)
    if request.method == "POST":
        already = pending.status == TopUp.Status.PAID
        services.complete_sandbox_topup(request.user, checkout_id)
        if already:
            messages.info(request, "This sandbox payment was already completed; nothing was added twice.")
        else:
            messages.success(request, f"${pending.amount} was added to your wallet (sandbox).")
        return redirect(_safe_return(pending.return_to) or "payments:wallet")
    return render(request, "payments/sandbox_checkout.html", {"topup": pending})


@client_required
def topup_return(request):
    """Where Stripe Checkout sends the browser back. It only shows status: the webhook credits."""
    pending = None
    if session_id := request.GET.get("session_id"):
        if not is_stripe_id(session_id):
            return HttpResponseBadRequest("Malformed session id.")
        pending = TopUp.objects.filter(checkout_id=session_id, user=request.user).first()
    if pending is not None and (back := _safe_return(pending.return_to)):
        return redirect(back)  # e.g. the shop order it pays for, which shows whether the money arrived
    return render(request, "payments/topup_return.html", {"topup": pending, "balance": services.balance(request.user)})


def _safe_return(path: str) -> str:
    """A top-up's return path, only when it is a path on this site."""
    return path if path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=None) else ""


@client_required
@require_POST
def auto_reload(request):
    form = AutoReloadForm(request.POST)
    if not form.is_valid():
        return wallet(request, auto_form=form, status=400)
    try:
        services.save_auto_reload(request.user, **form.cleaned_data)
    except PaymentError as exc:
        form.add_error(None, str(exc))
        return wallet(request, auto_form=form, status=400)
    messages.success(
        request, "Auto-reload is on." if form.cleaned_data["enabled"] else "Auto-reload settings saved (off)."
    )
    return redirect("payments:wallet")


@reader_required
def earnings(request):
    user = request.user
    payouts = Payout.objects.filter(reader=user)
    in_flight = payouts.exclude(status=Payout.Status.PAID).aggregate(total=Sum("amount"))["total"]
    context = {
        "earnings": services.earnings_balance(user),
        "pending": services.cents(in_flight),
        "paid_total": services.cents(payouts.filter(status=Payout.Status.PAID).aggregate(t=Sum("amount"))["t"]),
        "threshold": settings.PAYMENTS_PAYOUT_THRESHOLD,
        "connect": services.connect_account_for(user),
        "payouts": payouts[:20],
        "sandbox": settings.PAYMENTS_SANDBOX,
        **_history_page(request, services.history(user, Account.Kind.EARNINGS), EARNINGS_KINDS),
    }
    if request.htmx and request.htmx.target == "history":
        return render(request, "payments/fragment_history.html", context)
    return render(request, "payments/earnings.html", context)


def _connect_urls(request) -> dict:
    return {
        "refresh_url": request.build_absolute_uri(reverse("payments:connect_refresh")),
        "return_url": request.build_absolute_uri(reverse("payments:connect_return")),
    }


@reader_required
@require_POST
def connect_start(request):
    try:
        url = services.start_connect_onboarding(request.user, **_connect_urls(request))
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:earnings")
    if settings.PAYMENTS_SANDBOX:
        messages.success(request, "Sandbox payouts are set up: no bank details needed.")
        return redirect("payments:earnings")
    return redirect(url)


@reader_required
def connect_refresh(request):
    """Stripe sends the reader here when an onboarding link expired: mint a new single-use link."""
    if services.connect_account_for(request.user) is None or settings.PAYMENTS_SANDBOX:
        return redirect("payments:earnings")
    try:
        url = services.start_connect_onboarding(request.user, **_connect_urls(request))
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:earnings")
    return redirect(url)


@reader_required
def connect_return(request):
    connect = services.refresh_connect_status(request.user)
    if connect and connect.payouts_enabled:
        messages.success(request, "Your payout account is ready.")
    elif connect:
        messages.info(request, "Stripe still needs a few details before you can be paid.")
    return redirect("payments:earnings")


@admin_required
def money_overview(request):
    owed = (
        Account.objects.filter(kind=Account.Kind.EARNINGS)
        .exclude(balance=0)
        .select_related("user__reader_profile", "user__connect_account")
        .order_by("-balance")
    )
    context = {
        "overview": services.money_overview(),
        "owed": owed[:50],
        "payouts": Payout.objects.select_related("reader")[:20],
        "movements": Movement.objects.select_related("client", "reader")[:20],
        "sandbox": settings.PAYMENTS_SANDBOX,
    }
    return render(request, "payments/money_overview.html", context)


@admin_required
@require_POST
def staff_pay_out(request, user_id):
    reader = get_object_or_404(User, pk=user_id, role=User.Role.READER)
    try:
        payout = services.pay_out(reader, force=True, by=request.user)
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        payout.refresh_from_db()
        messages.success(request, f"Payout of ${payout.amount} to {reader.public_name}: {payout.get_status_display()}.")
    return redirect("payments:money_overview")
