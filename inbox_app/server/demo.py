"""`inbox-app --demo`: a private backend in a thread, a demo firm seeded through the services,
and a carrier that now and then texts in (signed webhooks to itself) so notifications show."""

from __future__ import annotations

import io
import itertools
import logging
import math
import random
import secrets
import shutil
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from inbox_app.models import tables as t
from inbox_app.models.schemas import (
    ClientIn,
    ContactIn,
    ConversationIn,
    EventIn,
    FlowIn,
    FlowStepIn,
    MatterIn,
    MessageIn,
)
from inbox_app.server.config import Settings

log = logging.getLogger("inbox.demo")

DEMO_USER = "dana"
DEMO_PASSWORD = "demo-password"
FIRM = "Whitfield & Ortiz LLP"
FIRM_NUMBER = "+12025550143"

# (first, last, mobile, matter, case number, language)
CLIENTS = [
    ("Maria", "Alvarez", "+12025550111", "Alvarez v. Metro Transit", "CV-2025-0412", "es"),
    ("James", "Okafor", "+12025550112", "Okafor — Immigration (I-130)", "IMM-88231", "en"),
    ("Linda", "Chen", "+12025550113", "Chen Estate Planning", None, "en"),
    ("Robert", "Fitzgerald", "+12025550114", "State v. Fitzgerald", "CR-2025-1187", "en"),
    ("Aisha", "Rahman", "+12025550115", "Rahman v. Lakeside Apartments", "LT-2025-0093", "en"),
    ("Daniel", "Kowalski", "+12025550116", "Kowalski Divorce", "FAM-2025-0771", "en"),
    ("Sofia", "Moreno", "+12025550117", "Moreno Workers' Comp", "WC-55102", "es"),
    ("Tyrone", "Banks", "+12025550118", "Banks DUI Defense", "TR-2025-3320", "en"),
    ("Emily", "Nguyen", "+12025550119", "Nguyen Bankruptcy (Ch. 7)", "BK-25-10442", "en"),
    ("Harold", "Simmons", "+12025550120", "Simmons Will Contest", "PR-2025-0218", "en"),
    ("Priya", "Patel", "+12025550121", "Patel LLC Formation", None, "en"),
    ("Marcus", "Green", "+12025550122", "Green v. Allied Insurance", "CV-2025-0950", "en"),
]

IN, OUT = "in", "out"

# Scripted threads: client index -> [(direction, minutes ago, text, images)]; images name
# generated pictures. The first one is the showcase the screenshot opens.
THREADS: dict[int, list[tuple[str, int, str, tuple[str, ...]]]] = {
    0: [
        (
            OUT,
            60 * 27,
            "Hi Maria, this is Dana from Whitfield & Ortiz. Could you send photos of "
            "the spot where you fell, and of the incident report the driver gave you?",
            (),
        ),
        (IN, 60 * 26, "Yes of course. I took these the day after.", ("sidewalk", "report")),
        (IN, 60 * 26 - 2, "The crack in the sidewalk is still there, nobody fixed it.", ()),
        (
            OUT,
            60 * 25,
            "Thank you, these are very helpful. Do you still have the clinic receipt?",
            (),
        ),
        (IN, 42, "Here is the receipt from the urgent care clinic.", ("receipt",)),
        (OUT, 38, "Got it. We will add it to the demand letter. Talk soon!", ()),
        (IN, 6, "Thank you! Do I need to bring anything to Thursday's meeting?", ()),
    ],
    1: [
        (
            OUT,
            60 * 50,
            "James, your biometrics appointment notice arrived. It's on the 14th at "
            "9:30 AM at the Alexandria ASC.",
            (),
        ),
        (IN, 60 * 49, "Great, thanks. Should I bring my passport?", ()),
        (
            OUT,
            60 * 49 - 5,
            "Yes: passport, the appointment notice and your green card receipt.",
            (),
        ),
        (IN, 14, "Will do. Any update on the interview date?", ()),
    ],
    2: [
        (
            OUT,
            60 * 24 * 3,
            "Hi Linda, the draft trust is ready for your review. I've emailed it to you.",
            (),
        ),
        (IN, 60 * 24 * 3 - 30, "Received, I'll read it this weekend.", ()),
        (IN, 60 * 24 * 2, "One question: can my sister be the successor trustee?", ()),
        (OUT, 60 * 24 * 2 - 20, "Absolutely. We'll update section 4.2 and send a new draft.", ()),
    ],
    3: [
        (
            OUT,
            60 * 5,
            "Robert, reminder: arraignment tomorrow 9:00 AM, Courtroom 4B. Please arrive by 8:30.",
            (),
        ),
        (IN, 60 * 4, "I'll be there. Dress code?", ()),
        (OUT, 60 * 4 - 3, "Business attire please: a collared shirt and slacks are fine.", ()),
    ],
    4: [
        (IN, 60 * 30, "The mold in the bathroom came back after they painted over it.", ("mold",)),
        (OUT, 60 * 29, "I'm sorry to hear that. Please keep taking dated photos every week.", ()),
        (IN, 120, "New photo from this morning.", ("mold",)),
    ],
    5: [
        (OUT, 60 * 24 * 6, "Daniel, the mediation is confirmed for next Tuesday at 1 PM.", ()),
        (IN, 60 * 24 * 6 - 10, "Ok. Will my ex's lawyer be there?", ()),
        (
            OUT,
            60 * 24 * 6 - 15,
            "Yes, both attorneys attend. The mediator meets each side separately too.",
            (),
        ),
    ],
    6: [
        (IN, 60 * 24 * 2, "Hola, ¿ya recibieron el informe del médico?", ()),
        (
            OUT,
            60 * 24 * 2 - 40,
            "Sí, lo recibimos ayer. Lo enviaremos a la aseguradora esta semana.",
            (),
        ),
        (IN, 60 * 24 * 2 - 45, "¡Muchas gracias!", ()),
    ],
    7: [
        (
            OUT,
            60 * 24 * 8,
            "Tyrone, the DMV hearing request was filed. Keep the confirmation letter.",
            (),
        ),
        (IN, 60 * 24 * 8 - 60, "Thanks. Can I still drive to work?", ()),
        (OUT, 60 * 24 * 8 - 70, "Yes, until the hearing decision. Carry the temporary permit.", ()),
    ],
    8: [
        (OUT, 60 * 24 * 4, "Emily, please send the last 6 months of pay stubs when you can.", ()),
        (IN, 60 * 24 * 4 - 90, "Sending the first two now", ("paystub",)),
    ],
    9: [
        (IN, 60 * 24 * 12, "Did the court set a hearing on the objection?", ()),
        (OUT, 60 * 24 * 12 - 25, "Not yet. We expect a date within two weeks.", ()),
    ],
    10: [
        (OUT, 60 * 24 * 15, "Priya, your LLC was approved! The certificate is in your portal.", ()),
        (IN, 60 * 24 * 15 - 5, "Amazing news, thank you!!", ()),
    ],
    11: [
        (OUT, 60 * 24 * 1, "Marcus, the insurer made an offer. Can we talk today at 4?", ()),
        (IN, 60 * 24 * 1 - 12, "4 works. Call my cell.", ()),
        (OUT, 60 * 24 * 1 - 14, "Perfect, talk then.", ()),
    ],
}

UNREAD = {0, 1, 4}
MUTED = {9}
SCHEDULED = (3, "Robert, your next court date is confirmed. Bring your ID and the bail receipt.")
FAILED = (
    7,
    "Tyrone, please call the office to confirm your hearing date.",
    "30003: Unreachable destination handset",
)

CARRIER_LINES = [
    "Thanks, got it!",
    "Can you call me when you have a minute?",
    "I'm running 10 minutes late, sorry.",
    "Is Thursday still ok?",
    "I sent the documents by email just now.",
    "Ok, see you then.",
    "Quick question about the bill, whenever you're free.",
    "Perfect, thank you so much.",
]


# --- pictures ----------------------------------------------------------------------------------


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=86)
    return buffer.getvalue()


PICTURES = ("sidewalk", "report", "receipt", "mold", "paystub")


def make_picture(kind: str, seed: int = 0) -> bytes:
    """A phone photo drawn with Pillow: a cracked sidewalk in late light, a transit incident
    report and a pay stub lying on a desk, a clinic receipt on a table, mold on a bathroom wall.
    """
    rng = random.Random(f"{kind}-{seed}")
    draw = {
        "sidewalk": sidewalk,
        "report": report,
        "receipt": receipt,
        "mold": mold,
        "paystub": paystub,
    }[kind]
    return _jpeg(draw(rng))


# Drawing helpers: soft noise, light falling from one side, vignette, film grain, surfaces.


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _blotches(size, scale, rng, lo=0, hi=255) -> Image.Image:
    """Soft multi-scale noise (grayscale): small random images blown up smoothly."""
    w, h = size
    out = Image.new("L", size, 128)
    for s, weight in ((scale, 0.55), (scale // 3 or 1, 0.3), (scale // 9 or 1, 0.15)):
        small = Image.effect_noise((max(2, w // s), max(2, h // s)), 60).resize(size, Image.BICUBIC)
        out = Image.blend(out, small, weight)
    return out.point(lambda v: lo + (hi - lo) * v // 255)


def _grain(img: Image.Image, amount: float = 10) -> Image.Image:
    noise = Image.effect_noise(img.size, amount).convert("RGB")
    return ImageChops.add(img, ImageChops.subtract(noise, Image.new("RGB", img.size, (128,) * 3)))


def _light(img: Image.Image, angle: float, strength: float = 0.35) -> Image.Image:
    """Light falling from one side: a linear gradient multiplied in."""
    # Rotate a large gradient and keep its middle, so no empty corners show.
    g = Image.linear_gradient("L").resize((512, 512)).rotate(angle, resample=Image.BICUBIC)
    g = g.crop((128, 128, 384, 384)).resize(img.size, Image.BICUBIC)
    g = g.point(lambda v: int(255 - strength * (255 - v)))
    return ImageChops.multiply(img, Image.merge("RGB", (g, g, g)))


def _vignette(img: Image.Image, strength: float = 0.45) -> Image.Image:
    r = Image.radial_gradient("L").resize(img.size, Image.BICUBIC)
    r = r.point(lambda v: int(255 - strength * max(0, v - 70) * 255 / 185))
    return ImageChops.multiply(img, Image.merge("RGB", (r, r, r)))


def _shadow(size, box, radius=18, offset=(14, 18), darkness=150) -> Image.Image:
    mask = Image.new("L", size, 0)
    x0, y0, x1, y1 = box
    ImageDraw.Draw(mask).rectangle(
        [x0 + offset[0], y0 + offset[1], x1 + offset[0], y1 + offset[1]], fill=darkness
    )
    return mask.filter(ImageFilter.GaussianBlur(radius))


def _wood(size, rng) -> Image.Image:
    w, h = size
    grain = Image.effect_noise((w // 60 + 2, h * 2), 80).resize((w, h), Image.BICUBIC)
    streaks = Image.new("L", size)
    # Rows of varying tone (fast: draw lines), then the grain on top.
    d = ImageDraw.Draw(streaks)
    for y in range(h):
        v = 128 + 38 * math.sin(y / 9.0 + 2.5 * math.sin(y / 61.0)) + 14 * math.sin(y / 2.7)
        d.line([(0, y), (w, y)], fill=int(v))
    streaks = ImageChops.blend(streaks, grain, 0.35)
    dark = Image.new("RGB", size, (86, 56, 34))
    light = Image.new("RGB", size, (168, 122, 82))
    return Image.composite(light, dark, streaks)


def receipt(rng) -> Image.Image:
    w, h = 900, 1200
    table = _wood((w, h), rng)
    pw, ph = 470, 1010
    paper = Image.new("RGB", (pw, ph), (247, 245, 238))
    d = ImageDraw.Draw(paper)
    mono = _font(22)
    big = _font(30)
    y = 40

    def center(text, font, fill=(40, 40, 44)):
        nonlocal y
        tw = d.textlength(text, font=font)
        d.text(((pw - tw) / 2, y), text, font=font, fill=fill)
        y += font.size + 10

    center("CAPITOL URGENT CARE", big, (25, 25, 30))
    center("1420 K Street NW, Washington DC", mono)
    center("(202) 555-0190", mono)
    y += 14
    d.line([(30, y), (pw - 30, y)], fill=(90, 90, 90), width=2)
    y += 16
    for left, right in (("Date: 11/26/2026", "4:12 PM"), ("Patient: ALVAREZ, M.", "#48213")):
        d.text((30, y), left, font=mono, fill=(45, 45, 50))
        rw = d.textlength(right, font=mono)
        d.text((pw - 30 - rw, y), right, font=mono, fill=(45, 45, 50))
        y += 34
    y += 10
    for item, price in (
        ("Office visit, level 3", "185.00"),
        ("X-ray, knee 2 views", "142.00"),
        ("Knee brace", "38.50"),
        ("Ibuprofen 600mg x30", "12.40"),
    ):
        d.text((30, y), item, font=mono, fill=(45, 45, 50))
        rw = d.textlength(price, font=mono)
        d.text((pw - 30 - rw, y), price, font=mono, fill=(45, 45, 50))
        y += 38
    y += 6
    d.line([(30, y), (pw - 30, y)], fill=(90, 90, 90), width=2)
    y += 16
    for item, price, font in (
        ("Subtotal", "377.90", mono),
        ("Insurance", "-250.00", mono),
        ("TOTAL PAID", "$127.90", big),
    ):
        d.text((30, y), item, font=font, fill=(30, 30, 34))
        rw = d.textlength(price, font=font)
        d.text((pw - 30 - rw, y), price, font=font, fill=(30, 30, 34))
        y += font.size + 14
    y += 10
    center("VISA **** 4471   APPROVED", mono)
    y += 20
    # barcode
    x = 70
    while x < pw - 70:
        bw = rng.choice((2, 3, 5))
        d.rectangle([x, y, x + bw, y + 70], fill=(30, 30, 30))
        x += bw + rng.choice((2, 3, 4))
    y += 90
    center("Thank you. Get well soon!", mono)
    # Torn bottom edge.
    mask = Image.new("L", (pw, ph), 255)
    md = ImageDraw.Draw(mask)
    pts = (
        [(0, ph)]
        + [(x, ph - 14 + rng.randrange(-6, 7)) for x in range(0, pw + 10, 10)]
        + [(pw, ph)]
    )
    md.polygon(pts, fill=0)
    # Paper shading: a soft fold across the middle.
    fold = (
        Image.linear_gradient("L")
        .resize((pw, ph))
        .point(lambda v: int(235 + 20 * math.cos(v / 255 * math.pi * 2)))
    )
    paper = ImageChops.multiply(paper, Image.merge("RGB", (fold, fold, fold)))
    paper = _grain(paper, 6)
    rgba = paper.convert("RGBA")
    rgba.putalpha(mask)
    angle = -3.2
    rot = rgba.rotate(angle, resample=Image.BICUBIC, expand=True)
    ox, oy = (w - rot.width) // 2 + 10, (h - rot.height) // 2 + 5
    shadow = Image.new("L", (w, h), 0)
    shadow.paste(rot.getchannel("A").point(lambda a: a * 150 // 255), (ox + 16, oy + 22))
    shadow = shadow.filter(ImageFilter.GaussianBlur(16))
    table = Image.composite(Image.new("RGB", (w, h), (20, 12, 6)), table, shadow)
    table.paste(rot, (ox, oy), rot)
    img = _light(table, 35, 0.35)
    img = _vignette(img, 0.5)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    return _grain(img, 9)


def sidewalk(rng) -> Image.Image:
    w, h = 1200, 900
    tone = _blotches((w, h), 120, rng, 150, 212)
    fine = Image.effect_noise((w, h), 40).filter(ImageFilter.GaussianBlur(0.7))
    tone = ImageChops.blend(tone, fine, 0.25)
    concrete = Image.merge("RGB", (tone, tone.point(lambda v: v - 3), tone.point(lambda v: v - 12)))
    d = ImageDraw.Draw(concrete)
    # Expansion joints, with a shadowed and a lit edge.
    for x in (330, 760):
        d.line([(x, 0), (x - 60, h)], fill=(88, 86, 82), width=7)
        d.line([(x + 5, 0), (x - 55, h)], fill=(190, 188, 182), width=2)
    # The crack: a random walk drawn in short segments of varying width, with a dark halo.
    halo = Image.new("L", (w, h), 0)
    hd = ImageDraw.Draw(halo)

    def crack(x, y, steps, dx, width):
        pts = [(x, y)]
        heading = 0.0
        for _ in range(steps):
            heading = max(-0.9, min(0.9, heading + rng.uniform(-0.5, 0.5)))
            x += dx * math.cos(heading)
            y += dx * math.sin(heading)
            pts.append((x, y))
        for i, (a, b) in enumerate(itertools.pairwise(pts)):
            wdt = max(
                1, int(width * (0.6 + 0.6 * math.sin(i / 3.0) ** 2) * (1 - i / (steps * 1.6)))
            )
            d.line([a, b], fill=(28, 26, 24), width=wdt)
            d.line(
                [(a[0] + 1, a[1] + wdt / 2 + 1), (b[0] + 1, b[1] + wdt / 2 + 1)],
                fill=(176, 172, 164),
                width=1,
            )
            hd.line([a, b], fill=110, width=wdt * 5)
        return pts

    main = crack(40, 500, 110, 10, 7)
    for i in (25, 60, 85):
        bx, by = main[i]
        crack(bx, by, 18 + rng.randrange(10), 8, 3)
    halo = halo.filter(ImageFilter.GaussianBlur(9))
    concrete = Image.composite(Image.new("RGB", (w, h), (60, 58, 55)), concrete, halo)
    d = ImageDraw.Draw(concrete)
    # A raised, broken edge along the crack.
    conc = concrete.filter(ImageFilter.GaussianBlur(0.8))
    # Grass strip at the top.
    grass = Image.new("RGB", (w, 140), (58, 84, 40))
    gd = ImageDraw.Draw(grass)
    for _ in range(5200):
        x = rng.randrange(w)
        y0 = rng.randrange(30, 150)
        g = rng.randrange(70, 170)
        color = (g * rng.uniform(0.45, 0.8), g, g * rng.uniform(0.2, 0.45))
        gd.line(
            [(x, y0), (x + rng.randrange(-10, 11), y0 - rng.randrange(15, 45))],
            fill=tuple(int(c) for c in color),
            width=rng.choice((1, 2, 2, 3)),
        )
    edge = (
        Image.linear_gradient("L")
        .resize((w, 140))
        .point(lambda v: 255 if v < 190 else int(255 * (255 - v) / 65))
    )
    conc.paste(grass.filter(ImageFilter.GaussianBlur(1.2)), (0, 0), edge)
    # Photographed at an angle: perspective squeeze toward the top.
    coeffs = _perspective(
        [(0, 0), (w, 0), (w, h), (0, h)],
        [(230, 0), (w - 230, 0), (w, h), (0, h)],
    )
    conc = conc.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC)
    # Late-afternoon light: warm, from the top left, with a lamp post's soft shadow.
    shade = Image.new("L", (w, h), 0)
    ImageDraw.Draw(shade).polygon([(w, 260), (w, 330), (380, h), (290, h)], fill=90)
    shade = shade.filter(ImageFilter.GaussianBlur(14))
    conc = Image.composite(Image.new("RGB", (w, h), (70, 72, 86)), conc, shade)
    warm = Image.new("RGB", (w, h), (255, 236, 205))
    conc = ImageChops.multiply(conc, warm)
    img = _light(conc, 225, 0.3)
    img = _vignette(img, 0.3)
    return _grain(img, 8)


def _perspective(dst, src):
    """Coefficients for Image.transform(PERSPECTIVE) mapping dst quad to src quad."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for col in range(n):  # Gauss-Jordan with partial pivoting
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        p = rows[col][col]
        rows[col] = [c / p for c in rows[col]]
        for r in range(n):
            if r != col and rows[r][col]:
                f = rows[r][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] for i in range(n)]


def _on_table(
    paper: Image.Image, background: Image.Image, angle: float, rng, light=35
) -> Image.Image:
    """`paper` (RGBA) lying on `background`, rotated, with a soft shadow, light and grain."""
    w, h = background.size
    rot = paper.rotate(angle, resample=Image.BICUBIC, expand=True)
    ox, oy = (
        (w - rot.width) // 2 + rng.randrange(-12, 13),
        (h - rot.height) // 2 + rng.randrange(-8, 9),
    )
    shadow = Image.new("L", (w, h), 0)
    shadow.paste(rot.getchannel("A").point(lambda a: a * 150 // 255), (ox + 16, oy + 22))
    shadow = shadow.filter(ImageFilter.GaussianBlur(16))
    out = Image.composite(Image.new("RGB", (w, h), (20, 14, 10)), background, shadow)
    out.paste(rot, (ox, oy), rot)
    out = _light(out, light, 0.35)
    out = _vignette(out, 0.4)
    return _grain(out.filter(ImageFilter.GaussianBlur(0.6)), 8)


def _fabric(size, rng, color=(74, 84, 98)) -> Image.Image:
    tone = _blotches(size, 90, rng, 100, 160)
    weave = Image.effect_noise(size, 50).filter(ImageFilter.GaussianBlur(0.5))
    tone = ImageChops.blend(tone, weave, 0.3)
    base = Image.new("RGB", size, color)
    return ImageChops.multiply(
        Image.merge("RGB", (tone,) * 3).point(lambda v: min(255, v + 90)),
        base.point(lambda v: min(255, v * 2)),
    )


def document(rng, title, org, fields, table, note, cols=(48, 300, 430, 560)) -> Image.Image:
    """A printed form: letterhead, fields, a table and a signature line."""
    pw, ph = 680, 880
    page = Image.new("RGB", (pw, ph), (250, 250, 247))
    d = ImageDraw.Draw(page)
    small, body, head = _font(15), _font(18), _font(28)
    d.rectangle([40, 38, 92, 90], fill=(28, 70, 140))
    d.text((52, 48), org[0], font=_font(34), fill=(255, 255, 255))
    d.text((108, 40), org, font=_font(22), fill=(28, 50, 95))
    d.text((108, 68), "Washington, DC 20001  ·  (202) 555-0100", font=small, fill=(90, 96, 110))
    d.text((40, 120), title, font=head, fill=(20, 24, 32))
    d.line([(40, 162), (pw - 40, 162)], fill=(28, 70, 140), width=3)
    y = 182
    for i, (label, value) in enumerate(fields):
        x = 40 if i % 2 == 0 else pw // 2 + 10
        d.text((x, y), label.upper(), font=small, fill=(110, 116, 128))
        d.text((x, y + 18), value, font=body, fill=(25, 28, 36))
        d.line([(x, y + 44), (x + pw // 2 - 60, y + 44)], fill=(200, 202, 208), width=1)
        if i % 2 == 1:
            y += 62
    y += 74 if len(fields) % 2 else 12
    d.rectangle([40, y, pw - 40, y + 30], fill=(232, 236, 244))
    for x, text in zip(cols, table[0], strict=True):
        d.text((x, y + 6), text, font=small, fill=(40, 50, 70))
    y += 38
    for row in table[1:]:
        for x, text in zip(cols, row, strict=True):
            d.text((x, y), text, font=body, fill=(30, 32, 40))
        y += 30
        d.line([(40, y - 4), (pw - 40, y - 4)], fill=(225, 227, 232), width=1)
    y += 20
    for line in note:
        d.text((40, y), line, font=body, fill=(50, 54, 64))
        y += 26
    # A signature.
    sy = ph - 120
    pts = []
    for i in range(260):
        t = i / 10.0
        pts.append(
            (
                60 + t * 9 + 14 * math.sin(t * 1.9),
                sy + 16 * math.cos(t * 1.9) * (0.5 + 0.5 * math.sin(t * 0.4)),
            )
        )
    d.line(pts, fill=(30, 50, 120), width=2, joint="curve")
    d.line([(40, sy + 30), (320, sy + 30)], fill=(120, 124, 132), width=1)
    d.text((40, sy + 36), "Signature", font=small, fill=(110, 116, 128))
    d.text((pw - 200, ph - 50), "Page 1 of 1", font=small, fill=(110, 116, 128))
    rgba = page.convert("RGBA")
    return rgba


def report(rng) -> Image.Image:
    page = document(
        rng,
        "Passenger Incident Report",
        "Metro Transit Authority",
        [
            ("Report no.", "MTA-2025-118342"),
            ("Date of incident", "Nov 24, 2026, 7:45 AM"),
            ("Location", "Stop #3107, 14th St & Irving"),
            ("Route", "Bus 52"),
            ("Passenger", "Maria Alvarez"),
            ("Phone", "(202) 555-0111"),
        ],
        [
            ("Item", "Description", "Seen by", "Photo"),
            ("1", "Cracked slab at curb", "Driver", "Yes"),
            ("2", "Fall, left knee", "Witness", "No"),
            ("3", "No warning sign", "Driver", "Yes"),
        ],
        [
            "Passenger tripped on a raised, cracked slab while",
            "boarding. First aid offered; passenger declined",
            "ambulance. Supervisor notified at 7:58 AM.",
        ],
        cols=(48, 110, 420, 560),
    )
    w, h = 1200, 900
    page = page.resize((int(page.width * 0.92), int(page.height * 0.92)), Image.LANCZOS)
    return _on_table(page, _wood((w, h), rng), -4.0, rng, light=30)


def paystub(rng) -> Image.Image:
    page = document(
        rng,
        "Earnings Statement",
        "Lakeside Logistics LLC",
        [
            ("Employee", "Emily Nguyen"),
            ("Pay period", "Nov 1 - Nov 15, 2026"),
            ("Employee ID", "004417"),
            ("Pay date", "Nov 20, 2026"),
        ],
        [
            ("Earnings", "Hours", "Rate", "Amount"),
            ("Regular", "80.00", "21.50", "1,720.00"),
            ("Overtime", "6.50", "32.25", "209.63"),
            ("Fed. tax", "", "", "-231.56"),
            ("Net pay", "", "", "1,498.07"),
        ],
        ["Year to date gross: 41,204.18", "Direct deposit to account ****2209"],
    )
    w, h = 900, 1200
    return _on_table(page, _fabric((w, h), rng), 2.5, rng, light=200)


def mold(rng) -> Image.Image:
    w, h = 1200, 900
    tone = _blotches((w, h), 160, rng, 214, 240)
    wall = Image.merge("RGB", (tone, tone.point(lambda v: v - 3), tone.point(lambda v: v - 10)))
    # Water stain rings.
    stain = Image.new("L", (w, h), 0)
    sd = ImageDraw.Draw(stain)
    for r, a in ((330, 40), (250, 55), (180, 35)):
        sd.ellipse([620 - r, 300 - r * 0.8, 620 + r, 300 + r * 0.8], outline=a, width=26)
    stain = stain.filter(ImageFilter.GaussianBlur(22))
    wall = Image.composite(Image.new("RGB", (w, h), (170, 140, 96)), wall, stain)
    # Mold: many small dark spots in clusters, densest near the corner.
    spots = Image.new("L", (w, h), 0)
    md = ImageDraw.Draw(spots)
    for _ in range(34):
        cx, cy = rng.gauss(640, 190), rng.gauss(290, 120)
        for _ in range(rng.randrange(60, 220)):
            x, y = rng.gauss(cx, 42), rng.gauss(cy, 34)
            r = rng.uniform(0.8, 3.5) * (1.6 if rng.random() < 0.1 else 1)
            md.ellipse([x - r, y - r, x + r, y + r], fill=rng.randrange(120, 255))
    spots = spots.filter(ImageFilter.GaussianBlur(1.8))
    fuzz = spots.filter(ImageFilter.GaussianBlur(14)).point(lambda v: min(255, v * 3))
    wall = Image.composite(
        Image.new("RGB", (w, h), (92, 98, 72)), wall, fuzz.point(lambda v: v // 2)
    )
    wall = Image.composite(Image.new("RGB", (w, h), (34, 38, 30)), wall, spots)
    # Tiles along the bottom, and the ceiling corner at the top.
    d = ImageDraw.Draw(wall)
    d.rectangle([0, h - 190, w, h], fill=(236, 238, 240))
    for x in range(0, w, 150):
        d.line([(x, h - 190), (x, h)], fill=(196, 198, 200), width=3)
    d.line([(0, h - 90), (w, h - 90)], fill=(196, 198, 200), width=3)
    d.line([(0, h - 190), (w, h - 190)], fill=(175, 176, 178), width=4)
    img = _light(wall, 300, 0.4)
    img = _vignette(img, 0.45)
    return _grain(img.filter(ImageFilter.GaussianBlur(0.8)), 7)


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class SeedResult:
    showcase_conversation_id: int
    conversation_ids: list[int] = field(default_factory=list)


def _inbound(
    session: Session, settings: Settings, phone: str, body: str, pictures: tuple[str, ...] = ()
) -> str:
    """Store an inbound text the way the webhook does; returns its MessageSid."""
    from inbox_app.server.services import inbound, media
    from inbox_app.server.simulate import build_params

    urls = []
    for i, name in enumerate(pictures):
        data = make_picture(name, i + len(body))
        url = media.save_simulator_upload(
            settings, data, "image/jpeg", media.simulator_signature(settings, data)
        )
        urls.append((url, "image/jpeg"))
    params = build_params(phone, FIRM_NUMBER, body, urls, settings.twilio_account_sid or "")
    inbound.receive(session, settings, params)
    return params["MessageSid"]


def _user(session: Session, user_id: int) -> t.User:
    """The user for service calls, with the read transaction closed (as the routes do)."""
    user = session.get(t.User, user_id)
    session.commit()
    return user


def _settle_activity(session: Session, conversation_ids: list[int]) -> None:
    """Each thread's last activity and preview from its newest sent or received message."""
    for conversation_id in conversation_ids:
        last = session.scalars(
            select(t.Message)
            .where(t.Message.conversation_id == conversation_id, t.Message.status != "scheduled")
            .order_by(t.Message.created_at.desc())
            .limit(1)
        ).first()
        if last is not None:
            session.execute(
                update(t.Conversation)
                .where(t.Conversation.id == conversation_id)
                .values(
                    last_message_at=last.created_at,
                    last_message_preview=(last.body or "[image]")[:200],
                )
            )


def seed(factory: sessionmaker[Session], settings: Settings) -> SeedResult:
    """Create the demo firm: users, a dozen clients with matters, threads with photos,
    a scheduled message, a failed one, and a court-date reminder flow."""
    from inbox_app.server.services import (
        auth,
        clients,
        contacts,
        conversations,
        credits,
        firms,
        flows,
        matters,
        messages,
        reminders,
    )

    with factory() as session:
        firm = firms.create_firm(session, FIRM, from_number=FIRM_NUMBER, phone="+12025550100")
        firm_id = firm.id
    with factory() as session:
        user_id = auth.create_user(
            session,
            DEMO_USER,
            DEMO_PASSWORD,
            is_admin=True,
            firm_name=FIRM,
            display_name="Dana Whitfield",
        ).id
    with factory() as session:
        auth.create_user(
            session, "paula", DEMO_PASSWORD, firm_name=FIRM, display_name="Paula Reyes"
        )
    with factory() as session, session.begin():
        credits.add_in(
            session, firm_id, 900, "purchase", reference="DEMO-INVOICE-001", note="Demo bundle"
        )

    now = datetime.now(UTC)
    result: SeedResult | None = None
    stamps: list[tuple[str, object, datetime]] = []
    for index, (first, last, phone, matter_name, case_number, language) in enumerate(CLIENTS):
        with factory() as session:
            user = _user(session, user_id)
            client = clients.create_client(
                session, user, ClientIn(first_name=first, last_name=last, language=language)
            )
            contacts.create_contact(session, user, client.id, ContactIn(phone=phone))
            matter = matters.create_matter(
                session,
                user,
                MatterIn(client_id=client.id, name=matter_name, case_number=case_number),
            )
            conversation, _ = conversations.compose(
                session, user, ConversationIn(phone=phone, client_id=client.id, matter_id=matter.id)
            )
            for direction, minutes_ago, body, pictures in THREADS.get(index, []):
                when = now - timedelta(minutes=minutes_ago)
                if direction == IN:
                    sid = _inbound(session, settings, phone, body, pictures)
                    stamps.append(("sid", sid, when))
                else:
                    out, _ = messages.send(
                        session, settings, user, conversation.id, MessageIn(body=body)
                    )
                    stamps.append(("id", out.id, when))
            if result is None:
                result = SeedResult(showcase_conversation_id=conversation.id)
            result.conversation_ids.append(conversation.id)

    with factory() as session, session.begin():
        # History happened in the past: give each message its scripted time and final status.
        for kind, key, when in stamps:
            column = t.Message.carrier_sid if kind == "sid" else t.Message.id
            values = {"created_at": when, "sent_at": when}
            if kind == "id":
                values |= {
                    "status": "delivered",
                    "carrier_sid": "SMdemo" + uuid.uuid4().hex,
                    "simulated": True,
                }
            session.execute(update(t.Message).where(column == key).values(**values))
    with factory() as session:
        user = _user(session, user_id)
        for index, conversation_id in enumerate(result.conversation_ids):
            if index not in UNREAD:
                conversations.apply_action(session, user, conversation_id, "read")
            if index in MUTED:
                conversations.apply_action(session, user, conversation_id, "mute")
        # A scheduled reply and a failed one, to show those states.
        index, body = SCHEDULED
        messages.send(
            session,
            settings,
            user,
            result.conversation_ids[index],
            MessageIn(body=body, send_at=now + timedelta(days=2, hours=1)),
        )
        index, body, error = FAILED
        failed, _ = messages.send(
            session, settings, user, result.conversation_ids[index], MessageIn(body=body)
        )
    with factory() as session, session.begin():
        code, text = error.split(": ", 1)
        when = now - timedelta(days=7)
        session.execute(
            update(t.Message)
            .where(t.Message.id == failed.id)
            .values(
                status="failed",
                error_code=code,
                error_text=text,
                created_at=when,
                sent_at=when,
                carrier_sid="SMdemo" + uuid.uuid4().hex,
            )
        )
        _settle_activity(session, result.conversation_ids)

    # A court-date reminder flow for Robert's arraignment; the flow engine schedules the texts.
    with factory() as session:
        user = _user(session, user_id)
        try:
            flow = flows.create_flow(
                session,
                user,
                FlowIn(
                    name="Court date reminders",
                    steps=[
                        FlowStepIn(
                            offset_days=-3,
                            templates={
                                "en": "Reminder from [FirmName]: court on [EventDate] at"
                                " [EventTime], [EventLocation].",
                                "es": "Recordatorio de [FirmName]: corte el [EventDate] a las"
                                " [EventTime], [EventLocation].",
                            },
                        ),
                        FlowStepIn(
                            offset_days=-1,
                            templates={
                                "en": "Tomorrow: court at [EventTime], [EventLocation]."
                                " Call us with questions.",
                            },
                        ),
                    ],
                ),
            )
            robert = session.scalar(select(t.Client).where(t.Client.first_name == "Robert"))
            session.commit()
            court = (now + timedelta(days=9)).astimezone(ZoneInfo("America/New_York"))
            reminders.create_event(
                session,
                user,
                EventIn(
                    client_id=robert.id,
                    starts_at=court.replace(hour=9, minute=0, second=0, microsecond=0),
                    location="Courtroom 4B, 500 Indiana Ave NW",
                    flow_id=flow.id,
                ),
            )
        except Exception:  # the reminder engine is optional for the demo to run
            log.exception("could not seed the reminder flow")
    return result


# --- the private server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoServer:
    """The backend in a background thread on a free loopback port, with a fresh demo firm."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        play_carrier: bool = True,
        interval: tuple[float, float] = (20.0, 40.0),
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="inbox-demo-"))
        self.play_carrier = play_carrier
        self.interval = interval
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.username = DEMO_USER
        self.password = DEMO_PASSWORD
        self.showcase_conversation_id: int | None = None
        self.settings = Settings(
            database_url=f"sqlite:///{self.data_dir / 'demo.db'}",
            media_dir=self.data_dir / "media",
            public_url=self.base_url,
            send_mode="simulate",
            twilio_auth_token="demo-" + secrets.token_hex(16),
            twilio_account_sid="AC" + secrets.token_hex(16),
            twilio_from=FIRM_NUMBER,
            simulate_failure_rate=0.0,
            simulate_status_delay=0.8,
        )
        self._server = None
        self._thread: threading.Thread | None = None
        self._carrier: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> DemoServer:
        import uvicorn

        from inbox_app.server import http_guard
        from inbox_app.server.app import create_app
        from inbox_app.server.migrate import upgrade

        self.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(self.settings.effective_database_url)
        app = create_app(self.settings, docs=False)
        seeded = seed(app.state.sessionmaker, self.settings)
        self.showcase_conversation_id = seeded.showcase_conversation_id
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            access_log=False,
            **self.settings.proxy_options(),
            **http_guard.uvicorn_options(),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="inbox-demo-server", daemon=True
        )
        self._thread.start()
        self._wait_until_up()
        if self.play_carrier:
            self._carrier = threading.Thread(
                target=self._play, name="inbox-demo-carrier", daemon=True
            )
            self._carrier.start()
        return self

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError("the demo server did not start")

    def text_in(self, phone: str, body: str) -> int:
        """Play the carrier: post a signed inbound webhook; returns the HTTP status."""
        from twilio.request_validator import RequestValidator

        from inbox_app.server.services.inbound import MESSAGES_PATH
        from inbox_app.server.simulate import build_params

        params = build_params(phone, FIRM_NUMBER, body, [], self.settings.twilio_account_sid)
        signature = RequestValidator(self.settings.webhook_token).compute_signature(
            self.settings.public_url + MESSAGES_PATH, params
        )
        response = httpx.post(
            self.base_url + MESSAGES_PATH,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=10,
        )
        return response.status_code

    def _play(self) -> None:
        rng = random.Random()
        while not self._stop.wait(rng.uniform(*self.interval)):
            _first, _last, phone, *_ = rng.choice(CLIENTS)
            try:
                self.text_in(phone, rng.choice(CARRIER_LINES))
            except httpx.HTTPError:
                log.warning("the demo carrier could not reach the server")

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
