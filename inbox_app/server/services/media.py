"""MMS images: fetched only from the carrier, checked with Pillow, stored by content hash.

Inbound media never fails a message: a bad item becomes a `rejected` row with a reason.
Outbound media is the sender's choice, so a bad image refuses the whole send.

Inbound downloads run off the webhook's path: the text is stored with its media `pending` and
answered at once, and a small pool of this process's threads (`FETCH_WORKERS`) fetches them
within one deadline per message, enforced before every item and on every read (a host that
drips a byte a second is cut off), then marks each `stored` or `rejected` and announces the
message as updated. Pending media left by a process that died are fetched at the next start.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import hmac
import io
import logging
import re
import secrets
import ssl
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import httpx
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from inbox_app.models import tables as t
from inbox_app.server.config import SendMode, Settings
from inbox_app.server.errors import Forbidden, Invalid, NotFound
from inbox_app.server.media_store import MISSING, MediaStore, StoredFile, store_for

log = logging.getLogger("inbox.server.media")

MAX_BYTES = 5 * 1024 * 1024
# Phones send 12-16 megapixels at most (a 48 MP sensor saves 12 MP by default); a larger image
# is refused before its pixels are decoded.
MAX_PIXELS = 20_000_000
# Decoded pixels held at once by this process, over every thread (see `_DecodeBudget`).
DECODE_BUDGET_BYTES = 96 * 1024 * 1024
MAX_INBOUND = 10
MAX_OUTBOUND = 5
THUMBNAIL_SIZE = 320
# How long the carrier's link to an outbound image works (Twilio fetches at send time).
PUBLIC_LINK_HOURS = 48
# Twilio waits about 15 s for a webhook answer; all downloads of one message share this budget.
DOWNLOAD_BUDGET_SECONDS = 10.0
# The longest one read (or connecting) may take; never more than what is left of the budget.
READ_TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.0
# Messages whose media are fetched at once per process (each fetches up to 4 items at once).
FETCH_WORKERS = 4
# Pending media older than this at start-up were left by a process that stopped.
RESUME_AFTER = 60.0
MAX_REDIRECTS = 3
SIMULATOR_PATH = "/webhooks/simulator/media"
SIMULATOR_UPLOAD_LIMIT = 8 * 1024 * 1024
SIMULATOR_SIGNATURE_HEADER = "X-Inbox-Signature"

_KINDS = {
    # Pillow format -> (content type, file extension)
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
}
_SIMULATOR_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/html": "html",
}
_SIMULATOR_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|gif|pdf|txt|html|bin)$")
_PENDING_DELETES = "inbox.media.pending_deletes"


@dataclass(frozen=True)
class CheckedImage:
    """An image that passed every check, with its thumbnail, ready to be written."""

    data: bytes
    content_type: str
    ext: str
    sha256: str
    width: int
    height: int
    thumbnail: bytes
    thumbnail_ext: str


@dataclass(frozen=True)
class Fetched:
    """One inbound media item after download and checks: an image or the reason it was refused."""

    url: str
    declared_type: str
    image: CheckedImage | None = None
    reject_reason: str | None = None


class _Refused(Exception):
    """A media item failed a check; the message is the reason a person reads."""


class _DecodeBudget:
    """Bounds the decoded pixels in memory across threads: a decode waits until its estimate
    fits in what is left (one larger than the whole budget runs alone)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.free = total
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def taking(self, cost: int):
        cost = max(1, min(cost, self.total))
        with self._cond:
            self._cond.wait_for(lambda: self.free >= cost)
            self.free -= cost
        try:
            yield
        finally:
            with self._cond:
                self.free += cost
                self._cond.notify_all()


_decode_budget = _DecodeBudget(DECODE_BUDGET_BYTES)


def _give_freed_pixels_back() -> None:
    """Pillow holds pixels in 16 MB blocks. glibc raises its mmap threshold past that size after
    the first such block is freed, so later images land in per-thread heaps that keep their
    memory; a fixed threshold keeps every block mmapped and returned to the system when freed
    (measured: one MMS of ten 20 MP images 278 MB -> under 100 MB)."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 4 * 1024 * 1024)
    except (OSError, AttributeError):
        pass  # not glibc (musl): nothing to tune


_M_MMAP_THRESHOLD = -3
_give_freed_pixels_back()


def _decode_cost(kind_ext: str, mode: str, width: int, height: int) -> int:
    """Bytes the thumbnail's decode holds at its peak (Pillow keeps RGB as 4 bytes a pixel)."""
    if kind_ext == "jpg":
        # Decoded at 1/8 scale at the least (`Image.draft`), plus the small copies after it.
        return width * height * 4 // 16 + 4 * 1024 * 1024
    per_pixel = 1 if mode in ("1", "L", "P") else 4
    return width * height * per_pixel + 8 * 1024 * 1024


# --- checks ---------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _looks_like(data: bytes) -> str:
    """A guess at what a refused file is, so the reason names it."""
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "a PDF document"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "a web page"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "a HEIC photo"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        return "a video"
    if not data:
        return "an empty file"
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return "some other kind of file"
    return "text"


def _check_image(data: bytes) -> CheckedImage:
    """Accept a JPEG, PNG or GIF of at most 5 MB and 20 megapixels; raise _Refused otherwise."""
    if len(data) > MAX_BYTES:
        raise _Refused(f"larger than the 5 MB limit ({_megabytes(len(data))})")
    try:
        # Opening reads only the header; pixels are decoded later, after the size checks.
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "GIF"]) as probe:
            kind = _KINDS.get(probe.format or "")
            width, height = probe.size
            mode = probe.mode
            if kind is None:
                raise _Refused("not a JPEG, PNG or GIF image")
            if width * height > MAX_PIXELS:
                raise _Refused(
                    f"too many pixels: {width}×{height} is over the "
                    f"{MAX_PIXELS // 1_000_000}-megapixel limit"
                )
            probe.verify()
        with (
            _decode_budget.taking(_decode_cost(kind[1], mode, width, height)),
            Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "GIF"]) as image,
        ):
            thumbnail, thumbnail_ext = _thumbnail(image, kind[1])
    except _Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _Refused(
            f"too many pixels: over the {MAX_PIXELS // 1_000_000}-megapixel limit"
        ) from None
    except UnidentifiedImageError:
        raise _Refused(f"not a JPEG, PNG or GIF image (looks like {_looks_like(data)})") from None
    except Exception as exc:
        # Pillow reports broken files with many exception types (OSError, SyntaxError, ...).
        log.info("damaged image refused: %r", exc)
        raise _Refused("a damaged or truncated image that cannot be read") from None
    content_type, ext = kind
    return CheckedImage(
        data=data,
        content_type=content_type,
        ext=ext,
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        thumbnail=thumbnail,
        thumbnail_ext=thumbnail_ext,
    )


def _thumbnail(image: Image.Image, ext: str) -> tuple[bytes, str]:
    """At most 320 px on the long side; JPEG for photos, PNG otherwise (GIF: first frame)."""
    out = io.BytesIO()
    if ext == "jpg":
        # Decode at a reduced scale (1/8 at most): a large photo never lands in memory in full.
        image.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        # Phones store portrait photos sideways with an EXIF turn; show them upright.
        frame = ImageOps.exif_transpose(image).convert("RGB")
        frame.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        frame.save(out, "JPEG", quality=85)
        return out.getvalue(), "jpg"
    image.seek(0)  # a GIF's thumbnail is its first frame
    frame = image
    if frame.mode not in ("L", "RGB"):
        # Smooth scaling would first copy the whole image: converted (palette, 1-bit, 16-bit)
        # or with its alpha premultiplied (RGBA). A cheap nearest-pixel shrink to four times
        # the thumbnail's size comes first, so no full-size copy is ever made.
        box = (THUMBNAIL_SIZE * 4, THUMBNAIL_SIZE * 4)
        if frame.width > box[0] or frame.height > box[1]:
            scale = min(box[0] / frame.width, box[1] / frame.height)
            size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
            frame = frame.resize(size, Image.Resampling.NEAREST)
        if frame.mode != "RGBA":
            frame = frame.convert("RGBA")
    # Shrinks in place (by whole factors first), so the full-size decode is the only big copy.
    frame.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    frame.save(out, "PNG", optimize=True)
    return out.getvalue(), "png"


# --- where media may come from ---------------------------------------------------------------


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _is_twilio_host(host: str) -> bool:
    return host == "api.twilio.com" or host.endswith((".twilio.com", ".twiliocdn.com"))


def _host_refusal(settings: Settings, url: httpx.URL, *, redirected: bool = False) -> str | None:
    """None when media may be fetched from `url`, else the reason it is not."""
    if url.userinfo:
        return "not fetched: the link carries a user name"
    if settings.twilio_api_base and _origin(url) == _origin(httpx.URL(settings.twilio_api_base)):
        return None
    host = url.host.lower()
    # Twilio answers its media URL with a redirect to its S3 bucket (unauthenticated media).
    is_twilio_bucket = (
        redirected
        and host == "s3-external-1.amazonaws.com"
        and url.path.startswith("/media.twiliocdn.com/")
    )
    if not (_is_twilio_host(host) or is_twilio_bucket):
        return f"not fetched: {host or 'the link'} is not one of Twilio's media hosts"
    if url.scheme != "https" or url.port not in (None, 443):
        return "not fetched: media links must use https"
    return None


def _simulator_file(settings: Settings, url: str) -> str | None:
    """The store key of the upload a simulator media URL names, when this server is simulating."""
    if settings.send_mode is not SendMode.SIMULATE:
        return None
    prefix = settings.public_url + SIMULATOR_PATH + "/"
    if not url.startswith(prefix):
        return None
    name = url.removeprefix(prefix)
    if not _SIMULATOR_NAME.match(name):
        return None
    return simulator_key(name)


# --- downloading ------------------------------------------------------------------------------


def _timeout(deadline: float) -> httpx.Timeout:
    """Per-read and connect timeouts that never outlast the download's deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Refused("download took too long")
    return httpx.Timeout(
        min(READ_TIMEOUT_SECONDS, left), connect=min(CONNECT_TIMEOUT_SECONDS, left)
    )


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every download: loading the CA bundle costs ~50 ms of CPU, which each
    inbound MMS paid again with a client of its own."""
    return httpx.create_ssl_context()


def _download(client: httpx.Client, settings: Settings, url: str, deadline: float) -> bytes:
    """GET with a hard 5 MB cap and a deadline checked on every read, following redirects only
    to allowed hosts."""
    try:
        current = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise _Refused("not fetched: the link is not a valid URL") from None
    refusal = _host_refusal(settings, current)
    if refusal:
        raise _Refused(refusal)
    first = _origin(current)
    auth = None
    if settings.twilio_account_sid and settings.twilio_auth_token:
        auth = httpx.BasicAuth(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()
        )
    for _hop in range(MAX_REDIRECTS + 1):
        # Credentials go only to the origin Twilio gave us, never to where it redirects.
        hop_auth = auth if _origin(current) == first else None
        with client.stream("GET", current, auth=hop_auth, timeout=_timeout(deadline)) as response:
            if response.is_redirect:
                location = response.headers.get("location", "")
                current = current.join(location)
                refusal = _host_refusal(settings, current, redirected=True)
                if refusal:
                    raise _Refused(refusal.replace("not fetched", "redirected elsewhere"))
                continue
            if response.status_code != 200:
                raise _Refused(f"download failed with HTTP status {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise _Refused(f"larger than the 5 MB limit ({_megabytes(int(declared))})")
            chunks, size = [], 0
            # Whatever each read brings (no fixed chunk size, which would wait for 64 KiB to
            # gather), so a slow drip meets the deadline check after every read.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise _Refused("larger than the 5 MB limit")
                if time.monotonic() > deadline:
                    raise _Refused("download took too long")
                chunks.append(chunk)
            return b"".join(chunks)
    raise _Refused("download failed: too many redirects")


def _fetch_one(client: httpx.Client, settings: Settings, url: str, deadline: float) -> bytes:
    simulated = _simulator_file(settings, url)
    if simulated is not None:
        # Our own simulator's upload (at most 8 MB): read it from the media store rather than
        # calling ourselves over HTTP.
        try:
            data = store_for(settings).read(simulated)
        except FileNotFoundError:
            raise _Refused("download failed with HTTP status 404") from None
        if len(data) > MAX_BYTES:
            raise _Refused(f"larger than the 5 MB limit ({_megabytes(len(data))})")
        return data
    try:
        return _download(client, settings, url, deadline)
    except httpx.TimeoutException:
        if time.monotonic() >= deadline:
            raise _Refused("download took too long") from None  # the read ran into the deadline
        raise _Refused("download failed: the media host did not answer in time") from None
    except httpx.HTTPError as exc:
        raise _Refused(f"download failed: {type(exc).__name__}") from None


def _fetch_and_check(
    client: httpx.Client, settings: Settings, url: str, declared: str, deadline: float
) -> Fetched:
    try:
        if time.monotonic() > deadline:
            raise _Refused("download took too long")
        data = _fetch_one(client, settings, url, deadline)
        return Fetched(url, declared, image=_check_image(data))
    except _Refused as refused:
        return Fetched(url, declared, reject_reason=str(refused))
    except Exception:
        # Never lose the message over one bad picture.
        log.exception("media item %s could not be processed", url)
        return Fetched(url, declared, reject_reason="could not be processed")


def fetch_inbound(settings: Settings, items: Sequence[tuple[str, str]]) -> list[Fetched]:
    """Download and check an inbound message's media; touches no database, never raises.

    Call it before opening the webhook's transaction so no lock is held while downloading.
    """
    deadline = time.monotonic() + DOWNLOAD_BUDGET_SECONDS
    accepted = list(items[:MAX_INBOUND])
    extra = [
        Fetched(url, declared, reject_reason=f"over the limit of {MAX_INBOUND} images per message")
        for url, declared in items[MAX_INBOUND:]
    ]
    if not accepted:
        return extra
    with (
        httpx.Client(verify=_tls(), timeout=_timeout(deadline), follow_redirects=False) as client,
        ThreadPoolExecutor(max_workers=min(4, len(accepted))) as pool,
    ):
        fetched = list(
            pool.map(
                lambda item: _fetch_and_check(client, settings, item[0], item[1], deadline),
                accepted,
            )
        )
    return fetched + extra


# --- storing ----------------------------------------------------------------------------------


def _store_file(settings: Settings, firm_id: int, image: CheckedImage) -> tuple[str, str]:
    """Write the image and its thumbnail; returns both keys (paths relative to the media dir)."""
    path = f"{firm_id}/{image.sha256}.{image.ext}"
    thumbnail_path = f"{firm_id}/{image.sha256}.thumb.{image.thumbnail_ext}"
    store = store_for(settings)
    store.write(path, image.data)
    store.write(thumbnail_path, image.thumbnail)
    return path, thumbnail_path


def _stored_row(
    settings: Settings, message: t.Message, position: int, image: CheckedImage, source: str | None
) -> t.Media:
    path, thumbnail_path = _store_file(settings, message.firm_id, image)
    return t.Media(
        firm_id=message.firm_id,
        position=position,
        content_type=image.content_type,
        size=len(image.data),
        sha256=image.sha256,
        width=image.width,
        height=image.height,
        path=path,
        thumbnail_path=thumbnail_path,
        status="stored",
        source_url=source,
    )


def store_inbound_in(
    session: Session,
    settings: Settings,
    message: t.Message,
    items: Sequence[tuple[str, str]],
    *,
    fetched: Sequence[Fetched] | None = None,
) -> list[t.Media]:
    """Store an inbound message's media (url, declared type); bad items become rejected rows.

    Pass `fetched` from `fetch_inbound` to keep downloads out of the transaction.
    """
    results = list(fetched) if fetched is not None else fetch_inbound(settings, items)
    rows = []
    for position, item in enumerate(results):
        if item.image is not None:
            try:
                row = _stored_row(settings, message, position, item.image, item.url)
            except Exception:  # a full disk, an object store that does not answer
                log.exception("could not write media of message %s", message.id)
                row = None
            if row is not None:
                rows.append(row)
                continue
            reason = "could not be saved on the server"
        else:
            reason = item.reject_reason or "could not be processed"
        rows.append(
            t.Media(
                firm_id=message.firm_id,
                position=position,
                content_type=item.declared_type[:100],
                status="rejected",
                reject_reason=reason,
                source_url=item.url,
            )
        )
    message.media.extend(rows)
    session.flush()
    return rows


def is_local(settings: Settings, items: Sequence[tuple[str, str]]) -> bool:
    """Every item is an upload of this server's own simulator (read from disk, no download)."""
    return all(_simulator_file(settings, url) is not None for url, _declared in items)


def add_pending_in(session: Session, message: t.Message, items: Sequence[tuple[str, str]]) -> None:
    """Rows for an inbound message's media, `pending` until `fetch_pending` has them."""
    message.media.extend(
        t.Media(
            firm_id=message.firm_id,
            position=position,
            content_type=declared[:100],
            status="pending",
            source_url=url,
        )
        for position, (url, declared) in enumerate(items[:MAX_INBOUND])
    )
    message.media.extend(
        t.Media(
            firm_id=message.firm_id,
            position=position,
            content_type=declared[:100],
            status="rejected",
            reject_reason=f"over the limit of {MAX_INBOUND} images per message",
            source_url=url,
        )
        for position, (url, declared) in enumerate(items[MAX_INBOUND:], start=MAX_INBOUND)
    )
    session.flush()


def fetch_pending(sessions, settings: Settings, message_id: int) -> int:
    """Download and check a message's pending media, then store each as `stored` or
    `rejected` and announce the message; returns how many were settled."""
    from inbox_app.server.services import views

    with sessions() as session:
        pending = session.execute(
            select(t.Media.id, t.Media.source_url, t.Media.content_type)
            .where(t.Media.message_id == message_id, t.Media.status == "pending")
            .order_by(t.Media.position)
        ).all()
    if not pending:
        return 0
    fetched = fetch_inbound(settings, [(row.source_url or "", row.content_type) for row in pending])
    settled = 0
    with sessions() as session, session.begin():
        message = session.get(t.Message, message_id)
        if message is None:
            return 0  # deleted meanwhile (a block)
        rows = {row.id: row for row in message.media if row.status == "pending"}
        for (media_id, url, _declared), item in zip(pending, fetched, strict=True):
            row = rows.get(media_id)
            if row is None:
                continue
            _settle_row(settings, message, row, item, url)
            settled += 1
        views.publish_message(session, message)
    return settled


def _settle_row(settings: Settings, message: t.Message, row: t.Media, item: Fetched, url) -> None:
    if item.image is not None:
        try:
            stored = _stored_row(settings, message, row.position, item.image, url)
        except OSError:
            log.exception("could not write media of message %s", message.id)
            row.status, row.reject_reason = "rejected", "could not be saved on the server"
            return
        for name in ("content_type", "size", "sha256", "width", "height", "path", "thumbnail_path"):
            setattr(row, name, getattr(stored, name))
        row.status = "stored"
        return
    row.status = "rejected"
    row.reject_reason = item.reject_reason or "could not be processed"


class MediaFetcher:
    """This process's pool for inbound media (see the module docstring)."""

    def __init__(self, sessions, settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._pool = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="media-fetch")

    def submit(self, message_id: int) -> None:
        # Refused while stopping: the next start fetches what is still pending.
        with contextlib.suppress(RuntimeError):
            self._pool.submit(self._run, message_id)

    def _run(self, message_id: int) -> None:
        try:
            fetch_pending(self.sessions, self.settings, message_id)
        except Exception:
            log.exception("fetching the media of message %s failed", message_id)

    def resume(self) -> int:
        """Queue messages whose media a stopped process left pending."""
        before = t.utcnow() - timedelta(seconds=RESUME_AFTER)
        with self.sessions() as session:
            ids = session.scalars(
                select(t.Media.message_id)
                .join(t.Message, t.Message.id == t.Media.message_id)
                .where(t.Media.status == "pending", t.Message.created_at < before)
                .distinct()
            ).all()
        for message_id in ids:
            self.submit(message_id)
        return len(ids)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_fetchers: dict[int, MediaFetcher] = {}
_fetchers_lock = threading.Lock()


def fetcher_for(sessions, settings: Settings) -> MediaFetcher:
    """The process's fetcher for this database (one per engine)."""
    engine = sessions.kw.get("bind")
    with _fetchers_lock:
        fetcher = _fetchers.get(id(engine))
        if fetcher is None:
            fetcher = _fetchers[id(engine)] = MediaFetcher(sessions, settings)
        return fetcher


def close_fetcher(sessions) -> None:
    with _fetchers_lock:
        fetcher = _fetchers.pop(id(sessions.kw.get("bind")), None)
    if fetcher is not None:
        fetcher.close()


def store_outbound_in(
    session: Session,
    settings: Settings,
    message: t.Message,
    uploads: Sequence[tuple[str, str, bytes]],
) -> list[t.Media]:
    """Store up to 5 images (filename, declared type, bytes) a user attaches; Invalid if any is bad.

    Every image is checked before anything is written.
    """
    if len(uploads) > MAX_OUTBOUND:
        raise Invalid(
            f"A text can carry at most {MAX_OUTBOUND} images; this one has {len(uploads)}."
        )
    total = sum(len(data) for _name, _type, data in uploads)
    if total > MAX_BYTES:
        raise Invalid(
            f"The images add up to {_megabytes(total)}; a text can carry at most 5 MB in all."
        )
    checked = []
    for filename, _declared, data in uploads:
        try:
            checked.append(_check_image(data))
        except _Refused as refused:
            name = filename or "an attachment"
            raise Invalid(f"Cannot send {name}: {refused}.", filename=filename) from None
    rows = [
        _stored_row(settings, message, position, image, None)
        for position, image in enumerate(checked)
    ]
    message.media.extend(rows)
    session.flush()
    return rows


# --- reading ----------------------------------------------------------------------------------


def _media_for(session: Session, firm_id: int, media_id: int) -> t.Media:
    media = session.get(t.Media, media_id)
    if media is None or media.firm_id != firm_id:
        raise NotFound("No such image.")
    return media


def _file_of(settings: Settings, media: t.Media, *, thumbnail: bool) -> tuple[StoredFile, str]:
    """The stored file (answered by the route; a missing one is a 404 then) and its type."""
    if media.status != "stored" or not media.path:
        raise NotFound(f"This image was refused: {media.reject_reason or 'no reason kept'}.")
    relative = media.thumbnail_path if thumbnail else media.path
    if not relative:
        raise NotFound(MISSING)
    stored = StoredFile(store_for(settings), relative)
    if thumbnail:
        return stored, "image/jpeg" if relative.endswith(".jpg") else "image/png"
    return stored, media.content_type


def stored_bytes(settings: Settings, media: t.Media) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a stored image, as an upload would give them
    (NotFound when it has none)."""
    stored, content_type = _file_of(settings, media, thumbnail=False)
    return stored.key.rsplit("/", 1)[-1], content_type, stored.store.read(stored.key)


def file_for(
    session: Session, settings: Settings, user: t.User, media_id: int, *, thumbnail: bool = False
) -> tuple[StoredFile, str]:
    """The file and content type of one of the user's firm's images (or its thumbnail)."""
    with session.begin():
        media = _media_for(session, user.firm_id, media_id)
        return _file_of(settings, media, thumbnail=thumbnail)


def public_url_in(session: Session, settings: Settings, media: t.Media) -> str:
    """A link the carrier can fetch an outbound image from, without a bearer token.

    Its token is random and the image's own (a link never reaches a later image, whatever its
    id); it is valid PUBLIC_LINK_HOURS and made anew when less than half of that is left (the
    carrier fetches at send time, a retry gets a fresh link).
    """
    now = t.utcnow()
    lifetime = timedelta(hours=PUBLIC_LINK_HOURS)
    if (
        not media.public_token
        or media.public_until is None
        or media.public_until < now + lifetime / 2
    ):
        # Conditional, so two callers at once (the dispatcher and a retry, two processes) agree
        # on one token: the later one finds the row already renewed and reads that token.
        session.execute(
            update(t.Media)
            .where(
                t.Media.id == media.id,
                or_(
                    t.Media.public_token.is_(None),
                    t.Media.public_until.is_(None),
                    t.Media.public_until < now + lifetime / 2,
                ),
            )
            .values(public_token=secrets.token_urlsafe(24), public_until=now + lifetime)
            .execution_options(synchronize_session=False)
        )
        session.refresh(media, ["public_token", "public_until"])
    return f"{settings.public_url}/media/public/{media.id}/{media.public_token}"


def public_file_for(
    session: Session, settings: Settings, media_id: int, token: str
) -> tuple[StoredFile, str]:
    """The file behind a `public_url_in` link; NotFound for a wrong or expired token or a
    received image."""
    with session.begin():
        media = session.get(t.Media, media_id)
        if (
            media is None
            or not media.public_token
            or len(token) > 64
            or not hmac.compare_digest(token.encode(), media.public_token.encode())
            or media.public_until is None
            or media.public_until <= t.utcnow()
            # Only what the firm sends is published; received images stay behind sign-in.
            or media.message.direction != "outbound"
        ):
            raise NotFound("No such image.")
        return _file_of(settings, media, thumbnail=False)


# --- deleting ---------------------------------------------------------------------------------


def delete_files_for_in(session: Session, settings: Settings, conversation_id: int) -> int:
    """Delete the conversation's media files once the caller's transaction commits.

    Call it before deleting the conversation's rows. A file another conversation of the
    firm also uses (same content) stays. Returns how many files will go.
    """
    own = session.execute(
        select(t.Media.path, t.Media.thumbnail_path)
        .join(t.Message, t.Message.id == t.Media.message_id)
        .where(t.Message.conversation_id == conversation_id, t.Media.path.is_not(None))
    ).all()
    files = {row.path: row.thumbnail_path for row in own}
    if not files:
        return 0
    shared = session.scalars(
        select(t.Media.path)
        .join(t.Message, t.Message.id == t.Media.message_id)
        .where(t.Message.conversation_id != conversation_id, t.Media.path.in_(list(files)))
    ).all()
    for path in shared:
        files.pop(path, None)
    store = store_for(settings)
    doomed = {(store, p) for p in files} | {(store, p) for p in files.values() if p}
    _delete_after_commit(session, doomed)
    return len(doomed)


def _delete_after_commit(session: Session, paths: set[tuple[MediaStore, str]]) -> None:
    # Files go only when the rows are really gone; a rollback keeps both.
    pending = session.info.get(_PENDING_DELETES)
    if pending is None:
        pending = session.info[_PENDING_DELETES] = set()
        event.listen(session, "after_commit", _run_pending_deletes)
        event.listen(session, "after_rollback", _drop_pending_deletes)
    pending.update(paths)


def _run_pending_deletes(session: Session) -> None:
    pending = session.info.get(_PENDING_DELETES) or set()
    while pending:
        store, key = pending.pop()
        try:
            store.delete(key)
        except Exception:
            log.exception("could not delete media file %s", key)


def _drop_pending_deletes(session: Session) -> None:
    (session.info.get(_PENDING_DELETES) or set()).clear()


# --- the simulator's media ---------------------------------------------------------------------


def simulator_key(name: str) -> str:
    """Where a simulator upload is kept in the media store."""
    return f"simulator/{name}"


def simulator_signature(settings: Settings, data: bytes) -> str:
    """What `X-Inbox-Signature` must carry for an upload: HMAC-SHA256 of the bytes, hex."""
    return hmac.new(settings.webhook_token.encode(), data, hashlib.sha256).hexdigest()


def save_simulator_upload(
    settings: Settings, data: bytes, content_type: str, signature: str
) -> str:
    """Keep a file the simulator will send as MMS; returns the URL a webhook's MediaUrl carries.

    Only in simulate mode, and only when signed with the webhook key: real media comes from
    Twilio, and the signature keeps strangers from filling the disk.
    """
    if settings.send_mode is not SendMode.SIMULATE:
        raise NotFound("The carrier simulator is off: INBOX_SEND_MODE is live.")
    if not hmac.compare_digest(signature.encode(), simulator_signature(settings, data).encode()):
        raise Forbidden(f"{SIMULATOR_SIGNATURE_HEADER} does not match the upload's bytes.")
    if not data:
        raise Invalid("The upload is empty.")
    ext = _SIMULATOR_EXTENSIONS.get(content_type.split(";")[0].strip().lower(), "bin")
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    store_for(settings).write(simulator_key(name), data)
    return f"{settings.public_url}{SIMULATOR_PATH}/{name}"


def simulator_file(settings: Settings, name: str) -> tuple[StoredFile, str]:
    """A stored simulator upload and its content type."""
    if settings.send_mode is not SendMode.SIMULATE or not _SIMULATOR_NAME.match(name):
        raise NotFound("No such simulator media.")
    store = store_for(settings)
    if not store.exists(simulator_key(name)):
        raise NotFound("No such simulator media.")
    ext = name.rsplit(".", 1)[1]
    types = {v: k for k, v in _SIMULATOR_EXTENSIONS.items()}
    return StoredFile(store, simulator_key(name)), types.get(ext, "application/octet-stream")


def upload_to_simulator(settings: Settings, base_url: str, data: bytes, content_type: str) -> str:
    """Client side of the simulator (used by `simulate-inbound`): upload, get the MediaUrl."""
    response = httpx.post(
        f"{base_url.rstrip('/')}{SIMULATOR_PATH}",
        content=data,
        headers={
            "Content-Type": content_type,
            SIMULATOR_SIGNATURE_HEADER: simulator_signature(settings, data),
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["url"]
