"""One MMS image at full size: GIFs animate; Save… writes the original bytes, Copy puts it on the
clipboard."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageReader, QMovie, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import MUTED_STYLE

_EXTENSIONS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "gif": "gif", "webp": "webp"}
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


class MediaViewer(QDialog):
    """Shows media `media_id` fetched through the sync client; `.loading` is the fetch task."""

    def __init__(self, sync_client, media_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.media_id = media_id
        self.data = b""
        self.image = QImage()
        self.extension = "jpg"
        self.movie: QMovie | None = None
        self._buffer: QBuffer | None = None
        self.setObjectName("mediaViewer")
        self.setWindowTitle(S.media_title(media_id))

        self.image_label = QLabel(S.MEDIA_LOADING)
        self.image_label.setObjectName("mediaImage")
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("mediaScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setWidget(self.image_label)

        self.status_label = QLabel()
        self.status_label.setObjectName("mediaStatus")
        self.status_label.setStyleSheet(MUTED_STYLE)
        self.save_button = QPushButton(S.MEDIA_SAVE)
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(self.save)
        self.copy_button = QPushButton(S.MEDIA_COPY)
        self.copy_button.setObjectName("copyButton")
        self.copy_button.clicked.connect(self.copy)
        for button in (self.save_button, self.copy_button):
            button.setEnabled(False)
        close = QPushButton(S.MEDIA_CLOSE)
        close.setObjectName("mediaCloseButton")
        close.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self.resize(720, 560)
        self.loading = self.load()

    @asyncSlot()
    async def load(self) -> None:
        """Fetch the image and show it (animated when it is a GIF with several frames)."""
        try:
            data = await self._sync.media(self.media_id)
        except ApiError as error:
            data = None
            failure = S.describe_error(error)
        # The viewer may have been closed (and deleted) while the image was on its way.
        if not shiboken6.isValid(self.image_label):
            return
        if data is None:
            self.image_label.setText(failure)
            return
        self.show_bytes(data)

    def show_bytes(self, data: bytes) -> None:
        self.data = data
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        reader = QImageReader(self._buffer)
        fmt = bytes(reader.format().data()).decode().lower()
        self.extension = _EXTENSIONS.get(fmt, "jpg")
        animated = reader.supportsAnimation() and reader.imageCount() != 1
        self.image = reader.read()
        if self.image.isNull():
            self.image_label.setText(S.MEDIA_UNREADABLE)
            return
        self._fit_window()
        if animated:
            self._buffer.seek(0)
            self.movie = QMovie(self._buffer, QByteArray(fmt.encode()), self)
            self.movie.setCacheMode(QMovie.CacheMode.CacheAll)
            self.image_label.setMovie(self.movie)
            self.movie.start()
        else:
            self._show_scaled()
        self.status_label.setText(
            f"{self.image.width()} × {self.image.height()} · {len(data) / 1024:,.0f} KB"
        )
        for button in (self.save_button, self.copy_button):
            button.setEnabled(True)

    def _fit_window(self) -> None:
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() * 0.8 if screen else QSize(1200, 900)
        wanted = QSize(self.image.width() + 40, self.image.height() + 90)
        self.resize(
            max(360, min(wanted.width(), room.width())),
            max(280, min(wanted.height(), room.height())),
        )

    def _show_scaled(self) -> None:
        if self.image.isNull() or self.movie is not None:
            return
        room = self.scroll.viewport().size()
        pixmap = QPixmap.fromImage(self.image)
        if pixmap.width() > room.width() or pixmap.height() > room.height():
            pixmap = pixmap.scaled(
                room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.image_label.setPixmap(pixmap)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_scaled()

    def save(self) -> None:
        """Write the original bytes where the user says (a plain slot: the picker is modal)."""
        if not self.data:
            return
        suggested = str(Path.home() / f"image-{self.media_id}.{self.extension}")
        path, _filter = QFileDialog.getSaveFileName(self, S.MEDIA_SAVE_TITLE, suggested)
        if not path:
            return
        try:
            Path(path).write_bytes(self.data)
        except OSError as error:
            self.status_label.setText(error.strerror or str(error))
            return
        self.status_label.setText(S.media_saved(path))

    def copy(self) -> None:
        """Put the picture (and its original bytes) on the clipboard."""
        if self.image.isNull():
            return
        mime = QMimeData()
        mime.setImageData(self.image)
        mime.setData(_TYPES.get(self.extension, "image/jpeg"), QByteArray(self.data))
        QGuiApplication.clipboard().setMimeData(mime)
        self.status_label.setText(S.MEDIA_COPIED)
