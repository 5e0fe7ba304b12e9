"""How the thread shows the firm's own lines: internal notes and system lines.

A note is a card across the middle of the thread, in the warning colours, headed "Internal
note" with its author and time, so nobody mistakes it for a text the client got. A system line
(an assignment) is one small centred line between thin rules. The thread's delegate asks here
for the layout and the painting of every message of direction `internal`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPainterPath, QPen

from inbox_app.models.schemas import MessageOut
from inbox_app.ui import strings, theme

CARD_PAD_X = 14
CARD_PAD_Y = 9
CARD_RADIUS = 10
STRIPE_W = 4
SYSTEM_H = 26


def is_internal(m: MessageOut) -> bool:
    return m.direction == "internal"


def can_edit_note(m: MessageOut, me: int | None, now: datetime | None = None) -> bool:
    """My own note, still inside its 15 minutes (the server decides in the end)."""
    if m.origin != "note" or me is None or m.sent_by_id != me or m.editable_until is None:
        return False
    return (now or datetime.now(UTC)) < m.editable_until


def note_meta(m: MessageOut) -> str:
    """ "Alice · 3:04 PM · edited" under the "Internal note" label."""
    when = m.created_at.astimezone().strftime("%-I:%M %p")
    parts = [m.sent_by or strings.NOTE_SOMEONE, when]
    if m.edited_at is not None:
        parts.append(strings.NOTE_EDITED)
    return " · ".join(parts)


def internal_layout(
    m: MessageOut, width: int, base: QFont, header, y: int, top: int, left: int, me, actions: bool
):
    """The BubbleLayout of a note or system line starting at `y` (below any day header)."""
    from inbox_app.ui.thread_view import GAP_Y, BubbleLayout, _fonts

    body_font, meta_font, _header_font = _fonts(base)
    mfm = QFontMetrics(meta_font)
    if m.origin == "system":
        line = QRect(left + 18, y + 2, width - 36, SYSTEM_H)
        return BubbleLayout(
            header=header, bubble=line, text=QRect(), meta=line, height=line.bottom() + 1 - top
        )
    fm = QFontMetrics(body_font)
    card_w = max(260, min(620, int(width * 0.78)))
    card_x = left + (width - card_w) // 2
    inner_w = card_w - 2 * CARD_PAD_X - STRIPE_W
    label_font = QFont(meta_font)
    label_font.setWeight(QFont.Weight.DemiBold)
    label_h = max(mfm.height(), QFontMetrics(label_font).height())
    text_h = 0
    if m.body:
        text_h = fm.boundingRect(
            QRect(0, 0, inner_w, 100_000),
            int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft),
            m.body,
        ).height()
    x = card_x + STRIPE_W + CARD_PAD_X
    meta = QRect(x, y + CARD_PAD_Y, inner_w, label_h)
    text = QRect(x, meta.bottom() + 1 + 4, inner_w, text_h)
    card = QRect(card_x, y, card_w, text.bottom() + 1 + CARD_PAD_Y - y)
    links = []
    if actions and can_edit_note(m, me):
        link_font = QFont(meta_font)
        link_font.setWeight(QFont.Weight.DemiBold)
        lw = QFontMetrics(link_font).horizontalAdvance(strings.EDIT_NOTE) + 2
        links.append((QRect(meta.right() - lw, meta.top(), lw, label_h), "edit_note", "Edit"))
    bottom = card.bottom() + 1 + GAP_Y
    return BubbleLayout(
        header=header,
        bubble=card,
        text=text,
        meta=meta,
        actions=[(r, kind, strings.EDIT_NOTE) for r, kind, _label in links],
        height=bottom - top,
    )


def paint_internal(painter: QPainter, m: MessageOut, lay, base: QFont, covered: bool) -> None:
    """Paint a note card or a system line into `lay` (painter state is the caller's)."""
    from inbox_app.ui.thread_view import _fonts

    t = theme.current()
    body_font, meta_font, _header_font = _fonts(base)
    if m.origin == "system":
        mfm = QFontMetrics(meta_font)
        when = m.created_at.astimezone().strftime("%-I:%M %p")
        label = f"{m.body} · {when}"
        label = mfm.elidedText(label, Qt.TextElideMode.ElideMiddle, lay.bubble.width() - 60)
        text_w = mfm.horizontalAdvance(label) + 20
        mid = lay.bubble.center().y()
        cx = lay.bubble.center().x()
        painter.setPen(QPen(t.color("border"), 1))
        painter.drawLine(lay.bubble.left() + 40, mid, cx - text_w // 2, mid)
        painter.drawLine(cx + text_w // 2, mid, lay.bubble.right() - 40, mid)
        painter.setFont(meta_font)
        painter.setPen(t.color("muted"))
        painter.drawText(
            QRect(cx - text_w // 2, lay.bubble.top(), text_w, lay.bubble.height()),
            Qt.AlignmentFlag.AlignCenter,
            label,
        )
        return
    card = QRectF(lay.bubble)
    path = QPainterPath()
    path.addRoundedRect(card, CARD_RADIUS, CARD_RADIUS)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(t.color("warning_bg"))
    painter.drawPath(path)
    painter.save()
    painter.setClipPath(path)
    painter.fillRect(
        QRectF(card.left(), card.top(), STRIPE_W, card.height()), t.color("warning_text")
    )
    painter.restore()
    label_font = QFont(meta_font)
    label_font.setWeight(QFont.Weight.DemiBold)
    lfm = QFontMetrics(label_font)
    label = strings.NOTE_LABEL
    painter.setFont(label_font)
    painter.setPen(t.color("warning_text"))
    painter.drawText(lay.meta, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
    meta_x = lay.meta.left() + lfm.horizontalAdvance(label) + 8
    painter.setFont(meta_font)
    painter.setPen(t.color("muted"))
    meta_rect = QRect(meta_x, lay.meta.top(), lay.meta.right() - meta_x, lay.meta.height())
    if lay.actions:
        meta_rect.setRight(lay.actions[0][0].left() - 8)
    painter.drawText(
        meta_rect,
        Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
        QFontMetrics(meta_font).elidedText(
            note_meta(m), Qt.TextElideMode.ElideRight, max(0, meta_rect.width())
        ),
    )
    if lay.actions:
        link_font = QFont(meta_font)
        link_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(link_font)
        painter.setPen(t.color("accent"))
        for rect, _kind, text in lay.actions:
            painter.drawText(
                rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, text
            )
    if m.body and not covered:
        painter.setFont(body_font)
        painter.setPen(t.color("text"))
        painter.drawText(
            lay.text, int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft), m.body
        )
