"""Decoding MMS images takes bounded memory: measured in a separate process (its peak RSS)."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

from PIL import Image

from inbox_app.server.services import media
from tests.server.fixtures_media import png_bomb

# What one MMS of ten images just under the pixel cap may add to a process's peak memory.
BOUND_MB = 150

SCRIPT = r"""
import json, sys
from pathlib import Path
from tests.fakes.media_host import MediaHost
from tests.harness import make_settings
from tests.server.limits_helpers import peak_rss_mb, reset_peak_rss, rss_mb
from inbox_app.server.services import media
import os

files = sorted(Path(sys.argv[1]).iterdir())
with MediaHost() as host:
    settings = make_settings("sqlite://", Path(sys.argv[1]), 1, twilio_api_base=host.base_url)
    items = [(host.serve("/" + f.name, f.read_bytes(), "image/png"), "image/png") for f in files]
    media.fetch_inbound(settings, items[:1])  # imports and first-use allocations
    pid = os.getpid()
    reset_peak_rss(pid)
    before = rss_mb(pid)
    fetched = media.fetch_inbound(settings, items)
    grew = peak_rss_mb(pid) - before
print(json.dumps({"grew": grew, "results": [f.reject_reason or "stored" for f in fetched]}))
"""


def _just_under_the_cap() -> tuple[int, int]:
    """A 4:3 size just under `media.MAX_PIXELS`."""
    width = int(math.sqrt(media.MAX_PIXELS * 4 / 3))
    return width, media.MAX_PIXELS // width


def test_the_pixel_cap_is_what_phones_send():
    assert 12_000_000 <= media.MAX_PIXELS <= 20_000_000


def test_one_mms_of_ten_images_under_the_pixel_cap_adds_under_150_mb(tmp_path):
    width, height = _just_under_the_cap()
    images = tmp_path / "images"
    images.mkdir()
    kinds = [
        png_bomb(width, height, color_type=6, depth=8),  # RGBA: 4 bytes a pixel
        png_bomb(width, height, color_type=2, depth=8),  # RGB
        png_bomb(width, height),  # 1 bit a pixel, converted for the thumbnail
        png_bomb(width, height, color_type=0, depth=8),
    ]
    for n in range(9):
        (images / f"{n}.png").write_bytes(kinds[n % len(kinds)])
    photo = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(photo, "JPEG", quality=50)
    (images / "9.jpg").write_bytes(photo.getvalue())
    assert all(f.stat().st_size < media.MAX_BYTES for f in images.iterdir())

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(images)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])

    print(f"one MMS of ten {width}x{height} images: peak +{report['grew']:.0f} MB")
    assert report["results"] == ["stored"] * 10
    assert report["grew"] < BOUND_MB, f"one MMS grew the peak memory by {report['grew']:.0f} MB"
