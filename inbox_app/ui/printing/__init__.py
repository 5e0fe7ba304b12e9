"""Print a whole conversation for the case file, to a printer or a PDF, verifiable by SHA-256.

A `PrintJob` fetches the thread page by page onto disk with the digest of its export
(`source`), lays it out in one measuring pass and paints page by page (`layout`), loading only
the images of the page being painted, downscaled as they are decoded. It reports `progress`
and stops at `cancel()`, leaving no file behind. `print_thread` is the user's path: progress,
a preview, the platform print dialog, progress again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import weakref
from dataclasses import dataclass, field

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QObject, QSize, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QImageReader,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
)
from PySide6.QtWidgets import QDialog, QWidget

from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui.printing.layout import MAX_IMAGE_H, MAX_IMAGE_W, PageLayout
from inbox_app.ui.printing.source import PrintCanceled, ThreadSource, gather

log = logging.getLogger(__name__)

PDF_DPI = 300
IMAGE_DPI = 200  # images are decoded at most this sharp on paper, whatever the device
MEDIA_FETCHES = 4
MEASURE_STEP = 250  # messages laid out between two looks at the event loop
PREVIEW_PAGES = 6

__all__ = [
    "PrintCanceled",
    "PrintJob",
    "PrintResult",
    "default_page_layout",
    "print_thread",
    "save_export",
]


def default_page_layout() -> QPageLayout:
    """US Letter, portrait, three-quarter-inch side margins."""
    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.Letter),
        QPageLayout.Orientation.Portrait,
        QMarginsF(54, 44, 54, 40),
        QPageLayout.Unit.Point,
    )


def _decode(data: bytes, box_w: float, box_h: float) -> QImage | None:
    """The image scaled down while decoding to what IMAGE_DPI needs in a box of layout px."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = reader.size()
    if size.isValid() and size.width() > 0 and size.height() > 0:
        limit_w, limit_h = box_w * IMAGE_DPI / 96, box_h * IMAGE_DPI / 96
        scale = min(1.0, limit_w / size.width(), limit_h / size.height())
        if scale < 1.0:
            target = QSize(
                max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
            )
            reader.setScaledSize(target)
    image = reader.read()
    return None if image.isNull() else image


@dataclass
class PrintResult:
    """What was printed: pages, the export digest on the last page, the job (for previews)."""

    pages: int
    sha256: str
    pdf_path: str | None = None
    printout: PrintJob | None = field(default=None, repr=False, compare=False)


class PrintJob(QObject):
    """One printout in the making.

    progress(text: str, done: int, total: int): what is happening, for a progress dialog.
    """

    progress = Signal(str, int, int)

    def __init__(self, sync_client, conversation_id: int, printed_by: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("printJob")
        self.sync = sync_client
        self.conversation_id = conversation_id
        self.printed_by = printed_by
        self.source: ThreadSource | None = None
        self.layout: PageLayout | None = None
        self.canceled = False
        self._images: dict[int, QImage] = {}
        self._loading: dict[int, asyncio.Task] = {}
        self._finalizer = None

    # --- control ------------------------------------------------------------------------------

    def cancel(self) -> None:
        self.canceled = True

    def check(self) -> None:
        if self.canceled:
            raise PrintCanceled

    def close(self) -> None:
        for task in self._loading.values():
            task.cancel()
        self._loading.clear()
        self._images.clear()
        if self._finalizer is not None:
            self._finalizer()

    # --- pass one -----------------------------------------------------------------------------

    async def prepare(self, page_layout: QPageLayout | None = None) -> int:
        """Fetch the thread and lay it out; returns the number of pages."""

        def fetched(done: int, total: int) -> None:
            self.progress.emit(S.print_preparing(done, total), done, total)

        self.progress.emit(S.print_preparing(0, 0), 0, 0)
        self.source = await gather(
            self.sync, self.conversation_id, self.printed_by, fetched, self.check
        )
        self._finalizer = weakref.finalize(self, self.source.close)
        return await self.lay_out(page_layout or default_page_layout())

    async def lay_out(self, page_layout: QPageLayout) -> int:
        layout = PageLayout(self.source, page_layout)
        total = self.source.count
        steps = layout.measure_steps(MEASURE_STEP)
        for done in steps:
            self.progress.emit(S.print_laying_out(done, total), done, total)
            await asyncio.sleep(0)
            self.check()
        self.layout = layout
        return layout.page_count()

    async def set_include_notes(self, include: bool) -> int:
        """Print the internal notes (marked) or leave them out; lays out again, gives pages."""
        self.source.set_include_notes(include)
        return await self.lay_out(self.layout.page_layout if self.layout else default_page_layout())

    @property
    def sha256(self) -> str:
        return self.source.sha256 if self.source else ""

    def page_count(self) -> int:
        return self.layout.page_count() if self.layout else 0

    # --- images -------------------------------------------------------------------------------

    async def _load(self, media) -> None:
        try:
            data = await self.sync.media(media.id)
        except ApiError as error:
            log.warning("image %s left out of the printout: %s", media.id, error)
            return
        image = _decode(data, MAX_IMAGE_W, MAX_IMAGE_H)
        if image is not None:
            self._images[media.id] = image

    def _start_loading(self, pages: list[int]) -> list[asyncio.Task]:
        limit = asyncio.Semaphore(MEDIA_FETCHES)

        async def one(media) -> None:
            async with limit:
                await self._load(media)

        tasks = []
        for page in pages:
            if not 0 <= page < self.page_count():
                continue
            for media in self.layout.media_on_page(page):
                task = self._loading.get(media.id)
                if task is None and media.id not in self._images:
                    task = self._loading[media.id] = asyncio.ensure_future(one(media))
                if task is not None:
                    tasks.append(task)
        return tasks

    async def load_images(self, pages: list[int]) -> None:
        """Decode the images of `pages` (and keep only those)."""
        wanted = {
            m.id for p in pages if 0 <= p < self.page_count() for m in self.layout.media_on_page(p)
        }
        for media_id in list(self._images):
            if media_id not in wanted:
                del self._images[media_id]
        tasks = self._start_loading(pages)
        if tasks:
            await asyncio.gather(*tasks)
        for media_id in [m for m, t in self._loading.items() if t.done()]:
            del self._loading[media_id]

    # --- pass two -----------------------------------------------------------------------------

    def paint_page(self, painter: QPainter, index: int, dpi: float) -> None:
        self.layout.paint_page(painter, index, dpi, self._images.get)

    async def paint_to(self, device, painter: QPainter, first: int = 1, last: int | None = None):
        """Paint pages first..last (1-based) on a QPdfWriter or QPrinter, page by page."""
        pages = self.page_count()
        last = min(last or pages, pages)
        dpi = device.resolution()
        for number in range(first, last + 1):
            self.check()
            await self.load_images([number - 1])
            self._start_loading([number])  # the next page's images, while this one is painted
            if number > first:
                device.newPage()
            self.paint_page(painter, number - 1, dpi)
            self.progress.emit(S.print_painting(number, last), number - first + 1, last - first + 1)
            await asyncio.sleep(0)
        self.check()
        return max(0, last - first + 1)

    async def write_pdf(self, path: str) -> int:
        """The printout as a PDF at `path`; written beside it first, so a cancel leaves nothing."""
        partial = f"{path}.part"
        writer = QPdfWriter(partial)
        writer.setResolution(PDF_DPI)
        writer.setPageLayout(self.layout.page_layout)
        writer.setTitle(f"{self.source.firm} — {self.source.contact} ({self.source.phone})")
        writer.setCreator("Inbox")
        painter = QPainter(writer)
        try:
            if not painter.isActive():
                raise OSError(f"cannot write {path}")
            pages = await self.paint_to(writer, painter)
        except BaseException:
            painter.end()
            del painter, writer
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise
        painter.end()
        del painter, writer
        os.replace(partial, path)
        return pages

    async def print_on(self, printer, first: int = 1, last: int | None = None) -> int:
        """Print on a QPrinter; to a file, written beside it first as for write_pdf."""
        from PySide6.QtPrintSupport import QPrinter

        to_file = printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
        target = printer.outputFileName() if to_file else ""
        if to_file:
            printer.setOutputFileName(f"{target}.part")
        painter = QPainter(printer)
        try:
            if not painter.isActive():
                raise OSError(f"cannot print to {target or printer.printerName()}")
            pages = await self.paint_to(printer, painter, first, last)
        except BaseException:
            printer.abort()
            painter.end()
            if to_file:
                with contextlib.suppress(OSError):
                    os.remove(f"{target}.part")
                printer.setOutputFileName(target)
            raise
        painter.end()
        if to_file:
            os.replace(f"{target}.part", target)
            printer.setOutputFileName(target)
        return pages

    async def render_page(self, index: int = 0, dpi: int = 110) -> QImage:
        """Page `index` as a white sheet image, images included (previews, screenshots)."""
        await self.load_images([index])
        page_layout = self.layout.page_layout
        full = page_layout.fullRect(QPageLayout.Unit.Point)
        paint = page_layout.paintRect(QPageLayout.Unit.Point)
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


def preview_pages(pages: int) -> list[int]:
    """The pages a preview shows: the first few and the last (the one with the digest)."""
    if pages <= PREVIEW_PAGES:
        return list(range(pages))
    return [*range(PREVIEW_PAGES - 1), pages - 1]


async def save_export(sync_client, conversation_id: int, path: str) -> str:
    """Write the export's document, exactly the hashed bytes, to `path`; returns its SHA-256."""
    import hashlib

    digest = hashlib.sha256()
    partial = f"{path}.part"
    try:
        with open(partial, "wb") as out:
            async for chunk in sync_client.export_document(conversation_id):
                digest.update(chunk)
                out.write(chunk)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(partial)
        raise
    return digest.hexdigest()


async def print_thread(
    sync_client,
    conversation_id: int,
    printed_by: str,
    pdf_path: str | None = None,
    parent: QWidget | None = None,
    *,
    include_notes: bool = True,
) -> PrintResult | None:
    """Print the whole conversation: to `pdf_path`, or through preview and print dialog.

    Returns None when the user cancels (a dialog or the progress). Raises ApiError when the
    server cannot give the thread (the caller shows the sentence).
    """
    from inbox_app.ui.printing.dialogs import PrintPreviewDialog, PrintProgress

    job = PrintJob(sync_client, conversation_id, printed_by)
    progress = PrintProgress(job, parent) if parent is not None else None
    done = False
    try:
        await job.prepare()
        if not include_notes and job.source.note_count:
            await job.set_include_notes(False)
        if pdf_path is not None:
            pages = await job.write_pdf(pdf_path)
            log.info("printout done: %d pages of conversation %s", pages, conversation_id)
            done = True
            return PrintResult(pages, job.sha256, pdf_path, job)

        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from inbox_app.ui import dialogs

        if progress is not None:
            progress.pause()
        await job.load_images(preview_pages(job.page_count()))
        preview = PrintPreviewDialog(job, parent)
        if parent is not None:
            parent.print_preview_dialog = preview
        if await dialogs.ask(preview) != QDialog.DialogCode.Accepted:
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(job.layout.page_layout)
        printer.setDocName(f"{job.source.contact} ({job.source.phone})")
        dialog = QPrintDialog(printer, parent)
        dialog.setObjectName("printDialog")
        dialog.setWindowTitle(S.PRINT_DIALOG_TITLE)
        dialog.setMinMax(1, job.page_count())
        if parent is not None:
            parent.print_dialog = dialog
        if await dialogs.ask(dialog) != QDialog.DialogCode.Accepted:
            return None
        if progress is not None:
            progress.resume()
        chosen = printer.pageLayout()
        if chosen.paintRect(QPageLayout.Unit.Point) != job.layout.page_layout.paintRect(
            QPageLayout.Unit.Point
        ):
            await job.lay_out(chosen)  # another paper: lay out again for it
        first, last = 1, None
        if printer.printRange() == QPrinter.PrintRange.PageRange:
            first, last = printer.fromPage() or 1, printer.toPage() or None
        pages = await job.print_on(printer, first, last)
        log.info("printout done: %d pages of conversation %s", pages, conversation_id)
        done = True
        return PrintResult(pages, job.sha256, None, job)
    except PrintCanceled:
        if parent is not None and hasattr(parent, "show_error"):
            parent.show_error(S.PRINT_CANCELED_PDF if pdf_path else S.PRINT_CANCELED)
        return None
    except OSError as error:  # the file could not be written, the printer refused the job
        log.warning("printing conversation %s failed: %s", conversation_id, error)
        if parent is None or not hasattr(parent, "show_error"):
            raise
        parent.show_error(S.print_failed(str(error)))
        return None
    finally:
        if progress is not None:
            progress.finish()
        if not done:
            job.close()
