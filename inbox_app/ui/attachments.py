"""The compose box's attachment strip: images by file picker, drag and drop or paste, max 5.

The compose editor forwards pasted and dropped images here: in its `canInsertFromMimeData`
return `strip.can_accept(mime)`, and in `insertFromMimeData` call `strip.add_from_mime_data(mime)`
first (it returns False when the data holds no image, so the text is pasted as usual).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.ui import strings as S
from inbox_app.ui import theme

MAX_ATTACHMENTS = 5
MAX_MB = 5
MAX_BYTES = MAX_MB * 1024 * 1024
THUMB = 64
# QImageReader's format name -> the content type the server and the carrier take.
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    thumbnail: QPixmap


def sniff_image(data: bytes) -> tuple[str, QImage] | None:
    """(content type, first frame) when `data` really is a JPEG, PNG or GIF; else None."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    content_type = CONTENT_TYPES.get(bytes(reader.format().data()).decode().lower())
    if content_type is None or not reader.canRead():
        return None
    image = reader.read()
    if image.isNull():
        return None
    return content_type, image


def thumbnail(image: QImage, size: int = THUMB) -> QPixmap:
    """A square, centre-cropped preview."""
    scaled = image.scaled(
        size,
        size,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x = (scaled.width() - size) // 2
    y = (scaled.height() - size) // 2
    return QPixmap.fromImage(scaled.copy(x, y, size, size))


def _encode(image: QImage, fmt: str, quality: int = -1) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, fmt, quality)
    return bytes(buffer.data().data())


class _Tile(QFrame):
    """One preview with its remove button."""

    def __init__(self, attachment: Attachment, on_remove) -> None:
        super().__init__()
        self.setObjectName("attachmentTile")
        self.setFixedSize(THUMB + 8, THUMB + 8)
        self.setToolTip(f"{attachment.filename} · {len(attachment.data) / 1024:,.0f} KB")
        t = theme.current()
        self.setStyleSheet(
            f"QFrame#attachmentTile {{ border: 1px solid {t.border}; border-radius: 6px;"
            f" background: {t.raised}; }}"
            " QToolButton#removeAttachment { background: rgba(20, 24, 33, 0.75); color: white;"
            " border: none; border-radius: 9px; font-weight: 700; }"
        )
        preview = QLabel(self)
        preview.setObjectName("attachmentPreview")
        preview.setPixmap(attachment.thumbnail)
        preview.setGeometry(4, 4, THUMB, THUMB)
        remove = QToolButton(self)
        remove.setObjectName("removeAttachment")
        remove.setText("×")
        remove.setToolTip(S.ATTACH_REMOVE)
        remove.setFixedSize(18, 18)
        remove.move(THUMB + 8 - 20, 2)
        remove.clicked.connect(on_remove)
        self.remove_button = remove


class AttachmentStrip(QWidget):
    """Images waiting to go with the next message (JPEG/PNG/GIF, ≤ 5 MB each, at most 5).

    Signals:
        changed(): an image was added or removed (or all cleared).
        refused(str): an image was not taken; the sentence is also shown in the strip.
    """

    changed = Signal()
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, show_button: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentStrip")
        self.setAcceptDrops(True)
        self._items: list[Attachment] = []
        self._pasted = 0

        self.tiles = QHBoxLayout()
        self.tiles.setContentsMargins(0, 0, 0, 0)
        self.tiles.setSpacing(6)
        self.attach_button = QToolButton()
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setIcon(theme.icon("paperclip"))
        self.attach_button.setIconSize(QSize(20, 20))
        self.attach_button.setToolTip(S.ATTACH_BUTTON)
        self.attach_button.setAutoRaise(True)
        self.attach_button.clicked.connect(self.pick_files)
        self.attach_button.setVisible(show_button)

        self.error_label = QLabel()
        self.error_label.setObjectName("attachmentError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"QLabel {{ color: {theme.current().danger}; }}")
        self.error_label.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(self.tiles)
        row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # --- what the compose box reads ----------------------------------------------------------

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(filename, content_type, bytes) of each image, in the order they were added."""
        return [(a.filename, a.content_type, a.data) for a in self._items]

    def count(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Drop every image (after a send)."""
        had = bool(self._items)
        self._items.clear()
        self._clear_error()
        self._rebuild()
        if had:
            self.changed.emit()

    # --- adding -------------------------------------------------------------------------------

    def add_bytes(self, filename: str, data: bytes) -> bool:
        """Attach `data` if it is an allowed image within the limits; else say why and refuse."""
        name = Path(filename).name or filename
        if len(self._items) >= MAX_ATTACHMENTS:
            return self._refuse(S.attachments_full(MAX_ATTACHMENTS))
        if len(data) > MAX_BYTES:
            return self._refuse(S.attachment_refused(name, S.attachment_too_big(MAX_MB)))
        sniffed = sniff_image(data)
        if sniffed is None:
            return self._refuse(S.attachment_refused(name, S.ATTACH_NOT_IMAGE))
        content_type, image = sniffed
        self._items.append(Attachment(name, content_type, data, thumbnail(image)))
        self._clear_error()
        self._rebuild()
        self.changed.emit()
        return True

    def add_files(self, paths) -> int:
        """Attach files from disk; returns how many were taken."""
        taken = 0
        for path in paths:
            path = Path(path)
            try:
                if path.stat().st_size > MAX_BYTES:
                    self._refuse(S.attachment_refused(path.name, S.attachment_too_big(MAX_MB)))
                    continue
                data = path.read_bytes()
            except OSError as error:
                self._refuse(S.attachment_refused(path.name, error.strerror or str(error)))
                continue
            taken += self.add_bytes(path.name, data)
        return taken

    def add_image(self, image: QImage) -> bool:
        """Attach a pasted picture: PNG, or JPEG when a PNG would be over the size limit."""
        if image.isNull():
            return False
        self._pasted += 1
        data, ext = _encode(image, "PNG"), "png"
        if len(data) > MAX_BYTES:
            data, ext = _encode(image.convertToFormat(QImage.Format.Format_RGB32), "JPG", 88), "jpg"
        return self.add_bytes(f"{S.ATTACH_PASTED}-{self._pasted}.{ext}", data)

    def can_accept(self, mime: QMimeData) -> bool:
        return mime.hasImage() or any(url.isLocalFile() for url in mime.urls())

    def add_from_mime_data(self, mime: QMimeData) -> bool:
        """Take images from a paste or a drop (files, raw image bytes, or a picture)."""
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        if files:
            self.add_files(files)
            return True
        for content_type, ext in EXTENSIONS.items():
            # Raw bytes keep a GIF's animation, which a decoded QImage would lose.
            if mime.hasFormat(content_type):
                self._pasted += 1
                raw = bytes(mime.data(content_type).data())
                self.add_bytes(f"{S.ATTACH_PASTED}-{self._pasted}.{ext}", raw)
                return True
        if mime.hasImage():
            self.add_image(QImage(mime.imageData()))
            return True
        return False

    def paste(self) -> bool:
        """Attach what is on the clipboard; False when it holds no image."""
        mime = QGuiApplication.clipboard().mimeData()
        return mime is not None and self.add_from_mime_data(mime)

    def pick_files(self) -> None:
        """Ask for image files (a plain slot: the picker runs its own event loop)."""
        paths, _filter = QFileDialog.getOpenFileNames(
            self, S.ATTACH_PICK_TITLE, "", S.ATTACH_FILTER
        )
        self.add_files(paths)

    def remove(self, index: int) -> None:
        del self._items[index]
        self._clear_error()
        self._rebuild()
        self.changed.emit()

    # --- drag and drop --------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if self.can_accept(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if self.can_accept(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        if self.add_from_mime_data(event.mimeData()):
            event.acceptProposedAction()

    # --- inside ------------------------------------------------------------------------------

    def _refuse(self, sentence: str) -> bool:
        self.error_label.setText(sentence)
        self.error_label.show()
        self.refused.emit(sentence)
        return False

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def _rebuild(self) -> None:
        while self.tiles.count():
            widget = self.tiles.takeAt(0).widget()
            if widget is not None:
                widget.setParent(None)  # gone from findChildren now, not at the next loop turn
                widget.deleteLater()
        for index, attachment in enumerate(self._items):
            self.tiles.addWidget(_Tile(attachment, lambda _=False, i=index: self.remove(i)))
