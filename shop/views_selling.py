"""The reader's shop: their products, the product form, publish and unpublish. Rules: shop.services.selling."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.guards import reader_required
from shop.forms_selling import ProductForm
from shop.models import Product
from shop.services import selling
from shop.services.catalog import with_cards


def _own_product(request, pk: int) -> Product:
    """The signed-in reader's product; anyone else's is a 404."""
    return get_object_or_404(Product.objects.select_related("category"), pk=pk, seller=request.user)


@reader_required
def my_shop(request):
    products = with_cards(Product.objects.filter(seller=request.user)).order_by("-updated_at", "-pk")
    return render(
        request,
        "shop/selling/list.html",
        {"products": products, "trusted": selling.seller_is_trusted(request.user)},
    )


def _save(request, form: ProductForm, product: Product | None):
    try:
        if product is None:
            product = selling.create_product(
                request.user,
                form.product_data(),
                file=form.cleaned_data.get("file"),
                photos=form.cleaned_data.get("photos") or [],
            )
        else:
            product = selling.update_product(
                product,
                form.product_data(),
                file=form.cleaned_data.get("file"),
                photos=form.cleaned_data.get("photos") or [],
                remove_photo_ids=[p.pk for p in form.cleaned_data.get("remove_photos") or []],
            )
    except (ValidationError, selling.SellingError) as exc:
        form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        return None
    return product


@reader_required
def product_new(request):
    form = ProductForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        product = _save(request, form, None)
        if product is not None:
            messages.success(request, f"“{product.title}” is saved as a draft. Publish it when it is ready.")
            return redirect("shop:product_edit", pk=product.pk)
    if form.errors:
        messages.error(request, "Please correct the highlighted fields; nothing was saved.")
    return render(request, "shop/selling/form.html", {"form": form, "product": None})


@reader_required
def product_edit(request, pk: int):
    product = _own_product(request, pk)
    form = ProductForm(request.POST or None, request.FILES or None, instance=product)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, product)
        if saved is not None:
            messages.success(request, f"“{saved.title}” is saved.")
            return redirect("shop:product_edit", pk=saved.pk)
    if form.errors:
        messages.error(request, "Please correct the highlighted fields; nothing was saved.")
        product.refresh_from_db()
    return render(
        request,
        "shop/selling/form.html",
        {"form": form, "product": product, "photos": list(product.photos.all())},
    )


@reader_required
@require_POST
def product_publish(request, pk: int):
    product = _own_product(request, pk)
    try:
        product = selling.publish(product, by=request.user)
    except selling.SellingError as exc:
        messages.error(request, str(exc))
    else:
        if product.status == Product.Status.PENDING:
            messages.success(
                request,
                f"“{product.title}” is awaiting approval: staff check a reader's first product. "
                "We will tell you when it is in the shop.",
            )
        else:
            messages.success(request, f"“{product.title}” is now in the shop.")
    return _back(request, pk)


@reader_required
@require_POST
def product_unpublish(request, pk: int):
    product = selling.unpublish(_own_product(request, pk), by=request.user)
    if product.status == Product.Status.DRAFT:
        messages.success(request, f"“{product.title}” is no longer for sale (kept as a draft).")
    return _back(request, pk)


def _back(request, pk: int):
    """Back to where the button was: the list of products or the product's form."""
    if request.POST.get("next") == "list":
        return redirect("shop:selling")
    return redirect("shop:product_edit", pk=pk)
