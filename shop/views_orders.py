"""Cart, checkout and the buyer's orders; the sellers' sales queue. Thin: rules live in shop.services."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.guards import client_required, reader_required
from payments import services as payments
from payments.services import PaymentError
from shop.forms_orders import AddressForm, CheckoutForm, DeliverForm, QuantityForm, ReviewForm, ShipForm
from shop.models import Order, OrderLine, Product
from shop.services import cart, fulfilment, orders
from shop.services.errors import ShopError
from soulseer.private_files import private_file_response


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    return target if safe else fallback


# --- cart -------------------------------------------------------------------------------------------


def cart_view(request):
    lines = cart.lines(request.session)
    context = {
        "lines": lines,
        "total": cart.total(lines),
        "balance": payments.balance(request.user) if request.user.is_authenticated else None,
    }
    return render(request, "shop/cart.html", context)


@require_POST
def cart_add(request, pk):
    product = get_object_or_404(Product.objects.select_related("seller"), pk=pk)
    form = QuantityForm(request.POST)
    if not form.is_valid() or form.cleaned_data["quantity"] < 1:
        messages.error(request, "Choose a quantity from 1.")
        return redirect(product.get_absolute_url())
    try:
        cart.set_quantity(request.session, product, form.cleaned_data["quantity"], request.user, add=True)
    except ShopError as exc:
        messages.error(request, str(exc))
        return redirect(_back(request, product.get_absolute_url()))
    messages.success(request, f"“{product.title}” is in your cart.")
    return redirect("shop:cart")


@require_POST
def cart_update(request, pk):
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a quantity from 0 (remove) up.")
        return redirect("shop:cart")
    product = Product.objects.select_related("seller").filter(pk=pk).first()
    if product is None or form.cleaned_data["quantity"] == 0:
        cart.remove(request.session, pk)
        return redirect("shop:cart")
    try:
        cart.set_quantity(request.session, product, form.cleaned_data["quantity"], request.user)
    except ShopError as exc:
        messages.error(request, str(exc))
    return redirect("shop:cart")


# --- checkout ---------------------------------------------------------------------------------------


def _needs_shipping(lines) -> bool:
    return any(line.product.kind == Product.Kind.PHYSICAL for line in lines)


@client_required
def checkout(request):
    lines = cart.lines(request.session)
    if not lines:
        messages.info(request, "Your cart is empty.")
        return redirect("shop:cart")
    shipping = _needs_shipping(lines)
    form = CheckoutForm(request.POST or None, initial={"key": uuid.uuid4().hex})
    address = AddressForm(request.POST or None, prefix="ship") if shipping else None
    status = 200
    if request.method == "POST":
        if form.is_valid() and (address is None or address.is_valid()):
            try:
                order = orders.checkout(
                    request.user, lines, key=form.cleaned_data["key"], address=address.address() if address else None
                )
            except (ShopError, PaymentError) as exc:
                messages.error(request, str(exc))
                status = 409
            else:
                cart.clear(request.session)
                return _after_checkout(request, order)
        else:
            status = 400
    total = cart.total(lines)
    balance = payments.balance(request.user)
    context = {"lines": lines, "total": total, "balance": balance, "form": form, "address": address}
    context["shortfall"] = max(total - balance, 0)
    return render(request, "shop/checkout.html", context, status=status)


def _after_checkout(request, order: Order):
    if order.status == Order.Status.PAID:
        messages.success(request, f"Thank you! Order #{order.pk} is paid: ${order.total} from your wallet.")
        return redirect(order)
    if order.status == Order.Status.AWAITING_PAYMENT:
        return _start_topup(request, order)
    return redirect(order)


def _start_topup(request, order: Order):
    order_url = request.build_absolute_uri(order.get_absolute_url())
    success_url = request.build_absolute_uri(reverse("payments:topup_return")) + "?session_id={CHECKOUT_SESSION_ID}"
    try:
        topup, url = orders.start_topup_for(order, success_url=success_url, cancel_url=order_url)
    except ShopError as exc:
        messages.error(request, str(exc))
        return redirect(order)
    messages.info(
        request, f"Your wallet is ${orders.shortfall(order)} short: add ${topup.amount} to pay order #{order.pk}."
    )
    if topup.sandbox:
        return redirect("payments:sandbox_checkout", checkout_id=topup.checkout_id)
    return redirect(url)


# --- the buyer's orders -------------------------------------------------------------------------------


def _own_order(request, pk) -> Order:
    order = Order.objects.filter(pk=pk, buyer=request.user).first()
    if order is None:
        raise Http404("No such order.")
    return order


@login_required
def order_list(request):
    page = Paginator(Order.objects.filter(buyer=request.user).prefetch_related("lines"), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "shop/orders.html", {"page": page})


@login_required
def order_detail(request, pk):
    order = _own_order(request, pk)
    lines = list(order.lines.select_related("product", "review").prefetch_related("product__photos"))
    for line in lines:
        line.download = fulfilment.downloadable(line) if order.status == Order.Status.PAID else None
        if line.download:
            line.download_url = reverse("shop:download", args=[line.pk]) + "?t=" + fulfilment.download_token(line)
            line.downloads_left = fulfilment.downloads_left(line)
        line.reviewable = fulfilment.can_review(line) and not hasattr(line, "review")
    context = {"order": order, "lines": lines, "review_form": ReviewForm()}
    if order.status == Order.Status.AWAITING_PAYMENT:
        context.update(balance=payments.balance(request.user), shortfall=orders.shortfall(order))
    return render(request, "shop/order.html", context)


@client_required
@require_POST
def order_pay(request, pk):
    order = _own_order(request, pk)
    if order.status != Order.Status.AWAITING_PAYMENT:
        return redirect(order)
    if orders.shortfall(order) > 0:
        return _start_topup(request, order)
    order = orders.pay_awaiting(order.pk)
    if order.status == Order.Status.PAID:
        messages.success(request, f"Order #{order.pk} is paid: ${order.total} from your wallet.")
    elif order.status == Order.Status.CANCELLED:
        messages.error(request, order.cancel_reason)
    return redirect(order)


@client_required
@require_POST
def order_cancel(request, pk):
    order = _own_order(request, pk)
    try:
        orders.cancel(order, reason="Cancelled by you before payment.")
    except ShopError as exc:
        messages.error(request, str(exc))
    return redirect(order)


@login_required
def download(request, pk):
    try:
        name, download_name = fulfilment.claim_download(request.user, pk, request.GET.get("t", ""))
    except fulfilment.NotFound:
        raise Http404("No such download.") from None
    except ShopError as exc:
        messages.error(request, str(exc))
        line = OrderLine.objects.filter(pk=pk, order__buyer=request.user).first()
        return redirect(line.order if line else "shop:orders")
    return private_file_response(name, download_name=download_name)


@client_required
@require_POST
def review(request, pk):
    line = OrderLine.objects.filter(pk=pk, order__buyer=request.user).select_related("order").first()
    if line is None:
        raise Http404("No such purchase.")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose from 1 to 5 stars.")
        return redirect(line.order)
    try:
        fulfilment.review_line(request.user, pk, rating=form.cleaned_data["rating"], text=form.cleaned_data["text"])
    except ShopError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you for your review.")
    return redirect(line.order)


# --- the sellers' side --------------------------------------------------------------------------------


@reader_required
def sales(request):
    history = Paginator(fulfilment.seller_history(request.user), 25).get_page(request.GET.get("page"))
    context = {
        "queue": fulfilment.seller_queue(request.user),
        "history": history,
        "now": timezone.now(),
    }
    return render(request, "shop/sales.html", context)


def _fulfil(request, form, act, done: str):
    """Run a seller's fulfilment step from a valid form; refusals become messages, others' sales 404."""
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("shop:sales")
    try:
        act(form.cleaned_data)
    except fulfilment.NotFound:
        raise Http404("No such sale.") from None
    except ShopError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("shop:sales")


@reader_required
@require_POST
def ship(request, pk):
    return _fulfil(
        request,
        ShipForm(request.POST),
        lambda data: fulfilment.mark_shipped(request.user, pk, **data),
        "Marked as shipped; the buyer has been told.",
    )


@reader_required
@require_POST
def deliver(request, pk):
    return _fulfil(
        request,
        DeliverForm(request.POST, request.FILES),
        lambda data: fulfilment.deliver_service(request.user, pk, message=data["message"], upload=data.get("file")),
        "Delivered; the buyer has been told.",
    )
