"""The printout's progress dialog and its preview (the first pages and the last)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressDialog,
    QVBoxLayout,
)
from qasync import asyncSlot

from inbox_app.ui import strings as S

SHOW_AFTER_MS = 300


class PrintProgress:
    """A cancelable QProgressDialog that follows a PrintJob's progress signal."""

    def __init__(self, job, parent) -> None:
        self.job = job
        dialog = QProgressDialog(parent)
        dialog.setObjectName("printProgress")
        dialog.setWindowTitle(S.PRINT_PROGRESS_TITLE)
        # Not modal: a modal QProgressDialog's setValue() runs a nested event loop
        # (processEvents), which would run other asyncio tasks inside this one. The window
        # stays usable while a long thread prints.
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(SHOW_AFTER_MS)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        dialog.canceled.connect(job.cancel)
        job.progress.connect(self._update)
        self.dialog = dialog
        if parent is not None:
            parent.print_progress = dialog
        self._paused = False

    def _update(self, text: str, done: int, total: int) -> None:
        if self._paused:
            return
        self.dialog.setLabelText(text)
        self.dialog.setMaximum(max(total, 1) if total else 0)
        self.dialog.setValue(min(done, max(total, 1)) if total else 0)

    def pause(self) -> None:
        """Hidden while the preview and the print dialog are open."""
        self._paused = True
        self.dialog.canceled.disconnect(self.job.cancel)
        self.dialog.reset()
        self.dialog.hide()
        self.dialog.canceled.connect(self.job.cancel)

    def resume(self) -> None:
        self._paused = False
        self.dialog.setValue(0)
        self.dialog.show()

    def finish(self) -> None:
        self._paused = True
        self.dialog.canceled.disconnect(self.job.cancel)
        self.dialog.close()
        self.dialog.deleteLater()


class PrintPreviewDialog(QDialog):
    """The printout as it will print (first pages and the last); "Print…" goes on.

    Signals:
      notes_changed(bool include): the printout was laid out again with or without notes.
    """

    notes_changed = Signal(bool)

    def __init__(self, job, parent=None) -> None:
        super().__init__(parent)
        from inbox_app.ui.printing import preview_pages

        self.setObjectName("printPreviewDialog")
        self.setWindowTitle(S.PRINT_PREVIEW_TITLE)
        self.setModal(True)
        self.job = job
        self.pages = preview_pages(job.page_count())
        self.printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        self.printer.setPageLayout(job.layout.page_layout)
        layout = QVBoxLayout(self)
        note = QLabel(S.print_preview_note(len(self.pages), job.page_count()), self)
        note.setObjectName("printPreviewNote")
        layout.addWidget(note)
        self.note = note
        # A copy for the client may leave the firm's internal notes out.
        self.notes_box = QCheckBox(S.PRINT_INCLUDE_NOTES, self)
        self.notes_box.setObjectName("printIncludeNotes")
        notes = job.source.note_count if job.source is not None else 0
        self.notes_box.setChecked(job.source.include_notes if job.source is not None else True)
        self.notes_box.setVisible(bool(notes))
        self.notes_box.toggled.connect(self._notes_toggled)
        layout.addWidget(self.notes_box)
        self.preview = QPrintPreviewWidget(self.printer, self)
        self.preview.setObjectName("printPreview")
        self.preview.paintRequested.connect(self._paint)
        self.preview.setViewMode(QPrintPreviewWidget.ViewMode.SinglePageView)
        self.preview.setZoomMode(QPrintPreviewWidget.ZoomMode.FitToWidth)
        layout.addWidget(self.preview, 1)
        buttons = QDialogButtonBox(self)
        self.print_button = buttons.addButton(
            S.PRINT_PREVIEW_PRINT, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.print_button.setObjectName("previewPrintButton")
        self.print_button.setDefault(True)
        self.print_button.setAutoDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # A sheet's proportions, within the screen (the buttons must stay on it).
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        height = min(860, int(screen.height() * 0.9))
        self.resize(min(720, int(height * 0.84)), height)
        self.print_button.setFocus()

    @asyncSlot()
    async def _notes_toggled(self, include: bool) -> None:
        self.notes_box.setEnabled(False)
        try:
            await self.job.set_include_notes(include)
            from inbox_app.ui.printing import preview_pages

            self.pages = preview_pages(self.job.page_count())
            await self.job.load_images(self.pages)
            self.note.setText(S.print_preview_note(len(self.pages), self.job.page_count()))
            self.preview.updatePreview()
        finally:
            self.notes_box.setEnabled(True)
        self.notes_changed.emit(include)

    def _paint(self, printer: QPrinter) -> None:
        painter = QPainter(printer)
        try:
            for n, index in enumerate(self.pages):
                if n:
                    printer.newPage()
                self.job.paint_page(painter, index, printer.resolution())
        finally:
            painter.end()


async def save_export_as(sync_client, conversation_id: int, parent) -> str | None:
    """Ask where, then write the export's hashed bytes there; says the digest it wrote."""
    from PySide6.QtWidgets import QFileDialog

    from inbox_app.ui import dialogs
    from inbox_app.ui.printing import save_export

    picker = QFileDialog(parent, S.EXPORT_SAVE_TITLE)
    picker.setObjectName("saveExportDialog")
    picker.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    picker.setNameFilter(S.EXPORT_FILTER)
    picker.setDefaultSuffix("json")
    picker.selectFile(f"conversation-{conversation_id}.json")
    if parent is not None:
        parent.save_export_dialog = picker
    if await dialogs.ask(picker) != QDialog.DialogCode.Accepted or not picker.selectedFiles():
        return None
    path = picker.selectedFiles()[0]
    digest = await save_export(sync_client, conversation_id, path)
    if parent is not None and hasattr(parent, "show_error"):
        parent.show_error(S.export_saved(path, digest))
    return digest
