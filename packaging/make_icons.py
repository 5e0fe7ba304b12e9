"""Draw the Inbox app icon once and write it at every size the installers need.

Run `python packaging/make_icons.py` after changing the drawing; the generated files in
packaging/icons/ are committed so a build never needs this script.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent / "icons"
MASTER = 1024
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Below this size the three dots blur into a smudge, so small icons show a plain bubble.
DETAIL_FROM = 48

NAVY = (31, 58, 96, 255)
TEAL = (38, 166, 154, 255)
WHITE = (255, 255, 255, 255)


def draw_master(*, detailed: bool) -> Image.Image:
    """The icon at 1024 px: a navy tile holding a white speech bubble with a teal unread dot."""
    image = Image.new("RGBA", (MASTER, MASTER), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # macOS and Windows both expect some transparent margin around the tile.
    draw.rounded_rectangle((64, 64, 960, 960), radius=200, fill=NAVY)
    draw.rounded_rectangle((200, 250, 824, 690), radius=150, fill=WHITE)
    draw.polygon([(330, 650), (300, 830), (490, 680)], fill=WHITE)
    if detailed:
        for x in (372, 512, 652):
            draw.ellipse((x - 52, 418, x + 52, 522), fill=NAVY)
    draw.ellipse((730, 150, 910, 330), fill=TEAL, outline=NAVY, width=28)
    return image


def render(size: int) -> Image.Image:
    """The master scaled down to `size` px with a good filter."""
    master = draw_master(detailed=size >= DETAIL_FROM)
    return master.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    images = {size: render(size) for size in (*PNG_SIZES, MASTER)}
    for size in PNG_SIZES:
        images[size].save(ICONS / f"inbox-{size}.png", optimize=True)
    # Windows picks the best of the embedded sizes for the taskbar, the desktop and Explorer.
    images[256].save(
        ICONS / "inbox.ico",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != 256],
    )
    images[MASTER].save(
        ICONS / "inbox.icns",
        append_images=[images[s] for s in (32, 64, 128, 256, 512)],
    )
    print(f"wrote {len(PNG_SIZES)} PNGs, inbox.ico and inbox.icns to {ICONS}")


if __name__ == "__main__":
    main()
