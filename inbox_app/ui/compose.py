"""The compose box: Enter sends, live segment counter, UCS-2 hints, sensitive-data check."""

from __future__ import annotations

import html
import logging
import math
import re
import time
import unicodedata
from datetime import datetime

from PySide6.QtCore import QEvent, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.domain.sensitive import Finding, find_sensitive
from inbox_app.domain.sms import MAX_SEGMENTS, Encoding, gsm_lookalikes, measure
from inbox_app.ui import strings, theme

log = logging.getLogger("inbox.ui")

CREDITS_PER_MESSAGE = 1
# While the user types a text, colleagues hear of it at most this often (presence.typing).
TYPING_INTERVAL = 3.0
# The server's limit of an internal note's length.
NOTE_MAX = 2000


# "@" and the start of a username, as the server reads a mention (services/notes.py), just
# before the cursor.
_MENTION_BEFORE_CURSOR = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9_.\-]*)?$")
_COMPLETER_KEYS = (
    Qt.Key.Key_Return,
    Qt.Key.Key_Enter,
    Qt.Key.Key_Tab,
    Qt.Key.Key_Backtab,
    Qt.Key.Key_Escape,
)


class ComposeEdit(QPlainTextEdit):
    """Plain-text editor where Enter submits and Shift+Enter starts a new line.

    In a note (`mentions` on), "@" and the start of a colleague's username offer the matching
    usernames in a popup; Enter or Tab puts the chosen "@username " in.

    Signals:
      submitted(): Enter was pressed.
      quick_reply_wanted(): `/` at the start of a line, or Ctrl+K: open the quick replies.
    """

    submitted = Signal()
    quick_reply_wanted = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("composeEdit")
        self.setTabChangesFocus(True)
        self.setPlaceholderText(strings.COMPOSE_PLACEHOLDER)
        self.setToolTip(strings.COMPOSE_KEYS)
        self.setAccessibleDescription(strings.COMPOSE_KEYS)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.image_sink = None
        self.mentions = False
        self._names = QStringListModel(self)
        self.completer = QCompleter(self._names, self)
        self.completer.setWidget(self)
        self.completer.setObjectName("mentionCompleter")
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.popup().setObjectName("mentionPopup")
        self.completer.popup().setAccessibleName(strings.MENTION_POPUP)
        self.completer.activated.connect(self._complete_mention)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def set_mention_names(self, usernames: list[str]) -> None:
        """Whom "@" offers (the firm's colleagues, by username)."""
        self._names.setStringList(sorted(usernames, key=str.lower))

    def event(self, event) -> bool:
        # Tab moves the focus before keyPressEvent sees it; with names offered it takes the
        # highlighted one (or the first), as Enter does.
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
            and self.completer.popup().isVisible()
        ):
            popup = self.completer.popup()
            index = popup.currentIndex()
            if not index.isValid():
                index = self.completer.completionModel().index(0, 0)
            self._complete_mention(index.data())
            popup.hide()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.completer.popup().isVisible() and event.key() in _COMPLETER_KEYS:
            event.ignore()  # the popup takes Enter and Escape
            return
        if not self.isReadOnly() and self._asks_quick_reply(event):
            self.quick_reply_wanted.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            return
        super().keyPressEvent(event)
        self._offer_mentions()

    def _mention_prefix(self) -> str | None:
        """The "@…" being typed just before the cursor, without the "@"; None when there is none."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return None
        block = cursor.block().text()[: cursor.positionInBlock()]
        match = _MENTION_BEFORE_CURSOR.search(block)
        return None if match is None else (match.group(1) or "")

    def _offer_mentions(self) -> None:
        popup = self.completer.popup()
        prefix = self._mention_prefix() if self.mentions and not self.isReadOnly() else None
        if prefix is None:
            popup.hide()
            return
        self.completer.setCompletionPrefix(prefix)
        if self.completer.completionCount() == 0:
            popup.hide()
            return
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.cursorRect().translated(self.viewport().geometry().topLeft())
        rect.setWidth(
            popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 24
        )
        self.completer.complete(rect)
        log.info("mention popup shown (%d)", self.completer.completionCount())

    def _complete_mention(self, username: str) -> None:
        prefix = self._mention_prefix()
        if prefix is None or not username:
            return
        cursor = self.textCursor()
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(prefix) + 1
        )
        cursor.insertText(f"@{username} ")
        self.setTextCursor(cursor)
        log.info("mention inserted")

    def _asks_quick_reply(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_K and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            return True
        if event.text() != "/" or self.textCursor().hasSelection():
            return False
        # Only at the start of a line: "and/or" and "1/2" stay plain text.
        cursor = self.textCursor()
        before = self.toPlainText()[: cursor.position()]
        return not before or before.endswith("\n")

    def _fit(self, *_args) -> None:
        # Grow with the text from one to six lines, then scroll.
        line = self.fontMetrics().lineSpacing()
        wanted = int(self.document().size().height())
        lines = max(1, min(6, wanted))
        # While the box is as tall as its text, no scrollbar: a transient one (shown before the
        # height caught up) narrowed the text, re-wrapped it and then stayed.
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            if wanted <= 6
            else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        frame = int(self.document().documentMargin() * 2) + self.frameWidth() * 2
        # 14: the stylesheet's vertical padding and border.
        self.setFixedHeight(lines * line + frame + 14)

    def canInsertFromMimeData(self, source) -> bool:
        return source.hasImage() or source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source) -> None:
        # Pasted or dropped images go to the attachment strip, text into the editor.
        if (
            (source.hasImage() or source.hasUrls())
            and self.image_sink is not None
            and self.image_sink(source)
        ):
            return
        super().insertFromMimeData(source)


def counter_text(text: str, *, has_images: bool = False) -> tuple[str, bool]:
    """The live counter under a message being written, and whether it is over the limit.

    Nothing written costs nothing: the credit appears once there is text or an image.
    """
    m = measure(text)
    if m.segments > MAX_SEGMENTS:
        return strings.OVER_LIMIT.format(segments=m.segments, max=MAX_SEGMENTS), True
    if not text and not has_images:
        return strings.COUNTER_EMPTY.format(max=MAX_SEGMENTS), False
    credits = (
        strings.CREDITS_ONE
        if CREDITS_PER_MESSAGE == 1
        else strings.CREDITS_N.format(n=CREDITS_PER_MESSAGE)
    )
    label = strings.COUNTER.format(
        chars=m.characters,
        segments=m.segments,
        max=MAX_SEGMENTS,
        encoding=str(m.encoding),
        credits=credits,
    )
    return label, False


def describe_findings(findings: list[Finding]) -> str:
    kinds = {f.kind for f in findings}
    names = []
    if "ssn" in kinds:
        names.append(strings.tr("a Social Security number"))
    if "card" in kinds:
        names.append(strings.tr("a payment card number"))
    return strings.tr(" and ").join(names)


class ComposeBox(QFrame):
    """Writes one message. The window sends it; this box only checks and emits.

    Signals:
      send_requested(str body, object send_at, list images): send now (send_at None) or later;
        images are (filename, content_type, bytes).
      quick_reply_chosen(QuickReplyOut): a quick reply was picked; the window has the server
        render it for this conversation and hands the text to `insert_text`.
      manage_quick_replies(): the picker's "Manage…" was clicked.
      note_requested(str body): add this internal note (note mode: never sent to the client).
      typing(): the user is writing a text (not a note); at most once every TYPING_INTERVAL
        seconds while they go on, never for text the window puts in (`set_text`).
    """

    send_requested = Signal(str, object, list)
    note_requested = Signal(str)
    typing = Signal()
    quick_reply_chosen = Signal(object)
    manage_quick_replies = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("composeArea")
        self._can_send = True
        self._can_write_note = True
        self.sensitive_box: QMessageBox | None = None
        self.send_later_dialog = None
        # The recipient's IANA zone; the send-later dialog shows the client's clock beside mine.
        self.recipient_zone: str | None = None

        self.edit = ComposeEdit(self)
        self.edit.textChanged.connect(self.update_counter)
        self._typing_said_at = -math.inf
        self._quiet = False
        self.edit.textChanged.connect(self._edited)
        self.edit.submitted.connect(self.submit)
        self.edit.quick_reply_wanted.connect(self.open_quick_replies)
        self.quick_replies: list = []
        self.picker = None

        self.counter = QLabel(self)
        self.counter.setObjectName("composeCounter")
        self.counter.setTextFormat(Qt.TextFormat.PlainText)

        self.ucs2 = QFrame(self)
        self.ucs2.setObjectName("ucs2Warning")
        self.ucs2_label = QLabel(self.ucs2)
        self.ucs2_label.setObjectName("ucs2Label")
        self.ucs2_label.setWordWrap(True)
        self.ucs2_label.setTextFormat(Qt.TextFormat.RichText)
        self.replace_button = QPushButton(strings.REPLACE_PLAIN, self.ucs2)
        self.replace_button.setObjectName("replacePlainButton")
        self.replace_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.replace_button.clicked.connect(self.replace_with_plain)
        row = QHBoxLayout(self.ucs2)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.ucs2_label, 1)
        row.addWidget(self.replace_button)
        self.ucs2.hide()

        self.attach_button = QToolButton(self)
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setToolTip(strings.ATTACH)
        self.attach_button.setIconSize(QSize(20, 20))
        self.attachments = self._make_attachments()
        if self.attachments is None:
            self.attach_button.hide()
        else:
            self.attach_button.clicked.connect(self._pick_files)

        self.note_mode = False
        self.note_button = QToolButton(self)
        self.note_button.setObjectName("noteToggle")
        self.note_button.setText(strings.NOTE_TOGGLE)
        self.note_button.setToolTip(strings.NOTE_TOGGLE_TIP)
        self.note_button.setAccessibleName(strings.NOTE_TOGGLE_TIP)
        self.note_button.setCheckable(True)
        self.note_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.note_button.toggled.connect(lambda on: self.set_note_mode(on))

        self.send_later_button = QPushButton(strings.SEND_LATER, self)
        self.send_later_button.setObjectName("sendLaterButton")
        self.send_later_button.clicked.connect(self.send_later)
        self.send_button = QPushButton(strings.SEND, self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(False)
        self.send_button.clicked.connect(self.submit)

        bar = QHBoxLayout()
        bar.setSpacing(8)
        bar.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        bar.addWidget(self.note_button, 0, Qt.AlignmentFlag.AlignBottom)
        bar.addWidget(self.edit, 1)
        bar.addWidget(self.send_later_button, 0, Qt.AlignmentFlag.AlignBottom)
        bar.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        bar_widget = QWidget(self)
        bar_widget.setObjectName("composeBar")
        bar_widget.setLayout(bar)
        bar.setContentsMargins(0, 0, 0, 0)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 8)
        layout.setSpacing(6)
        layout.addWidget(self.ucs2)
        if self.attachments is not None:
            layout.addWidget(self.attachments)
        layout.addWidget(bar_widget)
        layout.addWidget(self.counter, 0, Qt.AlignmentFlag.AlignRight)
        # Keyboard order follows the eye: attach, the text, its GSM-7 fix, send later, send.
        QWidget.setTabOrder(self.attach_button, self.note_button)
        QWidget.setTabOrder(self.note_button, self.edit)
        QWidget.setTabOrder(self.edit, self.replace_button)
        QWidget.setTabOrder(self.replace_button, self.send_later_button)
        QWidget.setTabOrder(self.send_later_button, self.send_button)
        self.refresh_icons()
        self.update_counter()

    def refresh_icons(self) -> None:
        self.attach_button.setIcon(theme.icon("paperclip"))

    # --- internal notes -----------------------------------------------------------------------

    def set_note_mode(self, on: bool, *, focus: bool = True) -> None:
        """Write an internal note instead of a text: for the firm only, never sent."""
        self.note_mode = bool(on)
        self.edit.mentions = self.note_mode  # "@" completes colleagues' names in notes only
        if not self.note_mode:
            self.edit.completer.popup().hide()
        if self.note_button.isChecked() != self.note_mode:
            self.note_button.setChecked(self.note_mode)
        for widget in (self, self.edit, self.counter):
            widget.setProperty("note", self.note_mode)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.edit.setPlaceholderText(
            strings.NOTE_PLACEHOLDER if self.note_mode else strings.COMPOSE_PLACEHOLDER
        )
        self.send_button.setText(strings.NOTE_ADD if self.note_mode else strings.SEND)
        self.send_later_button.setVisible(not self.note_mode)
        self.attach_button.setVisible(not self.note_mode and self.attachments is not None)
        if self.attachments is not None and self.note_mode:
            self.attachments.hide()
        elif self.attachments is not None:
            self.attachments.setVisible(self.attachments.count() > 0)
        self._update_read_only()
        self.update_counter()
        if focus:
            self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- quick replies ------------------------------------------------------------------------

    def set_quick_replies(self, rows: list) -> None:
        """The firm's quick replies and mine (QuickReplyOut), as the server listed them."""
        self.quick_replies = list(rows)
        if self.picker is not None:
            self.picker.set_replies(self.quick_replies)

    def open_quick_replies(self) -> None:
        """Show the picker over the editor, filtering as the user types."""
        if self.edit.isReadOnly():
            return
        if self.picker is None:
            from inbox_app.ui.quick_replies import QuickReplyPicker

            self.picker = QuickReplyPicker(self)
            self.picker.chosen.connect(self._quick_reply_picked)
            self.picker.manage_requested.connect(self.manage_quick_replies.emit)
        self.picker.set_replies(self.quick_replies)
        self.picker.open_over(self.edit)
        log.info("quick reply picker shown (%d)", len(self.quick_replies))

    def _quick_reply_picked(self, reply) -> None:
        self.edit.setFocus(Qt.FocusReason.PopupFocusReason)
        self.quick_reply_chosen.emit(reply)

    def insert_text(self, text: str) -> None:
        """Put `text` where the cursor is (replacing a selection); the counter follows."""
        self.edit.textCursor().insertText(text)
        self.edit.ensureCursorVisible()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- attachments ------------------------------------------------------------------------

    def _make_attachments(self):
        from inbox_app.ui.attachments import AttachmentStrip

        try:
            strip = AttachmentStrip(self, show_button=False)
        except Exception:
            log.exception("attachment strip could not be created")
            return None
        strip.changed.connect(self.update_counter)
        strip.changed.connect(lambda: strip.setVisible(strip.count() > 0))
        strip.refused.connect(lambda _sentence: strip.setVisible(True))
        strip.hide()
        self.edit.image_sink = strip.add_from_mime_data
        return strip

    def _pick_files(self) -> None:
        self.attachments.pick_files()

    def images(self) -> list[tuple[str, str, bytes]]:
        return [] if self.attachments is None else list(self.attachments.attachments())

    # --- state ------------------------------------------------------------------------------

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self._quiet = True
        try:
            self.edit.setPlainText(text)
        finally:
            self._quiet = False
        self.edit.moveCursor(QTextCursor.MoveOperation.End)

    def restore(self, body: str, images=()) -> None:
        """Put a text that was not sent back, with its images, unless something new was written."""
        if self.text():
            return
        self.set_text(body)
        if self.attachments is not None:
            for name, _content_type, data in images:
                self.attachments.add_bytes(name, data)

    def clear(self) -> None:
        self._quiet = True
        try:
            self.edit.clear()
        finally:
            self._quiet = False
        # The next text is news at once: colleagues saw this one arrive.
        self._typing_said_at = -math.inf
        if self.attachments is not None:
            self.attachments.clear()

    def _edited(self) -> None:
        if self._quiet or self.note_mode or self.edit.isReadOnly() or not self.text().strip():
            return
        now = time.monotonic()
        if now - self._typing_said_at >= TYPING_INTERVAL:
            self._typing_said_at = now
            self.typing.emit()

    def set_can_send(self, allowed: bool, *, can_note: bool | None = None) -> None:
        """Disable sending (no thread open, or the number opted out / is read-only); notes
        may still be written (`can_note`, default: like sending) where texts may not."""
        self._can_send = allowed
        self._can_write_note = allowed if can_note is None else can_note
        self.note_button.setEnabled(self._can_write_note)
        if self.note_mode and not self._can_write_note:
            self.set_note_mode(False)
        self._update_read_only()
        self.update_counter()

    def _update_read_only(self) -> None:
        writable = self._can_send or (self.note_mode and self._can_write_note)
        self.edit.setReadOnly(not writable)

    def update_counter(self) -> None:
        text = self.text()
        m = measure(text)
        if self.note_mode:
            over = len(text) > NOTE_MAX
            label = (
                strings.NOTE_TOO_LONG.format(chars=len(text), max=NOTE_MAX)
                if over
                else strings.NOTE_COUNTER
            )
            self._show_counter(label, over)
            self.ucs2.hide()
            ok = self._can_write_note and bool(text.strip()) and not over
            self.send_button.setEnabled(ok)
            return
        label, over = counter_text(text, has_images=bool(self.images()))
        self._show_counter(label, over)
        self._update_ucs2(text, m)
        has_content = bool(text.strip()) or bool(self.images())
        ok = self._can_send and has_content and not over
        self.send_button.setEnabled(ok)
        self.send_later_button.setEnabled(ok)

    def _show_counter(self, label: str, over: bool) -> None:
        self.counter.setText(label)
        if self.counter.property("over") != over:
            self.counter.setProperty("over", over)
            self.counter.style().unpolish(self.counter)
            self.counter.style().polish(self.counter)

    def _update_ucs2(self, text: str, m) -> None:
        if m.encoding is not Encoding.UCS2 or not m.ucs2_characters:
            self.ucs2.hide()
            return
        shown = _character_chips(m.ucs2_characters[:8])
        self.ucs2_label.setToolTip("\n".join(_character_name(ch) for ch in m.ucs2_characters[:20]))
        plain_text = gsm_lookalikes(text)
        plain = measure(plain_text)
        fixable = plain_text != text
        if fixable and plain.encoding is Encoding.GSM7 and plain.segments != m.segments:
            self.ucs2_label.setText(
                strings.UCS2_NOTICE.format(
                    chars=shown,
                    segments=_segments(m.segments),
                    plain=_segments(plain.segments),
                )
            )
        else:
            self.ucs2_label.setText(strings.UCS2_NOTICE_SHORT.format(chars=shown))
        self.replace_button.setVisible(fixable)
        self.ucs2.show()

    def replace_with_plain(self) -> None:
        """Swap curly quotes, dashes and odd spaces for their GSM-7 look-alikes."""
        cursor = self.edit.textCursor()
        position = cursor.position()
        text = self.text()
        before = gsm_lookalikes(text[:position])
        self.edit.setPlainText(gsm_lookalikes(text))
        cursor = self.edit.textCursor()
        cursor.setPosition(min(len(before), len(self.text())))
        self.edit.setTextCursor(cursor)
        # The button hides once the text fits; the writer goes on typing where they were.
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- sending ----------------------------------------------------------------------------

    def submit(self, send_at: datetime | None = None) -> None:
        """Check, maybe ask about sensitive numbers, then emit send_requested."""
        if not self.send_button.isEnabled():
            return
        body = self.text()
        if self.note_mode:
            self.note_requested.emit(body)
            return
        images = self.images()
        findings = find_sensitive(body)
        if findings:
            self._confirm_sensitive(findings, body, send_at, images)
            return
        self.send_requested.emit(body, send_at if isinstance(send_at, datetime) else None, images)

    def _confirm_sensitive(self, findings, body, send_at, images) -> None:
        box = QMessageBox(self)
        box.setObjectName("sensitiveConfirm")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(strings.SENSITIVE_TITLE)
        box.setText(strings.SENSITIVE_TEXT.format(what=describe_findings(findings)))
        send = box.addButton(strings.SEND_ANYWAY, QMessageBox.ButtonRole.AcceptRole)
        send.setObjectName("sendAnywayButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        self.sensitive_box = box

        def done(_result: int) -> None:
            self.sensitive_box = None
            if box.clickedButton() is send:
                when = send_at if isinstance(send_at, datetime) else None
                self.send_requested.emit(body, when, images)
            box.deleteLater()

        box.finished.connect(done)
        # open(), not exec(): a nested event loop would re-enter running asyncio tasks.
        box.open()

    def send_later(self) -> None:
        """Pick a time (SendLaterDialog), then submit for that time."""
        from inbox_app.ui.dialogs.send_later import SendLaterDialog

        dialog = SendLaterDialog(self, recipient_zone=self.recipient_zone)
        dialog.setObjectName(dialog.objectName() or "sendLaterDialog")
        self.send_later_dialog = dialog

        def done(result: int) -> None:
            self.send_later_dialog = None
            if result and dialog.send_at is not None:
                self.submit(dialog.send_at)
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()


def _character_name(ch: str) -> str:
    names = [unicodedata.name(c, f"U+{ord(c):04X}").lower() for c in ch]
    return f"{ch}  {' + '.join(names)}"


def _character_chips(characters) -> str:
    """The characters as small highlighted chips (rich text), invisible ones by code."""
    t = theme.current()
    chips = []
    for ch in characters:
        shown = ch if ch.isprintable() and ch.strip() else f"U+{ord(ch[0]):04X}"
        chips.append(
            f"<span style='background:{t.raised}; color:{t.text}; font-weight:600'>"
            f"&nbsp;{html.escape(shown)}&nbsp;</span>"
        )
    return " ".join(chips)


def _segments(n: int) -> str:
    return f"{n} {strings.SEGMENT if n == 1 else strings.SEGMENTS}"
