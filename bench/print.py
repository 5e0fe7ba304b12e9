"""Print benchmark (run by hand): `python bench/print.py [--messages N] [--images N]`.

A thread of 20,000 messages with 200 phone photos (1600x1200 JPEG) is bulk-loaded into a
SQLite database; a real `inbox-server` process serves it. A fresh client process signs in
and prints the whole thread to PDF through `print_thread` (fetching every page of messages,
the export, every image, over HTTP), timed from the call to the closed file; its peak
resident size is the process's `ru_maxrss`. The baseline, in another fresh process in the same
run, is a bare QPainter on a QPdfWriter drawing the same number of plain text lines (4 per
message, 60 per page). Targets: under 60 s and under 400 MB peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import words  # noqa: E402

from tests.harness import free_port, serve_in_process  # noqa: E402

PASSWORD = "bench-password-1"
PHONE = "+12015550123"
FIRM_NUMBER = "+12015550100"
LINES_PER_MESSAGE = 4
LINES_PER_PAGE = 60


def photos(count: int) -> list[bytes]:
    from PIL import Image, ImageDraw

    out = []
    for n in range(count):
        image = Image.new("RGB", (1600, 1200), (200 + n * 7 % 50, 190, 170))
        draw = ImageDraw.Draw(image)
        draw.rectangle((160, 120, 1440, 1080), fill="#fdfcf8", outline="#8a8270", width=6)
        for row in range(24):
            y = 200 + row * 36
            draw.rectangle((240, y, 1300 - (row * 37 + n * 11) % 500, y + 14), fill="#6a6a6a")
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


def load(workdir: Path, messages: int, images: int) -> tuple[dict[str, str], int]:
    """The database and media files of one long thread; the server's environment and its id."""
    from inbox_app.models import tables as t
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.migrate import upgrade
    from inbox_app.server.services.auth import create_user

    url = f"sqlite:///{workdir / 'inbox.db'}"
    media_dir = workdir / "media"
    media_dir.mkdir()
    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        user = create_user(session, "bench", PASSWORD, is_admin=True, firm_name="Bench & Co")
        user_id, firm_id = user.id, user.firm_id
    rng = random.Random(15)
    pictures = photos(8)
    every = max(1, messages // images) if images else 0
    start = datetime(2021, 1, 4, 9, 0, tzinfo=UTC)
    with factory() as session, session.begin():
        conversation = t.Conversation(firm_id=firm_id, phone=PHONE)
        session.add(conversation)
        session.flush()
        conversation_id = conversation.id
        rows = []
        for n in range(messages):
            inbound = n % 2 == 0
            when = start + timedelta(minutes=131 * n)
            rows.append(
                {
                    "firm_id": firm_id,
                    "conversation_id": conversation_id,
                    "direction": "inbound" if inbound else "outbound",
                    "body": " ".join(words(rng, 6, 45)),
                    "status": "received" if inbound else "delivered",
                    "segments": 1,
                    "from_number": PHONE if inbound else FIRM_NUMBER,
                    "to_number": FIRM_NUMBER if inbound else PHONE,
                    "sent_by_id": None if inbound else user_id,
                    "created_at": when,
                    "sent_at": None if inbound else when,
                }
            )
        session.execute(t.Message.__table__.insert(), rows)
        ids = [
            m
            for (m,) in session.execute(
                t.Message.__table__.select()
                .with_only_columns(t.Message.id)
                .where(t.Message.conversation_id == conversation_id)
                .order_by(t.Message.id)
            )
        ]
        media = []
        for k in range(images):
            data = pictures[k % len(pictures)]
            name = f"bench-{k}.jpg"
            (media_dir / name).write_bytes(data)
            media.append(
                {
                    "firm_id": firm_id,
                    "message_id": ids[min(len(ids) - 1, k * every + every // 2)],
                    "position": 0,
                    "content_type": "image/jpeg",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "width": 1600,
                    "height": 1200,
                    "path": name,
                    "status": "stored",
                }
            )
        if media:
            session.execute(t.Media.__table__.insert(), media)
    engine.dispose()
    env = {
        "INBOX_DATABASE_URL": url,
        "INBOX_MEDIA_DIR": str(media_dir),
        "INBOX_SEND_MODE": "simulate",
        "INBOX_TWILIO_AUTH_TOKEN": "bench-token",
        "INBOX_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "INBOX_TWILIO_FROM": FIRM_NUMBER,
    }
    return env, conversation_id


def _rss_mb() -> float:
    """Peak resident size of this process (VmHWM: ru_maxrss would count the parent's, as a
    child inherits it across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def client(base_url: str, conversation_id: int, pdf: str) -> None:
    """In its own process: sign in and print the thread to `pdf`; prints figures as JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    from inbox_app.sync.session import SyncClient
    from inbox_app.ui.printing import print_thread

    app = QApplication([])
    loop = qasync.QEventLoop(app)

    async def go() -> dict:
        with tempfile.TemporaryDirectory(prefix="inbox-bench-client-") as cache:
            sync = SyncClient(base_url, cache_dir=Path(cache))
            await sync.sign_in("bench", PASSWORD)
            before = _rss_mb()
            started = time.perf_counter()
            cpu = time.process_time()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile

                profile = cProfile.Profile(time.process_time)
                profile.enable()
            result = await print_thread(sync, conversation_id, "Bench", pdf)
            if os.environ.get("BENCH_PROFILE"):
                profile.disable()
                profile.dump_stats(os.environ["BENCH_PROFILE"])
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            await sync.close()
        return {
            "seconds": seconds,
            "cpu": cpu,
            "peak_rss_mb": _rss_mb(),
            "rss_before_mb": before,
            "pages": result.pages,
            "sha256": result.sha256,
        }

    with loop:
        figures = loop.run_until_complete(go())
    print(json.dumps(figures))


def baseline(lines: int, pdf: str) -> None:
    """In its own process: a bare QPainter PDF of `lines` plain text lines."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QFont, QPainter, QPdfWriter
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # noqa: F841 (fonts need it)
    rng = random.Random(15)
    texts = [" ".join(words(rng, 9, 9)) for _ in range(200)]
    before = _rss_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    writer = QPdfWriter(pdf)
    writer.setResolution(300)
    painter = QPainter(writer)
    font = QFont()
    font.setPixelSize(40)
    painter.setFont(font)
    pages = 1
    for n in range(lines):
        row = n % LINES_PER_PAGE
        if n and row == 0:
            writer.newPage()
            pages += 1
        painter.drawText(100, 200 + row * 50, texts[n % len(texts)])
    painter.end()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_rss_mb": _rss_mb(),
                "rss_before_mb": before,
                "pages": pages,
            }
        )
    )


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of another process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if out.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--keep", help="copy the printed PDF here")
    parser.add_argument("--client", nargs=3, metavar=("URL", "ID", "PDF"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", nargs=2, metavar=("LINES", "PDF"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args.client[0], int(args.client[1]), args.client[2])
        return 0
    if args.baseline:
        baseline(int(args.baseline[0]), args.baseline[1])
        return 0

    with tempfile.TemporaryDirectory(prefix="inbox-bench-print-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        env, conversation_id = load(workdir, args.messages, args.images)
        print(
            f"loaded {args.messages:,} messages, {args.images} images "
            f"in {time.perf_counter() - started:.1f} s"
        )
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with serve_in_process(env | {"INBOX_PUBLIC_URL": base_url}, port) as server:
            pdf = str(workdir / "thread.pdf")
            server_cpu = _cpu_of(server.pid)
            ours = child("--client", base_url, str(conversation_id), pdf)
            server_cpu = _cpu_of(server.pid) - server_cpu
            size = os.path.getsize(pdf)
            import pypdf

            reader = pypdf.PdfReader(pdf)
            last = " ".join(reader.pages[-1].extract_text().split())
            assert len(reader.pages) == ours["pages"], (len(reader.pages), ours["pages"])
            assert ours["sha256"] in last, "the digest is not on the last page"
            if args.keep:
                import shutil

                shutil.copy(pdf, args.keep)
        lines = args.messages * LINES_PER_MESSAGE
        bare = child("--baseline", str(lines), str(workdir / "bare.pdf"))

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"printout: {ours['pages']:,} pages, {size / 1e6:.1f} MB PDF, "
        f"{ours['seconds']:.1f} s (client CPU {ours['cpu']:.1f} s, server CPU "
        f"{server_cpu:.1f} s), peak RSS {ours['peak_rss_mb']:.0f} MB "
        f"({ours['rss_before_mb']:.0f} MB before printing)"
    )
    print(
        f"baseline: {bare['pages']:,} pages of {lines:,} plain lines, {bare['seconds']:.1f} s "
        f"(CPU {bare['cpu']:.1f} s), peak RSS {bare['peak_rss_mb']:.0f} MB "
        f"({bare['rss_before_mb']:.0f} MB before)"
    )
    print(
        f"ratio: time {ours['seconds'] / bare['seconds']:.1f}x, "
        f"client CPU {ours['cpu'] / bare['cpu']:.1f}x, "
        f"peak RSS {ours['peak_rss_mb'] / bare['peak_rss_mb']:.2f}x"
    )
    ok = ours["seconds"] < 60 and ours["peak_rss_mb"] < 400
    print("targets (< 60 s, < 400 MB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
