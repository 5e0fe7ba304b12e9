"""Test images made in memory with Pillow, and a message to hang media on."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from inbox_app.models import tables as t


def jpeg(width: int = 640, height: int = 480, color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG", quality=90)
    return out.getvalue()


def png(width: int = 400, height: int = 300, color=(20, 120, 200, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(out, "PNG")
    return out.getvalue()


def animated_gif(width: int = 120, height: int = 80, frames: int = 3) -> bytes:
    images = [Image.new("RGB", (width, height), (i * 80, 200 - i * 60, 90)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def noisy_bytes(size: int) -> bytes:
    """Bytes that do not compress, to make a file of a given size."""
    import random

    return random.Random(size).randbytes(size)


def png_bomb(width: int = 8000, height: int = 6250, color_type: int = 0, depth: int = 1) -> bytes:
    """A flat PNG that is a few kilobytes on disk however many pixels it has (a decompression
    bomb): 1-bit grey by default, `color_type=6, depth=8` for RGBA (4 bytes a pixel decoded)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" + bytes((width * channels * depth + 7) // 8)  # filter byte, then the pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body>Not a picture</body></html>"


def make_message(session, firm_id: int, *, direction: str = "inbound", phone: str = "+12015550123"):
    """A conversation and one message in it (flushed, inside the caller's transaction)."""
    from sqlalchemy import select

    conversation = session.scalar(
        select(t.Conversation).where(
            t.Conversation.firm_id == firm_id, t.Conversation.phone == phone
        )
    )
    if conversation is None:
        conversation = t.Conversation(firm_id=firm_id, phone=phone)
        session.add(conversation)
        session.flush()
    message = t.Message(
        firm_id=firm_id,
        conversation_id=conversation.id,
        direction=direction,
        body="see the picture",
        status="received" if direction == "inbound" else "queued",
    )
    session.add(message)
    session.flush()
    return message
