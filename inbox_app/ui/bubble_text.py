"""Text is text: a bubble's words can be selected and copied, and a message has a context menu.

The thread's bubbles are painted by a delegate, so their text cannot be selected by itself.
While the pointer is over a bubble's text, `BubbleText` (a read-only, selectable QLabel with the
same font, colour and wrap) lies exactly over it; drag or double-click selects, Ctrl+C copies,
and the selection stays until the user clicks elsewhere. Right-click anywhere on a message opens
`message_menu`: Copy (the selection, else the whole text), Retry, Edit / Cancel, Save image.
"""

from __future__ import annotations

from PySide6.QtCore import QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from inbox_app.models.schemas import MediaOut, MessageOut
from inbox_app.ui import strings as S
from inbox_app.ui import theme

# What each action link under a bubble is called in the menu.
_ACTION_LABELS = {
    "retry": "RETRY",
    "edit": "EDIT_SCHEDULED",
    "cancel": "CANCEL_SCHEDULED",
    "discard": "DISCARD",
    "edit_note": "EDIT_NOTE",
}


class BubbleText(QLabel):
    """A bubble's text, selectable, laid over the painted bubble (see the module docstring).

    Signals:
      menu_requested(QPoint global_pos): right-click on the text.
      released(): it stepped aside (the bubble paints its own text again).
    """

    menu_requested = Signal(QPoint)
    released = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("bubbleText")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setContentsMargins(0, 0, 0, 0)
        self.setMargin(0)
        self.setIndent(0)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.menu_requested.emit(self.mapToGlobal(pos))
        )
        self.index = QPersistentModelIndex()
        self.message_id: int | None = None
        self.hide()

    def cover(
        self, index, message: MessageOut, rect, font: QFont, outgoing: bool, plain: bool
    ) -> None:
        """Lie over the text of `message` (row `index`) at `rect`, in the bubble's colours."""
        if self.message_id != message.id or self.text() != message.body:
            self.setText(message.body)
        self.index = QPersistentModelIndex(index)
        self.message_id = message.id
        self.setFont(font)
        t = theme.current()
        if outgoing and not plain:
            color, selection, selected = t.on_bubble_out, t.on_bubble_out, t.bubble_out
        else:
            color = t.on_bubble_in if not outgoing else t.text
            selection, selected = t.accent, t.on_accent
        self.setStyleSheet(
            f"QLabel#bubbleText {{ color: {color}; background: transparent;"
            f" selection-background-color: {selection}; selection-color: {selected}; }}"
        )
        # Two pixels of slack: QLabel's layout may wrap a hair earlier than the painter's.
        self.setGeometry(rect.adjusted(0, 0, 2, 0))
        self.show()

    def has_selection(self) -> bool:
        return self.isVisible() and self.hasSelectedText()

    def release(self) -> None:
        """Forget the selection and get out of the way."""
        if self.hasSelectedText():
            self.setText(self.text())  # clears the selection
        was_shown = self.isVisible()
        self.message_id = None
        self.index = QPersistentModelIndex()
        self.hide()
        if was_shown:
            self.released.emit()

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and not self.hasSelectedText():
            copy_text(self.text())  # nothing selected: Ctrl+C copies the whole message
            event.accept()
            return
        super().keyPressEvent(event)


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


def stored_media(message: MessageOut) -> list[MediaOut]:
    return [media for media in message.media if media.status == "stored"]


def message_menu(
    parent: QWidget,
    message: MessageOut,
    *,
    selected_text: str = "",
    links: list[tuple[str, str]] = (),
    media_under: MediaOut | None = None,
    on_action=None,
    on_save=None,
) -> QMenu:
    """The context menu of one message; `links` are its (label, kind) action links."""
    menu = QMenu(parent)
    menu.setObjectName("messageMenu")
    text = selected_text or message.body
    copy = QAction(S.MESSAGE_COPY if selected_text else S.MESSAGE_COPY_ALL, menu)
    copy.setObjectName("copyMessageAction")
    copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
    copy.setEnabled(bool(text))
    copy.triggered.connect(lambda _checked=False: copy_text(text))
    menu.addAction(copy)
    kinds = [kind for _label, kind in links]
    if kinds:
        menu.addSeparator()
    for kind in kinds:
        action = QAction(getattr(S, _ACTION_LABELS.get(kind, ""), kind), menu)
        action.setObjectName(f"{kind}MessageAction")
        action.triggered.connect(lambda _checked=False, k=kind: on_action and on_action(k, message))
        menu.addAction(action)
    images = [media_under] if media_under is not None else stored_media(message)
    if images:
        menu.addSeparator()
        if len(images) == 1:
            save = QAction(S.MESSAGE_SAVE_IMAGE, menu)
            save.setObjectName("saveImageAction")
            save.triggered.connect(lambda _checked=False, m=images[0]: on_save and on_save(m))
            menu.addAction(save)
        else:
            sub = menu.addMenu(S.MESSAGE_SAVE_IMAGE)
            sub.setObjectName("saveImageMenu")
            for number, media in enumerate(images, 1):
                item = QAction(S.media_title(number), sub)
                item.triggered.connect(lambda _checked=False, m=media: on_save and on_save(m))
                sub.addAction(item)
    return menu


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


async def save_image(sync_client, media: MediaOut, parent: QWidget) -> str | None:
    """ "Save image…": fetch the original and write it where the user picks; the path, or None.

    The picker is `parent.save_image_dialog` while it is open (no nested event loop).
    """
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    from inbox_app.ui.dialogs._common import ask

    data = await sync_client.media(media.id)
    extension = _EXTENSIONS.get(media.content_type, "jpg")
    suggested = str(Path.home() / f"image-{media.id}.{extension}")
    dialog = QFileDialog(parent, S.MEDIA_SAVE_TITLE, suggested)
    dialog.setObjectName("saveImageDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile(suggested)
    parent.save_image_dialog = dialog
    try:
        if not await ask(dialog) or not dialog.selectedFiles():
            return None
    finally:
        parent.save_image_dialog = None
    path = dialog.selectedFiles()[0]
    Path(path).write_bytes(data)
    return path
