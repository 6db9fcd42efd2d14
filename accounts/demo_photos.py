"""Illustrated portraits for the demo readers, drawn by code (Pillow): no downloads, deterministic per name.

Each portrait is a flat-style illustration: a night-sky backdrop with a moon and stars, shoulders in
a coloured top, a face with skin tone, hair style and colour, eyes, brows, nose, lips and (sometimes)
earrings or a headscarf, chosen from the name. Drawn at twice the size and scaled down for smooth edges.
"""

import io
import random

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFilter

SKIN = [(255, 224, 196), (241, 194, 155), (224, 172, 125), (198, 134, 94), (160, 104, 70), (112, 72, 48)]
HAIR = [(28, 20, 18), (60, 38, 26), (110, 70, 40), (176, 120, 62), (214, 180, 120), (140, 40, 40), (200, 200, 210)]
TOPS = [(255, 105, 180), (212, 175, 55), (126, 87, 194), (38, 166, 154), (92, 107, 192), (233, 84, 110), (64, 64, 88)]
SKIES = [
    ((44, 24, 74), (14, 10, 30)),
    ((70, 20, 60), (16, 10, 24)),
    ((20, 40, 80), (10, 12, 28)),
    ((60, 30, 40), (18, 12, 20)),
]
STYLES = ["long", "bob", "curly", "bun", "short", "wavy", "scarf"]


def _shade(color, factor):
    return tuple(max(0, min(255, int(c * factor))) for c in color)


def _gradient(size, top, bottom):
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / size
        draw.line([(0, y), (size, y)], fill=tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3)))
    return image


def portrait(name: str, size: int = 480) -> Image.Image:
    rng = random.Random(f"portrait:{name}")
    s = size * 2  # supersampled
    sky_top, sky_bottom = rng.choice(SKIES)
    image = _gradient(s, sky_top, sky_bottom)
    draw = ImageDraw.Draw(image)
    for _ in range(70):  # stars
        x, y, r = rng.randrange(s), rng.randrange(int(s * 0.7)), rng.choice([1, 2, 2, 3, 4])
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 250, 235))
    mx, my, mr = s * rng.choice([0.18, 0.82]), s * 0.16, s * 0.07  # crescent moon
    draw.ellipse([mx - mr, my - mr, mx + mr, my + mr], fill=(250, 232, 170))
    draw.ellipse([mx - mr * 0.55, my - mr * 1.2, mx + mr * 1.45, my + mr * 0.8], fill=sky_top)
    glow = Image.new("L", (s, s), 0)  # a soft halo behind the head
    ImageDraw.Draw(glow).ellipse([s * 0.18, s * 0.12, s * 0.82, s * 0.78], fill=90)
    image = Image.composite(
        Image.new("RGB", (s, s), (255, 170, 210)), image, glow.filter(ImageFilter.GaussianBlur(s // 10))
    )
    draw = ImageDraw.Draw(image)

    skin = rng.choice(SKIN)
    hair = rng.choice(HAIR)
    top = rng.choice(TOPS)
    style = rng.choice(STYLES)
    cx = s / 2
    face_w, face_h = s * rng.uniform(0.26, 0.30), s * rng.uniform(0.34, 0.38)
    fy = s * 0.30  # top of the face

    # Hair behind the head (long styles fall to the shoulders).
    if style in ("long", "wavy", "curly"):
        length = s * (0.78 if style != "curly" else 0.64)
        draw.rounded_rectangle(
            [cx - face_w * 0.95, fy - s * 0.05, cx + face_w * 0.95, length], radius=int(s * 0.14), fill=hair
        )
        if style == "curly":
            for _ in range(22):
                a = rng.uniform(0, 1)
                px = cx + (a - 0.5) * face_w * 2.2
                py = fy + rng.uniform(-0.05, 0.3) * s
                r = s * rng.uniform(0.04, 0.07)
                draw.ellipse([px - r, py - r, px + r, py + r], fill=hair)
    if style == "scarf":
        draw.ellipse([cx - face_w * 0.9, fy - s * 0.08, cx + face_w * 0.9, fy + face_h * 1.25], fill=top)

    # Shoulders and neck.
    draw.ellipse([cx - s * 0.36, s * 0.74, cx + s * 0.36, s * 1.25], fill=top)
    draw.rounded_rectangle(
        [cx - face_w * 0.22, fy + face_h * 0.75, cx + face_w * 0.22, s * 0.82], radius=20, fill=_shade(skin, 0.9)
    )
    draw.polygon([(cx - s * 0.09, s * 0.76), (cx + s * 0.09, s * 0.76), (cx, s * 0.86)], fill=_shade(skin, 0.9))
    if rng.random() < 0.5:  # a pendant
        draw.line([(cx - s * 0.07, s * 0.77), (cx, s * 0.83), (cx + s * 0.07, s * 0.77)], fill=(212, 175, 55), width=4)
        draw.ellipse([cx - 9, s * 0.83 - 4, cx + 9, s * 0.83 + 14], fill=(212, 175, 55))

    # Ears and the face.
    ear_y = fy + face_h * 0.45
    for side in (-1, 1):
        ex = cx + side * face_w * 0.5
        draw.ellipse([ex - s * 0.03, ear_y - s * 0.04, ex + s * 0.03, ear_y + s * 0.04], fill=_shade(skin, 0.95))
    draw.ellipse([cx - face_w / 2, fy, cx + face_w / 2, fy + face_h], fill=skin)
    if style != "scarf" and rng.random() < 0.6:  # earrings
        for side in (-1, 1):
            ex = cx + side * face_w * 0.52
            draw.ellipse([ex - 7, ear_y + s * 0.035, ex + 7, ear_y + s * 0.035 + 14], fill=(212, 175, 55))

    # Hair on top.
    if style == "scarf":
        draw.chord([cx - face_w * 0.62, fy - s * 0.06, cx + face_w * 0.62, fy + face_h * 0.55], 180, 360, fill=top)
        draw.chord(
            [cx - face_w * 0.62, fy - s * 0.06, cx + face_w * 0.62, fy + face_h * 0.55],
            180,
            360,
            outline=_shade(top, 0.75),
            width=6,
        )
    else:
        draw.chord([cx - face_w * 0.58, fy - s * 0.05, cx + face_w * 0.58, fy + face_h * 0.5], 180, 360, fill=hair)
        part = rng.choice([-1, 1])
        draw.pieslice(
            [cx - face_w * 0.55, fy - s * 0.02, cx + face_w * 0.55 * part, fy + face_h * 0.42], 180, 300, fill=hair
        )
        if style == "bun":
            draw.ellipse([cx - s * 0.07, fy - s * 0.14, cx + s * 0.07, fy], fill=hair)
        # Locks framing the face: short for a bob, to the chin and beyond for long hair.
        frame = {"bob": (0.42, 0.2, 0.85), "long": (0.45, 0.18, 1.05), "wavy": (0.45, 0.18, 1.05)}.get(style)
        if frame:
            offset, width, bottom = frame
            for side in (-1, 1):
                x0, x1 = sorted([cx + side * face_w * offset, cx + side * face_w * (offset + width)])
                draw.rounded_rectangle([x0, fy + face_h * 0.1, x1, fy + face_h * bottom], radius=30, fill=hair)

    # Features.
    eye_y = fy + face_h * 0.5
    eye_dx = face_w * 0.2
    iris = rng.choice([(60, 40, 30), (40, 90, 60), (50, 80, 130), (30, 30, 30)])
    for side in (-1, 1):
        ex = cx + side * eye_dx
        draw.ellipse([ex - s * 0.028, eye_y - s * 0.016, ex + s * 0.028, eye_y + s * 0.016], fill=(250, 250, 250))
        draw.ellipse([ex - s * 0.014, eye_y - s * 0.014, ex + s * 0.014, eye_y + s * 0.014], fill=iris)
        draw.ellipse([ex - 5, eye_y - 9, ex + 3, eye_y - 1], fill=(255, 255, 255))
        draw.arc(
            [ex - s * 0.032, eye_y - s * 0.05, ex + s * 0.032, eye_y - s * 0.01],
            200,
            340,
            fill=_shade(hair, 0.9),
            width=7,
        )
        draw.ellipse(
            [ex - s * 0.03 + side * 6, eye_y + s * 0.04, ex + s * 0.012 + side * 6, eye_y + s * 0.06],
            fill=_shade(skin, 0.93),
        )
    draw.line(
        [(cx, eye_y + s * 0.01), (cx - s * 0.012, eye_y + s * 0.07), (cx + s * 0.008, eye_y + s * 0.075)],
        fill=_shade(skin, 0.78),
        width=5,
    )
    lips = rng.choice([(200, 80, 110), (170, 70, 80), (220, 110, 130), (150, 60, 70)])
    mouth_y = fy + face_h * 0.78
    draw.chord([cx - s * 0.045, mouth_y - s * 0.02, cx + s * 0.045, mouth_y + s * 0.035], 0, 180, fill=lips)
    draw.line(
        [(cx - s * 0.045, mouth_y + s * 0.005), (cx + s * 0.045, mouth_y + s * 0.005)], fill=_shade(lips, 0.7), width=3
    )

    return image.resize((size, size), Image.LANCZOS)


def demo_photo(name: str, size: int = 480) -> ContentFile:
    out = io.BytesIO()
    portrait(name, size).save(out, format="WEBP", quality=82)
    slug = "-".join(name.lower().split())
    return ContentFile(out.getvalue(), name=f"demo-{slug}.webp")
