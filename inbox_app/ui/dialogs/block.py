"""Confirm blocking a number: the thread and its images go for good unless a record is kept."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import ask, dialog_style


def block_box(parent: QWidget | None = None) -> QMessageBox:
    """The confirmation itself, for callers that show it their own way (see `ask`)."""
    box = QMessageBox(parent)
    box.setObjectName("blockConfirmation")
    box.setStyleSheet(dialog_style())
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(S.BLOCK_TITLE)
    box.setText(S.BLOCK_TEXT)
    box.setInformativeText(S.BLOCK_INFO)
    keep = QCheckBox(S.BLOCK_KEEP, box)  # parented: setCheckBox does not take ownership
    keep.setObjectName("keepRecordCheck")
    box.setCheckBox(keep)
    block = box.addButton(S.BLOCK_BUTTON, QMessageBox.ButtonRole.DestructiveRole)
    block.setObjectName("blockButton")
    block.setProperty("danger", True)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("blockCancelButton")
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box


def _answer(box: QMessageBox) -> tuple[bool, bool]:
    ok = box.clickedButton() is box.findChild(QWidget, "blockButton")
    return ok, ok and box.checkBox().isChecked()


def confirm_block(parent: QWidget | None = None) -> tuple[bool, bool]:
    """(ok, keep_record). Runs a nested event loop: call it from a plain slot, not a coroutine."""
    box = block_box(parent)
    box.exec()
    return _answer(box)


async def confirm_block_async(parent: QWidget | None = None) -> tuple[bool, bool]:
    """(ok, keep_record), for coroutines (asyncSlot): no nested event loop."""
    box = block_box(parent)
    await ask(box)
    return _answer(box)
