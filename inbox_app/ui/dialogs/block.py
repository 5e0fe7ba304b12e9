"""Confirm blocking a number: the thread and its images go for good unless a record is kept.

The dialog names the contact and the number; ticking "keep a read-only record" changes its
sentence and its button to say what will happen instead ("Block and keep record").
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from inbox_app.domain.phone import format_display
from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import ask, dialog_style


def _who(name: str | None, phone: str | None) -> str:
    if phone is None:
        return name or ""
    number = format_display(phone)
    return f"{name} ({number})" if name else number


def block_box(
    parent: QWidget | None = None, name: str | None = None, phone: str | None = None
) -> QMessageBox:
    """The confirmation itself, for callers that show it their own way (see `ask`)."""
    who = _who(name, phone)
    box = QMessageBox(parent)
    box.setObjectName("blockConfirmation")
    box.setStyleSheet(dialog_style())
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(S.block_title(who) if who else S.BLOCK_TITLE)
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

    def say(keeping: bool) -> None:
        box.setText(S.block_text(who, keeping))
        box.setInformativeText(S.BLOCK_INFO_KEEP if keeping else S.BLOCK_INFO)
        block.setText(S.BLOCK_KEEP_BUTTON if keeping else S.BLOCK_BUTTON)

    keep.toggled.connect(say)
    say(False)
    return box


def _answer(box: QMessageBox) -> tuple[bool, bool]:
    ok = box.clickedButton() is box.findChild(QWidget, "blockButton")
    return ok, ok and box.checkBox().isChecked()


def confirm_block(
    parent: QWidget | None = None, name: str | None = None, phone: str | None = None
) -> tuple[bool, bool]:
    """(ok, keep_record). Runs a nested event loop: call it from a plain slot, not a coroutine."""
    box = block_box(parent, name, phone)
    box.exec()
    return _answer(box)


async def confirm_block_async(
    parent: QWidget | None = None, name: str | None = None, phone: str | None = None
) -> tuple[bool, bool]:
    """(ok, keep_record), for coroutines (asyncSlot): no nested event loop."""
    box = block_box(parent, name, phone)
    await ask(box)
    return _answer(box)
