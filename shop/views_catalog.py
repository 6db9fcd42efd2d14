"""The catalog (/shop/) and product pages. Thin: queries live in shop.services.catalog."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from shop.forms_catalog import CatalogFilterForm
from shop.services import catalog


def catalog_page(request):
    form = CatalogFilterForm(request.GET or None)
    filters = form.filters()
    products = catalog.catalog_products(**filters)
    page = Paginator(products, settings.SHOP_PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "query": query.urlencode(),
        "categories": list(catalog.categories_with_products()),
        "current_category": filters.get("category"),
        "current_seller": filters.get("seller"),
    }
    return render(request, "shop/catalog.html", context)


def product_page(request, pk: int, slug: str):
    product = catalog.visible_product(pk, request.user)
    if product is None:
        raise Http404("No such product.")
    if slug != product.slug:
        return redirect(product, permanent=True)
    context = {
        "product": product,
        "photos": list(product.photos.all()),
        "reviews": catalog.product_reviews(product),
        "is_seller": request.user.is_authenticated and product.seller_id == request.user.pk,
    }
    return render(request, "shop/product.html", context)
