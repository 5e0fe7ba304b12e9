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
MUTED_STYLE = "QLabel { color: #5f6b7a; }"


def dialog_style() -> str:
    """The dialogs' look in the current theme's colours (light or dark)."""
    t = theme.current()
    return f"""
QLineEdit, QPlainTextEdit {{
    background: {t.raised}; border: 1px solid {t.border}; border-radius: 6px; padding: 5px 8px;
    selection-background-color: {t.accent};
}}
QLineEdit:focus, QPlainTextEdit:focus {{ border: 1px solid {t.accent}; }}
QSpinBox, QDateTimeEdit, QComboBox {{ min-height: 24px; }}
QPushButton {{
    background: {t.raised}; color: {t.text}; border: 1px solid {t.border}; border-radius: 8px;
    padding: 6px 16px;
}}
QPushButton:hover {{ background: {t.hover}; }}
QPushButton:disabled {{ color: {t.faint}; }}
QPushButton[primary="true"] {{
    background: {t.accent}; color: {t.on_accent}; border: none; font-weight: 600;
}}
QPushButton[primary="true"]:hover {{ background: {t.accent_hover}; }}
QPushButton[primary="true"]:disabled {{ background: {t.border}; color: {t.faint}; }}
QPushButton[danger="true"] {{
    background: {t.danger}; color: #ffffff; border: none; font-weight: 600;
}}
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
    dialog.open()
    return await future
