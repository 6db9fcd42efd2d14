"""The demo catalog (``seed_demo``): categories and a dozen products from the demo readers and the platform.

Pictures are drawn by code (Pillow) and files generated from bytes: nothing is downloaded. Running it
again adds nothing (products are found by seller and title).
"""

from __future__ import annotations

import io
import math
import random
import zipfile
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter

from accounts.images import make_thumbnails
from accounts.models import ReaderProfile
from shop.models import Category, Product, ProductPhoto
from shop.services.selling import set_file

CATEGORIES = [
    ("Readings & reports", "readings-reports"),
    ("Crystals", "crystals"),
    ("Tarot & oracle decks", "tarot-oracle-decks"),
    ("Candles & ritual", "candles-ritual"),
    ("Meditations & courses", "meditations-courses"),
]

S, D, P = Product.Kind.SERVICE, Product.Kind.DIGITAL, Product.Kind.PHYSICAL

# seller (reader display name, or None for the platform), kind, category slug, title, price, stock/days, sold,
# motif, description
PRODUCTS = [
    (
        "Luna Marie",
        S,
        "readings-reports",
        "Written three-card love reading",
        "24.99",
        2,
        31,
        "ball",
        "Send me your question about love and I will draw three cards — past, present and what is coming — and "
        "write you a warm, detailed reading of about 600 words, with a photo of your spread.",
    ),
    (
        "Orion Vale",
        S,
        "readings-reports",
        "Personal birth-chart report",
        "45.00",
        3,
        18,
        "chart",
        "Your natal chart read by hand: Sun, Moon and rising, the houses that matter most for you, and the "
        "transits of the next twelve months. Delivered as a PDF of 10–12 pages.",
    ),
    (
        "Celeste Moon",
        S,
        "readings-reports",
        "Written message from spirit",
        "39.00",
        5,
        9,
        "ball",
        "A quiet sitting on your behalf: I write down what comes through for you from loved ones in spirit, "
        "with the evidence they give so you can recognise them.",
    ),
    (
        "Mystic Jade",
        S,
        "readings-reports",
        "One career question, answered in writing",
        "12.00",
        1,
        44,
        "chart",
        "Straight answers, no sugar-coating: one question about work or money, answered within a day.",
    ),
    (
        "Raven Noir",
        D,
        "meditations-courses",
        "Shadow work journal: 60 prompts",
        "9.99",
        None,
        57,
        "lotus",
        "Sixty journal prompts in four stages to meet, understand and integrate your shadow. A printable PDF.",
    ),
    (
        "Aurora Sky",
        D,
        "meditations-courses",
        "Dream symbol dictionary",
        "12.00",
        None,
        23,
        "lotus",
        "Over 300 common dream symbols and what they can mean for you, with a method to keep a dream diary.",
    ),
    (
        "Sage Willow",
        D,
        "meditations-courses",
        "Chakra balancing meditation pack",
        "14.50",
        None,
        12,
        "waves",
        "Seven short guided meditations, one per chakra, with their scripts — download and practise offline.",
    ),
    (
        "Sage Willow",
        P,
        "crystals",
        "Rose quartz heart",
        "18.00",
        24,
        35,
        "gem",
        "A hand-polished rose quartz heart (about 4 cm), cleansed under the full moon and sent in a velvet pouch.",
    ),
    (
        "Luna Marie",
        P,
        "crystals",
        "Amethyst cluster",
        "34.00",
        6,
        14,
        "gem",
        "A sparkling Uruguayan amethyst cluster, about 8 cm across: for calm, intuition and restful sleep.",
    ),
    (
        "Raven Noir",
        P,
        "candles-ritual",
        "Hand-poured black ritual candle",
        "16.00",
        3,
        27,
        "candle",
        "Soy wax with myrrh and black pepper oils, poured by hand on a waning moon. Burns for about 30 hours.",
    ),
    (
        None,
        P,
        "tarot-oracle-decks",
        "SoulSeer Moon Tarot",
        "29.00",
        40,
        63,
        "deck",
        "Our own 78-card deck with gilded edges, illustrated with the phases of the moon, with a guidebook.",
    ),
    (
        None,
        P,
        "tarot-oracle-decks",
        "Angel whispers oracle deck",
        "26.00",
        15,
        21,
        "deck",
        "44 gentle oracle cards and a guidebook for daily messages from your angels.",
    ),
    (
        None,
        D,
        "meditations-courses",
        "Tarot for beginners: a 7-day course",
        "19.00",
        None,
        48,
        "deck",
        "Learn the 78 cards in a week: one short lesson and one spread a day, with practice readings. PDF.",
    ),
]

PALETTES = [
    ((74, 28, 110), (18, 10, 36), (255, 105, 180)),
    ((24, 54, 96), (10, 12, 30), (212, 175, 55)),
    ((96, 30, 64), (20, 10, 22), (250, 200, 120)),
    ((30, 80, 80), (10, 20, 24), (180, 240, 220)),
    ((60, 40, 100), (14, 12, 30), (200, 170, 255)),
]


def _background(rng: random.Random, size: int, palette) -> Image.Image:
    top, bottom, _ = palette
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / size
        draw.line([(0, y), (size, y)], fill=tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3)))
    for _ in range(60):
        x, y, r = rng.randrange(size), rng.randrange(size), rng.choice([1, 1, 2, 3])
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 250, 235))
    return image


def _glow(image: Image.Image, box, colour) -> Image.Image:
    size = image.size[0]
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse(box, fill=110)
    return Image.composite(
        Image.new("RGB", image.size, colour), image, mask.filter(ImageFilter.GaussianBlur(size // 12))
    )


def product_picture(title: str, motif: str, variant: int = 0, size: int = 640) -> Image.Image:
    """A flat illustration of a product: a night gradient, a glow, and the motif of its kind."""
    rng = random.Random(f"product:{title}:{variant}")
    palette = PALETTES[(sum(map(ord, title)) + variant) % len(PALETTES)]
    accent = palette[2]
    c = size / 2
    image = _glow(
        _background(rng, size, palette), [c - size * 0.32, c - size * 0.32, c + size * 0.32, c + size * 0.32], accent
    )
    draw = ImageDraw.Draw(image)
    if motif == "gem":
        points = [
            (c, c - size * 0.28),
            (c + size * 0.2, c - size * 0.08),
            (c + size * 0.12, c + size * 0.26),
            (c - size * 0.12, c + size * 0.26),
            (c - size * 0.2, c - size * 0.08),
        ]
        draw.polygon(points, fill=tuple(min(255, int(v * 0.9)) for v in accent), outline=(255, 255, 255), width=3)
        for p in points[1:]:
            draw.line([points[0], p], fill=(255, 255, 255), width=2)
        draw.line([points[1], points[4]], fill=(255, 255, 255), width=2)
    elif motif == "deck":
        for i in range(3):
            dx = (i - 1) * size * 0.06
            box = [c - size * 0.15 + dx, c - size * 0.24 + i * 6, c + size * 0.15 + dx, c + size * 0.24 + i * 6]
            draw.rounded_rectangle(box, radius=size // 40, fill=(36, 20, 60), outline=accent, width=4)
        draw.ellipse([c - size * 0.07, c - size * 0.07, c + size * 0.07, c + size * 0.07], fill=(250, 232, 170))
        draw.ellipse([c - size * 0.03, c - size * 0.09, c + size * 0.09, c + size * 0.05], fill=(36, 20, 60))
    elif motif == "candle":
        draw.rounded_rectangle(
            [c - size * 0.1, c - size * 0.1, c + size * 0.1, c + size * 0.32],
            radius=12,
            fill=(30, 24, 36),
            outline=accent,
            width=3,
        )
        draw.ellipse([c - size * 0.04, c - size * 0.26, c + size * 0.04, c - size * 0.12], fill=(255, 200, 90))
        draw.ellipse([c - size * 0.02, c - size * 0.2, c + size * 0.02, c - size * 0.13], fill=(255, 245, 210))
    elif motif == "chart":
        r = size * 0.3
        draw.ellipse([c - r, c - r, c + r, c + r], outline=accent, width=4)
        draw.ellipse([c - r * 0.7, c - r * 0.7, c + r * 0.7, c + r * 0.7], outline=accent, width=2)
        for k in range(12):
            a = k * math.pi / 6
            draw.line(
                [(c + r * 0.7 * math.cos(a), c + r * 0.7 * math.sin(a)), (c + r * math.cos(a), c + r * math.sin(a))],
                fill=accent,
                width=2,
            )
        for _ in range(5):
            a, b = rng.random() * 2 * math.pi, rng.random() * 2 * math.pi
            draw.line(
                [
                    (c + r * 0.7 * math.cos(a), c + r * 0.7 * math.sin(a)),
                    (c + r * 0.7 * math.cos(b), c + r * 0.7 * math.sin(b)),
                ],
                fill=(255, 255, 255),
                width=1,
            )
    elif motif == "waves":
        for k in range(5, 0, -1):
            r = size * 0.06 * k
            draw.ellipse([c - r, c - r, c + r, c + r], outline=accent, width=3)
        draw.ellipse([c - size * 0.04, c - size * 0.04, c + size * 0.04, c + size * 0.04], fill=(255, 255, 255))
    elif motif == "lotus":
        base_x, base_y = c, c + size * 0.16
        length, width = size * 0.3, size * 0.07
        for degrees in (-64, 64, -32, 32, 0):  # side petals first, the middle one on top
            a = math.radians(degrees)

            def at(dx, dy, a=a):
                return (base_x + dx * math.cos(a) - dy * math.sin(a), base_y + dx * math.sin(a) + dy * math.cos(a))

            petal = [at(0, 0), at(-width, -length * 0.5), at(0, -length), at(width, -length * 0.5)]
            draw.polygon(petal, fill=accent, outline=(255, 255, 255), width=3)
        draw.line([(c - size * 0.25, base_y + 6), (c + size * 0.25, base_y + 6)], fill=accent, width=4)
    else:  # "ball": a crystal ball on a stand
        r = size * 0.22
        draw.ellipse(
            [c - r, c - r - size * 0.05, c + r, c + r - size * 0.05],
            fill=(200, 180, 240),
            outline=(255, 255, 255),
            width=3,
        )
        draw.ellipse([c - r * 0.5, c - r * 0.7, c - r * 0.1, c - r * 0.3], fill=(245, 240, 255))
        draw.polygon(
            [
                (c - r * 0.8, c + r * 1.1),
                (c + r * 0.8, c + r * 1.1),
                (c + r * 0.5, c + r * 0.75),
                (c - r * 0.5, c + r * 0.75),
            ],
            fill=accent,
        )
    return image


def picture_file(title: str, motif: str, variant: int = 0) -> ContentFile:
    out = io.BytesIO()
    product_picture(title, motif, variant).save(out, format="WEBP", quality=82)
    return ContentFile(out.getvalue(), name=f"demo-product-{variant}.webp")


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small valid one-page PDF (Helvetica text), written from bytes."""

    def esc(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    rows = [f"BT /F1 20 Tf 72 760 Td ({esc(title)}) Tj ET"]
    rows += [f"BT /F1 12 Tf 72 {720 - 18 * i} Td ({esc(line)}) Tj ET" for i, line in enumerate(lines)]
    stream = "\n".join(rows).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def demo_file(title: str, description: str) -> ContentFile:
    """The digital good: a PDF, or a ZIP of scripts for a meditation pack."""
    lines = [description[i : i + 80] for i in range(0, len(description), 80)] + ["", "SoulSeer demo file."]
    pdf = demo_pdf(title, lines)
    if "pack" in title.lower():
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for number, chakra in enumerate(
                ["Root", "Sacral", "Solar plexus", "Heart", "Throat", "Third eye", "Crown"], 1
            ):
                archive.writestr(
                    f"{number:02d}-{chakra.lower().replace(' ', '-')}.pdf", demo_pdf(f"{chakra} chakra", lines)
                )
        return ContentFile(out.getvalue(), name="chakra-meditation-pack.zip")
    slug = "-".join(title.lower().replace(":", "").split())[:50]
    return ContentFile(pdf, name=f"{slug}.pdf")


@transaction.atomic
def seed_shop() -> int:
    """Create the demo categories and products that are missing; returns how many products were made."""
    categories = {}
    for position, (name, slug) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
    readers = {r.display_name: r.user for r in ReaderProfile.objects.select_related("user")}
    made = 0
    now = timezone.now()
    for seller_name, kind, category, title, price, amount, sold, motif, description in PRODUCTS:
        seller = readers.get(seller_name) if seller_name else None
        if seller_name and seller is None:
            continue  # that demo reader was not seeded
        if Product.objects.filter(seller=seller, title=title).exists():
            continue
        product = Product.objects.create(
            seller=seller,
            category=categories[category],
            kind=kind,
            title=title,
            description=description,
            price=Decimal(price),
            stock=amount if kind == P else None,
            delivery_days=amount if kind == S else None,
            status=Product.Status.PUBLISHED,
            approved_at=now,
            sold_count=sold,
        )
        if kind == D:
            set_file(product, demo_file(title, description))
        for variant in range(2 if kind == P else 1):
            photo = ProductPhoto(product=product, position=variant, alt=title)
            photo.image.save(f"demo-{product.pk}-{variant}.webp", picture_file(title, motif, variant), save=True)
            make_thumbnails(photo.image.name, photo.image.storage)
        made += 1
    return made
