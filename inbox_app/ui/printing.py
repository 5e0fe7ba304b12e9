"""Print a whole conversation for the case file, to a printer or a PDF, verifiable by SHA-256.

The thread is laid out once as HTML in a QTextDocument at a fixed 96 dpi and painted page by
page with a scale for the device, so the PDF, the printer and the preview image paginate alike.
Every page carries the firm and contact in a header and "Page n of m" in the footer; the last
page carries the SHA-256 of the server's canonical export of the same messages.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QByteArray, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
    QTextFormat,
    QTextTable,
)
from PySide6.QtWidgets import QDialog, QWidget

from inbox_app.domain.phone import format_display
from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S

log = logging.getLogger(__name__)

LAYOUT_DPI = 96
PDF_DPI = 300
MAX_IMAGE_W = 300  # layout pixels (96 per inch)
MAX_IMAGE_H = 220
WHEN_W = 150
MESSAGE_TABLE = "border-collapse:collapse; margin:0;"
HEADER_H = 30
FOOTER_H = 30
BAND_GAP = 12
EXPORT_ATTEMPTS = 3
MEDIA_FETCHES = 4

ACCENT = "#2f5bc0"
INBOUND = "#1f8a5b"
TEXT = "#1b2130"
MUTED = "#687084"
RULE = "#d9dde5"
FONT = "'Segoe UI', 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif"
MONO = "Consolas, Menlo, 'DejaVu Sans Mono', monospace"


@dataclass
class PrintData:
    """Everything a printout shows, fetched before layout so the layout never waits."""

    conversation_id: int
    firm: str
    contact: str
    phone: str
    matter: str | None
    messages: list
    sha256: str
    printed_by: str
    printed_at: datetime
    images: dict[int, QImage] = field(default_factory=dict)


@dataclass(frozen=True)
class PrintResult:
    """What was printed: page count, the export digest on the last page, the laid-out pages."""

    pages: int
    sha256: str
    pdf_path: str | None = None
    printout: ThreadPrintout | None = field(default=None, repr=False, compare=False)


def default_page_layout() -> QPageLayout:
    """US Letter, portrait, three-quarter-inch side margins."""
    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.Letter),
        QPageLayout.Orientation.Portrait,
        QMarginsF(54, 44, 54, 40),
        QPageLayout.Unit.Point,
    )


def _layout_device() -> QImage:
    # Fonts are sized against this device, so pagination does not depend on the screen.
    device = QImage(8, 8, QImage.Format.Format_RGB32)
    dots_per_meter = round(LAYOUT_DPI / 0.0254)
    device.setDotsPerMeterX(dots_per_meter)
    device.setDotsPerMeterY(dots_per_meter)
    return device


class ThreadPrintout:
    """The laid-out pages of one conversation for one page layout."""

    def __init__(self, data: PrintData, page_layout: QPageLayout | None = None) -> None:
        self.data = data
        self.page_layout = page_layout or default_page_layout()
        paint = self.page_layout.paintRect(QPageLayout.Unit.Point)
        self.width = paint.width() * LAYOUT_DPI / 72
        self.height = paint.height() * LAYOUT_DPI / 72
        self.body_top = HEADER_H + BAND_GAP
        self.body_height = self.height - self.body_top - FOOTER_H - BAND_GAP
        self._device = _layout_device()
        self.document = QTextDocument()
        self.document.documentLayout().setPaintDevice(self._device)
        self.document.setDocumentMargin(0)
        font = QFont()
        font.setFamilies(["Segoe UI", "Helvetica Neue", "Arial", "DejaVu Sans"])
        font.setPointSizeF(9.5)
        self.document.setDefaultFont(font)
        for media_id, image in data.images.items():
            self.document.addResource(
                QTextDocument.ResourceType.ImageResource, QUrl(f"media:{media_id}"), image
            )
        self.document.setHtml(thread_html(data, self.width))
        self.document.setPageSize(QSizeF(self.width, self.body_height))
        self._keep_whole()

    def _keep_whole(self) -> None:
        """Move a message that would be split to the next page, unless it is taller than a page."""
        layout = self.document.documentLayout()
        page = self.body_height
        tables = [f for f in self.document.rootFrame().childFrames() if isinstance(f, QTextTable)]
        for table in tables:
            rect = layout.frameBoundingRect(table)
            if rect.height() >= page:
                continue
            if int(rect.top() // page) != int((rect.bottom() - 1) // page):
                fmt = table.format()
                fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                table.setFormat(fmt)

    def page_count(self) -> int:
        return self.document.pageCount()

    def paint_page(self, painter: QPainter, index: int, device_dpi: float) -> None:
        """Page `index` (0-based) with the painter's origin at the top-left of the paint rect."""
        painter.save()
        scale = device_dpi / LAYOUT_DPI
        painter.scale(scale, scale)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self._paint_header(painter)
        painter.save()
        painter.translate(0, self.body_top - index * self.body_height)
        self.document.drawContents(
            painter, QRectF(0, index * self.body_height, self.width, self.body_height)
        )
        painter.restore()
        self._paint_footer(painter, index)
        painter.restore()

    def _band_font(self, size: float, bold: bool = False) -> QFont:
        font = QFont(self.document.defaultFont())
        font.setPixelSize(round(size * LAYOUT_DPI / 72))
        font.setBold(bold)
        return font

    def _paint_header(self, painter: QPainter) -> None:
        data = self.data
        rect = QRectF(0, 0, self.width, HEADER_H - 8)
        painter.setPen(QColor(ACCENT))
        painter.setFont(self._band_font(11, bold=True))
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, data.firm)
        painter.setPen(QColor(MUTED))
        painter.setFont(self._band_font(8.5))
        right = f"{data.contact} · {format_display(data.phone)}"
        if data.matter:
            right += f" · {data.matter}"
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, right)
        painter.setPen(QPen(QColor(ACCENT), 1.5))
        painter.drawLine(0, HEADER_H - 2, int(self.width), HEADER_H - 2)

    def _paint_footer(self, painter: QPainter, index: int) -> None:
        data = self.data
        top = self.height - FOOTER_H
        painter.setPen(QPen(QColor(RULE), 1))
        painter.drawLine(0, int(top), int(self.width), int(top))
        rect = QRectF(0, top + 6, self.width, FOOTER_H - 6)
        painter.setFont(self._band_font(8))
        painter.setPen(QColor(MUTED))
        left = f"{S.PRINT_PRINTED}: {S.printed_by(data.printed_by, S.local_time(data.printed_at))}"
        left += f"  ·  SHA-256 {data.sha256[:16]}…"
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, left)
        painter.setPen(QColor(TEXT))
        painter.setFont(self._band_font(8, bold=True))
        painter.drawText(
            rect,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
            S.page_of(index + 1, self.page_count()),
        )

    # --- output -------------------------------------------------------------------------------

    def paint_to(self, device, painter: QPainter, first: int = 1, last: int | None = None) -> int:
        """Paint pages first..last (1-based) on a QPdfWriter or QPrinter; returns pages painted."""
        last = min(last or self.page_count(), self.page_count())
        dpi = device.resolution()
        for number in range(first, last + 1):
            if number > first:
                device.newPage()
            self.paint_page(painter, number - 1, dpi)
        return max(0, last - first + 1)

    def write_pdf(self, path: str) -> int:
        writer = QPdfWriter(path)
        writer.setResolution(PDF_DPI)
        writer.setPageLayout(self.page_layout)
        writer.setTitle(f"{self.data.firm} — {self.data.contact} ({self.data.phone})")
        writer.setCreator("Inbox")
        painter = QPainter(writer)
        try:
            return self.paint_to(writer, painter)
        finally:
            painter.end()

    def render_page(self, index: int = 0, dpi: int = 110) -> QImage:
        """Page `index` as a white sheet image (for previews and screenshots)."""
        full = self.page_layout.fullRect(QPageLayout.Unit.Point)
        paint = self.page_layout.paintRect(QPageLayout.Unit.Point)
        image = QImage(
            round(full.width() * dpi / 72),
            round(full.height() * dpi / 72),
            QImage.Format.Format_ARGB32_Premultiplied,
        )
        image.setDotsPerMeterX(round(dpi / 0.0254))
        image.setDotsPerMeterY(round(dpi / 0.0254))
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.translate(paint.left() * dpi / 72, paint.top() * dpi / 72)
        self.paint_page(painter, index, dpi)
        painter.end()
        return image


# --- the document -------------------------------------------------------------------------------


def _e(text: str | None) -> str:
    return html.escape(text or "")


def _when(message) -> datetime:
    return message.sent_at or message.created_at


def _sender(message, contact: str) -> str:
    if message.direction == "inbound":
        return contact
    if message.sent_by:
        return message.sent_by
    return S.PRINT_REMINDER if message.origin == "flow" else S.PRINT_THE_FIRM


def _date_range(messages) -> str:
    if not messages:
        return S.PRINT_NO_MESSAGES
    first, last = _when(messages[0]).astimezone(), _when(messages[-1]).astimezone()
    span = f"{first:%d %b %Y}"
    if last.date() != first.date():
        span += f" – {last:%d %b %Y}"
    return f"{S.message_count(len(messages))}, {span}"


def _image_html(media, images: dict[int, QImage]) -> str:
    if media.status != "stored":
        return f'<p style="color:{MUTED};">{_e(S.image_not_kept(media.reject_reason or ""))}</p>'
    image = images.get(media.id)
    if image is None or image.isNull():
        return f'<p style="color:{MUTED};">{_e(S.PRINT_IMAGE_MISSING)}</p>'
    scale = min(1.0, MAX_IMAGE_W / image.width(), MAX_IMAGE_H / image.height())
    width, height = round(image.width() * scale), round(image.height() * scale)
    return f'<img src="media:{media.id}" width="{width}" height="{height}"> '


def _message_row(message, data: PrintData) -> str:
    inbound = message.direction == "inbound"
    stripe = INBOUND if inbound else ACCENT
    moment = _when(message)
    by = _sender(message, data.contact)
    if inbound:
        meta = f'<span style="color:{stripe}; font-weight:600;">{_e(S.received_from(by))}</span>'
    else:
        meta = (
            f'<span style="color:{stripe}; font-weight:600;">{_e(S.sent_by(by))}</span>'
            f'<span style="color:{MUTED};"> · {_e(S.print_status(message.status))}</span>'
        )
    body = _e(message.body).replace("\n", "<br>") if message.body else ""
    if not body and not message.media:
        body = f'<span style="color:{MUTED};">{_e(S.PRINT_EMPTY_BODY)}</span>'
    parts = [f'<p style="margin:0 0 3px 0;">{meta}</p>']
    if body:
        parts.append(f'<p style="margin:0; color:{TEXT};">{body}</p>')
    if message.media:
        images = "".join(_image_html(m, data.images) for m in message.media)
        parts.append(f'<p style="margin:6px 0 0 0;">{images}</p>')
    if message.error:
        parts.append(f'<p style="margin:3px 0 0 0; color:#b42318;">{_e(message.error)}</p>')
    if message.send_at and message.status == "scheduled":
        parts.append(
            f'<p style="margin:3px 0 0 0; color:{MUTED};">'
            f"{_e(S.PRINT_SCHEDULED_FOR)} {_e(S.local_time(message.send_at))}</p>"
        )
    # One table per message, so a message can be kept whole on a page (see _keep_whole).
    return (
        f'<table width="100%" cellspacing="0" cellpadding="0" style="{MESSAGE_TABLE}"><tr>'
        f'<td width="3" bgcolor="{stripe}"></td>'
        f'<td width="{WHEN_W}" style="padding:7px 10px 9px 10px; border-bottom:1px solid {RULE};">'
        f'<p style="margin:0; font-weight:600; color:{TEXT};">{_e(S.local_date(moment))}</p>'
        f'<p style="margin:0; color:{TEXT};">{_e(S.local_clock(moment))}</p>'
        f'<p style="margin:2px 0 0 0; font-size:7.5pt; color:{MUTED};">'
        f"{_e(S.utc_time(moment))}</p></td>"
        f'<td style="padding:7px 4px 9px 6px; border-bottom:1px solid {RULE};">'
        f"{''.join(parts)}</td>"
        "</tr></table>"
    )


def _info_row(label: str, value: str) -> str:
    return (
        f'<tr><td width="110" style="padding:3px 12px 3px 0; color:{MUTED};">{_e(label)}</td>'
        f'<td style="padding:3px 0; color:{TEXT};">{value}</td></tr>'
    )


def thread_html(data: PrintData, width: float) -> str:
    """The printable conversation: title block, every message, then how to verify the copy."""
    info = [
        _info_row(S.PRINT_FIRM, _e(data.firm)),
        _info_row(S.PRINT_CONTACT, f"<b>{_e(data.contact)}</b>"),
        _info_row(S.PRINT_NUMBER, f"{_e(format_display(data.phone))} &nbsp;({_e(data.phone)})"),
    ]
    if data.matter:
        info.append(_info_row(S.PRINT_MATTER, _e(data.matter)))
    info.append(_info_row(S.PRINT_RANGE, _e(_date_range(data.messages))))
    info.append(_info_row(S.PRINT_REFERENCE, _e(S.conversation_ref(data.conversation_id))))
    info.append(
        _info_row(S.PRINT_PRINTED, _e(S.printed_by(data.printed_by, S.local_time(data.printed_at))))
    )
    rows = [_message_row(m, data) for m in data.messages]
    if not rows:
        rows = [f'<p style="padding:12px; color:{MUTED};">{_e(S.PRINT_NO_MESSAGES)}</p>']
    return f"""
<html><body style="font-family:{FONT}; color:{TEXT};">
<p style="margin:0 0 2px 0; font-size:17pt; font-weight:600; color:{TEXT};">
{_e(S.PRINT_TITLE)}</p>
<p style="margin:0 0 14px 0; font-size:10.5pt; color:{MUTED};">
{_e(data.contact)} · {_e(format_display(data.phone))}</p>
<table cellspacing="0" cellpadding="0" style="margin-bottom:18px;">{"".join(info)}</table>
{"".join(rows)}
<p style="margin:6px 0 0 0; font-size:8pt; color:{MUTED};" align="center">
{_e(S.PRINT_END)}</p>
<table width="100%" cellspacing="0" cellpadding="12" bgcolor="#f4f6fa"
 style="margin-top:16px; border:1px solid {RULE};"><tr><td>
<p style="margin:0 0 4px 0; font-size:11pt; font-weight:600; color:{TEXT};">
{_e(S.PRINT_VERIFY_HEADING)}</p>
<p style="margin:0 0 2px 0; color:{MUTED};">{_e(S.PRINT_SHA_LABEL)}</p>
<p style="margin:0 0 8px 0; font-family:{MONO}; font-size:9.5pt; font-weight:600;
 color:{TEXT};">{data.sha256}</p>
<p style="margin:0; color:{MUTED}; font-size:8.5pt;">{_e(S.print_verify(data.conversation_id))}</p>
</td></tr></table>
</body></html>"""


# --- fetching ----------------------------------------------------------------------------------


def _export_matches(document: str, messages) -> bool:
    """True when the export describes exactly the messages we are about to print."""
    try:
        exported = json.loads(document).get("messages", [])
        seen = [(m["id"], m["status"], m["body"]) for m in exported]
    except (ValueError, KeyError, TypeError, AttributeError):
        return True  # an unknown export shape: nothing to compare, print what we have
    return seen == [(m.id, m.status, m.body) for m in messages]


async def _fetch_images(sync_client, messages) -> dict[int, QImage]:
    wanted = [media.id for m in messages for media in m.media if media.status == "stored"]
    limit = asyncio.Semaphore(MEDIA_FETCHES)
    images: dict[int, QImage] = {}

    async def fetch(media_id: int) -> None:
        async with limit:
            try:
                data = await sync_client.media(media_id)
            except ApiError as error:
                log.warning("image %s left out of the printout: %s", media_id, error)
                return
        image = QImage.fromData(QByteArray(data))
        if not image.isNull():
            images[media_id] = image

    await asyncio.gather(*(fetch(media_id) for media_id in wanted))
    return images


async def gather_print_data(sync_client, conversation_id: int, printed_by: str) -> PrintData:
    """All messages (not just the loaded page), the export digest of the same state, images."""
    conversation = await sync_client.conversation(conversation_id)
    for _attempt in range(EXPORT_ATTEMPTS):
        messages = await sync_client.all_messages(conversation_id)
        export = await sync_client.export(conversation_id)
        # A text arriving between the two calls would make the digest describe another thread.
        if _export_matches(export.document, messages):
            break
    else:
        log.warning("conversation %s kept changing while printing", conversation_id)
    try:
        document = json.loads(export.document)
    except ValueError:
        document = {}
    firm = (document.get("firm") or {}).get("name") or ""
    if not firm:
        user = getattr(sync_client, "user", None)
        firm = getattr(user, "firm_name", "") or ""
    phone = conversation.phone if conversation else (document.get("contact") or {}).get("phone")
    contact = (
        (conversation.contact_name if conversation else None)
        or (document.get("contact") or {}).get("name")
        or format_display(phone or "")
    )
    matter_doc = document.get("matter") or {}
    matter = matter_doc.get("name") or (conversation.matter if conversation else None)
    if matter and matter_doc.get("case_number"):
        matter = f"{matter} ({matter_doc['case_number']})"
    return PrintData(
        conversation_id=conversation_id,
        firm=firm,
        contact=contact,
        phone=phone or "",
        matter=matter,
        messages=sorted(messages, key=lambda m: (_when(m), m.id)),
        sha256=export.sha256,
        printed_by=printed_by,
        printed_at=datetime.now().astimezone(),
        images=await _fetch_images(sync_client, messages),
    )


async def print_thread(
    sync_client,
    conversation_id: int,
    printed_by: str,
    pdf_path: str | None = None,
    parent: QWidget | None = None,
) -> PrintResult | None:
    """Print the whole conversation: to `pdf_path`, or through the print dialog when None.

    Returns None when the user cancels the print dialog. Raises ApiError when the server
    cannot give the thread (the caller shows the sentence).
    """
    data = await gather_print_data(sync_client, conversation_id, printed_by)
    if pdf_path is not None:
        printout = ThreadPrintout(data)
        pages = printout.write_pdf(pdf_path)
        return PrintResult(pages, data.sha256, pdf_path, printout)

    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from inbox_app.ui.dialogs import ask

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(default_page_layout())
    printer.setDocName(f"{data.contact} ({data.phone})")
    dialog = QPrintDialog(printer, parent)
    dialog.setObjectName("printDialog")
    dialog.setWindowTitle(S.PRINT_DIALOG_TITLE)
    if await ask(dialog) != QDialog.DialogCode.Accepted:
        return None
    # The dialog may have changed the paper; lay out again for what the printer will use.
    printout = ThreadPrintout(data, printer.pageLayout())
    first, last = 1, None
    if printer.printRange() == QPrinter.PrintRange.PageRange:
        first, last = printer.fromPage() or 1, printer.toPage() or None
    painter = QPainter(printer)
    try:
        pages = printout.paint_to(printer, painter, first, last)
    finally:
        painter.end()
    return PrintResult(pages, data.sha256, None, printout)
