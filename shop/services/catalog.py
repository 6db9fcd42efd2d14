"""What the catalog shows: listed products, filtered, searched and sorted in a fixed number of queries.

Every listing goes through :func:`catalog_products`, which joins the category and the seller's
reader profile and prefetches only the cover photo of each product (one windowed query), so a page
costs the same number of SQL queries whatever its number of products, photos or sellers.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, F, FloatField, Prefetch, Q, QuerySet, When
from django.db.models.functions import Cast

from accounts.models import ReaderProfile, User
from shop.models import Category, Product, ProductPhoto, ProductQuerySet, ProductReview

SORTS: dict[str, str] = {
    "newest": "Newest",
    "price_low": "Price: low to high",
    "price_high": "Price: high to low",
    "rating": "Best rated",
    "popular": "Best selling",
}

LOW_STOCK = 5  # "Only N left" at or below this


def with_cards(products: QuerySet[Product]) -> QuerySet[Product]:
    """What a product card needs, in a constant number of queries: category, seller, cover photo."""
    cover = ProductPhoto.objects.order_by("position", "pk")[:1]
    return products.select_related("category", "seller__reader_profile").prefetch_related(
        Prefetch("photos", queryset=cover, to_attr="cover_photos")
    )


def catalog_products(
    *,
    q: str = "",
    kind: str = "",
    category: Category | None = None,
    seller: ReaderProfile | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str = "",
) -> QuerySet[Product]:
    """Listed products matching the filters, in the chosen order (newest first by default)."""
    products: ProductQuerySet = Product.objects.listed()
    if q:
        products = products.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if kind:
        products = products.filter(kind=kind)
    if category is not None:
        products = products.filter(category=category)
    if seller is not None:
        products = products.filter(seller_id=seller.user_id)
    if min_price is not None:
        products = products.filter(price__gte=min_price)
    if max_price is not None:
        products = products.filter(price__lte=max_price)
    products = products.annotate(
        rating_avg=Case(
            When(rating_count__gt=0, then=Cast("rating_sum", FloatField()) / Cast("rating_count", FloatField())),
            default=None,
            output_field=FloatField(),
        )
    )
    orderings = {
        "price_low": ["price"],
        "price_high": ["-price"],
        "rating": [F("rating_avg").desc(nulls_last=True), "-rating_count"],
        "popular": ["-sold_count"],
    }
    return with_cards(products).order_by(*orderings.get(sort, []), "-created_at", "-pk")


def categories_with_products() -> QuerySet[Category]:
    """Categories that have at least one listed product (for the catalog's category chips)."""
    return Category.objects.filter(products__in=Product.objects.listed()).distinct().order_by("position", "name")


def sellers_with_products() -> QuerySet[ReaderProfile]:
    """Readers with at least one listed product (the catalog's seller filter)."""
    return (
        ReaderProfile.objects.listed()
        .filter(user__products__in=Product.objects.listed())
        .distinct()
        .order_by("display_name")
    )


def visible_product(pk: int, user: User) -> Product | None:
    """The product page's product: listed ones for everyone, unlisted ones only for their seller and staff."""
    product = Product.objects.select_related("category", "seller__reader_profile").filter(pk=pk).first()
    if product is None:
        return None
    if product.is_listed:
        return product
    if user.is_authenticated and (user.is_staff or (product.seller_id is not None and product.seller_id == user.pk)):
        return product
    return None


def product_reviews(product: Product, limit: int = 20) -> list[ProductReview]:
    """The newest reviews of a product, with what the author's public name needs (one query)."""
    return list(
        product.reviews.select_related("author__reader_profile", "author__client_profile").order_by(
            "-created_at", "-pk"
        )[:limit]
    )


def seller_products(seller_id: int, limit: int = 4) -> list[Product]:
    """A few of a reader's listed products (by user id) for their profile, in a constant number of queries."""
    products = with_cards(Product.objects.listed().filter(seller_id=seller_id))
    return list(products.order_by("-sold_count", "-created_at", "-pk")[:limit])


def stock_state(product: Product) -> tuple[str, str]:
    """("in_stock" | "low" | "sold_out", the words shown to the buyer)."""
    if product.kind != Product.Kind.PHYSICAL:
        return "in_stock", "Available"
    stock = product.stock or 0
    if stock <= 0:
        return "sold_out", "Sold out"
    if stock <= LOW_STOCK:
        return "low", f"Only {stock} left"
    return "in_stock", "In stock"
