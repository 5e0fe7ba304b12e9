"""Pieces the dialogs share: the in-dialog error line and a modal run that suits qasync."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from inbox_app.ui import theme

ERROR_STYLE = (
    "QLabel { color: #9b1c1c; background: #fdecec; border: 1px solid #f5c2c2;"
    " border-radius: 4px; padding: 6px 8px; }"
)
NOTE_STYLE = (
    "QLabel { color: #14532d; background: #ecfdf3; border: 1px solid #b7ebc9;"
    " border-radius: 4px; padding: 6px 8px; }"
)
HEADING_STYLE = "QLabel { font-size: 15pt; font-weight: 600; }"
SECTION_STYLE = "QLabel { font-size: 11pt; font-weight: 600; margin: 8px 0 0 0; padding: 0; }"
# The palette's placeholder colour is the theme's `hint` (4.5:1 or more in light and dark).
MUTED_STYLE = "QLabel { color: palette(placeholder-text); }"


def dialog_style() -> str:
    """The dialogs' look in the current theme's colours (light or dark)."""
    t = theme.current()
    return f"""
QLineEdit, QPlainTextEdit {{
    background: {t.raised}; border: 1px solid {t.border}; border-radius: 6px; padding: 5px 8px;
    selection-background-color: {t.accent};
}}
QLineEdit:focus, QPlainTextEdit:focus {{ border: 2px solid {t.accent}; padding: 4px 7px; }}
QSpinBox, QDateTimeEdit, QComboBox {{ min-height: 24px; }}
QPushButton {{
    background: {t.raised}; color: {t.text}; border: 1px solid {t.border}; border-radius: 8px;
    padding: 6px 16px;
}}
QPushButton:hover {{ background: {t.hover}; }}
QPushButton:focus {{ border: 2px solid {t.accent}; padding: 5px 15px; }}
QPushButton:disabled {{ color: {t.hint}; }}
QPushButton[primary="true"] {{
    background: {t.accent}; color: {t.on_accent}; border: 2px solid {t.accent}; font-weight: 600;
    padding: 5px 15px;
}}
QPushButton[primary="true"]:hover {{ background: {t.accent_hover}; }}
QPushButton[primary="true"]:focus {{ border-color: {t.text}; }}
QPushButton[primary="true"]:disabled {{
    background: {t.hover}; color: {t.hint}; border: 2px solid {t.border};
}}
QPushButton[danger="true"] {{
    background: {t.danger}; color: {t.on_danger}; border: 2px solid {t.danger}; font-weight: 600;
    padding: 5px 15px;
}}
QPushButton[danger="true"]:focus {{ border-color: {t.text}; }}
QListWidget:focus, QTableWidget:focus {{ border: 2px solid {t.accent}; }}
QGroupBox {{
    background: {t.raised}; border: 1px solid {t.border}; border-radius: 8px;
    margin-top: 18px; padding: 14px 12px 10px 12px; font-weight: 600;
}}
QGroupBox::title {{ subcontrol-origin: margin; left: 12px; top: 2px; padding: 0 4px; }}
QTableWidget, QListWidget {{
    background: {t.raised}; border: 1px solid {t.border}; border-radius: 8px;
    alternate-background-color: {t.hover}; selection-background-color: {t.selection};
    selection-color: {t.text}; outline: none;
}}
QListWidget::item {{ padding: 6px 8px; }}
QHeaderView::section {{
    background: {t.raised}; color: {t.muted}; border: none; border-bottom: 1px solid {t.border};
    padding: 6px 8px; font-weight: 600;
}}
QCheckBox {{ font-weight: normal; }}
"""


def mark_primary(button: QPushButton) -> QPushButton:
    """The dialog's main action, in the accent colour."""
    button.setProperty("primary", True)
    button.setDefault(True)
    return button


class MessageLabel(QLabel):
    """A word-wrapped line that shows an error or a confirmation, hidden while empty."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setStyleSheet(ERROR_STYLE)
        self.hide()

    def show_error(self, text: str) -> None:
        self._show(text, ERROR_STYLE)

    def show_note(self, text: str) -> None:
        self._show(text, NOTE_STYLE)

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    def _show(self, text: str, style: str) -> None:
        self.setStyleSheet(style)
        self.setText(text)
        self.show()


async def ask(dialog: QDialog) -> int:
    """Show `dialog` modally and wait for its result without a nested event loop.

    `exec()` inside a coroutine would run other asyncio tasks from within this one, which
    asyncio refuses; `open()` plus a future keeps the single loop.
    """
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(done)
    # QDialog.open, not dialog.open: PySide6 6.11 binds QPrintDialog.open and
    # QPrintPreviewDialog.open only as open(receiver, member), so open() raises TypeError there.
    QDialog.open(dialog)
    return await future
