"""Generated portrait cards for demo readers: no downloads, deterministic per name."""

import io
import math
import random

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PALETTES = [
    ((255, 105, 180), (76, 29, 149)),
    ((212, 175, 55), (88, 28, 135)),
    ((147, 51, 234), (15, 23, 42)),
    ((236, 72, 153), (30, 27, 75)),
    ((56, 189, 248), (49, 46, 129)),
    ((251, 146, 60), (127, 29, 29)),
]


def demo_photo(name: str, size: int = 480) -> ContentFile:
    rng = random.Random(name)
    top, bottom = rng.choice(PALETTES)
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / size
        draw.line([(0, y), (size, y)], fill=tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3)))
    glow = Image.new("L", (size, size), 0)
    ImageDraw.Draw(glow).ellipse([size * 0.15, size * 0.1, size * 0.85, size * 0.8], fill=120)
    image = Image.composite(
        Image.new("RGB", (size, size), (255, 240, 250)), image, glow.filter(ImageFilter.GaussianBlur(size // 6))
    )
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = rng.randrange(size), rng.randrange(size), rng.choice([1, 1, 2, 3])
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255))
    cx, cy, r = size * 0.72, size * 0.24, size * 0.09
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 235, 180))
    offset = r * 0.45
    draw.ellipse([cx - r + offset, cy - r - offset * 0.3, cx + r + offset, cy + r - offset * 0.3], fill=top)
    initials = "".join(p[0] for p in name.split()[:2]).upper()
    font = ImageFont.load_default(size=size // 3)
    box = draw.textbbox((0, 0), initials, font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    draw.text(((size - w) / 2 - box[0], size * 0.55 - h / 2 - box[1]), initials, font=font, fill=(20, 12, 30))
    for i in range(3):
        a = 2 * math.pi * i / 3 + rng.random()
        draw.arc(
            [size * 0.05, size * 0.05, size * 0.95, size * 0.95],
            math.degrees(a),
            math.degrees(a) + 40,
            fill=(212, 175, 55),
            width=3,
        )
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=82)
    return ContentFile(out.getvalue(), name=f"demo-{initials.lower()}-{rng.randrange(10**6)}.webp")
