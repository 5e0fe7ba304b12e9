"""The printout's pages, laid out and painted one message at a time with QPainter.

Everything is measured in layout pixels (96 per inch) with pixel-sized fonts, and painted with
the painter scaled to the device, so a PDF, a printer and a preview image paginate alike.
A message is a block of rows (its meta line, each line of its text, each row of images, …).
Pagination is one deterministic pass over the blocks: a message that fits on a page is never
split; a taller one is split between rows. Pass one only measures and keeps where each page
starts; painting page n starts from there and lays out only that page's messages again, so
neither the layouts nor the images of the whole thread are ever in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPainter,
    QPen,
)

from inbox_app.domain.phone import format_display
from inbox_app.models.schemas import MediaOut, MessageOut
from inbox_app.ui import strings as S

LAYOUT_DPI = 96
MAX_IMAGE_W = 300  # layout pixels
MAX_IMAGE_H = 220
IMAGE_GAP = 6
STRIPE_W = 3
WHEN_W = 150
HEADER_H = 30
FOOTER_H = 30
BAND_GAP = 12
PAD_TOP = 7
PAD_BOTTOM = 9
CONTENT_PAD_L = 6
CONTENT_PAD_R = 4
WHEN_PAD = 10

ACCENT = "#2f5bc0"
INBOUND = "#1f8a5b"
# Internal notes and system lines: the firm's own, never sent (amber, like the app's note card).
INTERNAL = "#8a5a00"
TEXT = "#1b2130"
MUTED = "#687084"
RULE = "#d9dde5"
ERROR = "#b42318"
BOX = "#f4f6fa"
FAMILIES = ["Segoe UI", "Helvetica Neue", "Arial", "DejaVu Sans"]
MONO_FAMILIES = ["Consolas", "Menlo", "DejaVu Sans Mono", "monospace"]

_COLORS: dict[str, QColor] = {}


def _color(name: str) -> QColor:
    color = _COLORS.get(name)
    if color is None:
        color = _COLORS[name] = QColor(name)
    return color


Draw = Callable[[QPainter, float, float], None]
ImageFor = Callable[[int], QImage | None]


def _font(points: float, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(MONO_FAMILIES if mono else FAMILIES)
    font.setPixelSize(round(points * LAYOUT_DPI / 72))
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


class Fonts:
    """The printout's fonts, each with its Metrics (so word widths are shared per font)."""

    def __init__(self) -> None:
        self.body = Metrics(_font(9.5))
        self.bold = Metrics(_font(9.5, bold=True))
        self.small = Metrics(_font(7.5))
        self.title = Metrics(_font(17, bold=True))
        self.subtitle = Metrics(_font(10.5))
        self.heading = Metrics(_font(11, bold=True))
        self.note = Metrics(_font(8.5))
        self.end = Metrics(_font(8))
        self.mono = Metrics(_font(9.5, bold=True, mono=True))
        self.band = _font(8)
        self.band_bold = _font(8, bold=True)
        self.firm = _font(11, bold=True)
        self.band_right = _font(8.5)


@dataclass
class Row:
    height: float
    draw: Draw | None = None  # paints at (x, y) = the row's top-left; None when only measuring


@dataclass
class Block:
    """One message (or the title, or the closing box): rows beside an optional side column."""

    rows: list[Row]
    pad_top: float = 0
    pad_bottom: float = 0
    side_height: float = 0
    # Paints the stripe, the time column and the rule: (painter, y, height, first, last).
    side: Callable[[QPainter, float, float, bool, bool], None] | None = None
    background: str | None = None
    content_x: float = 0

    @property
    def height(self) -> float:
        return (
            self.pad_top
            + max(sum(r.height for r in self.rows), self.side_height)
            + (self.pad_bottom)
        )


@dataclass
class Piece:
    """Rows first..last-1 of block number `block`, painted at `y` on the current page."""

    block: int
    first: int
    last: int
    y: float
    height: float
    rows: Block


class Metrics:
    """One font's line spacing and word widths; words are measured once (shaping is the cost).

    Lines are broken here, greedily at spaces, so measuring and painting break them alike and
    painting draws each line as it is.
    """

    CACHE = 50_000  # words kept per font; cleared when full, so memory stays bounded

    def __init__(self, font: QFont) -> None:
        self.font = font
        self._qt = QFontMetricsF(font)
        self.ascent = self._qt.ascent()
        self.line = self._qt.lineSpacing()
        self.space = self._qt.horizontalAdvance(" ")
        self._words: dict[str, float] = {}

    def word(self, word: str) -> float:
        width = self._words.get(word)
        if width is None:
            if len(self._words) >= self.CACHE:
                self._words.clear()
            width = self._words[word] = self._qt.horizontalAdvance(word)
        return width

    def width(self, text: str) -> float:
        words = text.split(" ")
        return sum(self.word(w) for w in words) + self.space * (len(words) - 1)

    def elide(self, text: str, width: float) -> str:
        if self.width(text) <= width:
            return text
        return self._qt.elidedText(text, Qt.TextElideMode.ElideRight, width)

    def lines(self, text: str, width: float) -> list[str]:
        """`text` broken into lines no wider than `width` (a too-long word is cut)."""
        out: list[str] = []
        current: list[str] = []
        used = 0.0
        for word in text.split(" "):
            w = self.word(word)
            if w > width:  # a long link or number: cut it where it reaches the edge
                if current:
                    out.append(" ".join(current))
                    current, used = [], 0.0
                piece = ""
                for char in word:
                    if piece and self.word(piece + char) > width:
                        out.append(piece)
                        piece = ""
                    piece += char
                current, used = [piece], self.word(piece)
                continue
            extra = w + (self.space if current else 0.0)
            if current and used + extra > width:
                out.append(" ".join(current))
                current, used = [word], w
            else:
                current.append(word)
                used += extra
        if current or not out:
            out.append(" ".join(current))
        return out


def _text_rows(
    text: str,
    metrics: Metrics,
    width: float,
    color: str,
    line: float,
    align_center: bool = False,
    paint: bool = True,
) -> list[Row]:
    """One row per wrapped line, so a long text can continue on the next page."""
    # A little room for kerning between words, which the word widths do not include.
    lines = metrics.lines(text, width - 2)
    height = max(line, metrics.line)
    if not paint:
        return [Row(height) for _ in lines]
    rows = []
    for text_line in lines:
        offset = (width - metrics.width(text_line)) / 2 if align_center else 0.0

        def draw(painter: QPainter, x: float, y: float, _t=text_line, _o=offset) -> None:
            painter.setFont(metrics.font)
            painter.setPen(_color(color))
            painter.drawText(QPointF(x + _o, y + metrics.ascent), _t)

        rows.append(Row(height, draw))
    return rows


def _single(
    text: str, metrics: Metrics, width: float, color: str, line: float, paint: bool = True
) -> Row:
    if not paint:
        return Row(line)

    def draw(painter: QPainter, x: float, y: float) -> None:
        painter.setFont(metrics.font)
        painter.setPen(_color(color))
        painter.drawText(QPointF(x, y + metrics.ascent), metrics.elide(text, width))

    return Row(line, draw)


def _image_size(media: MediaOut, image: QImage | None) -> tuple[float, float]:
    width = media.width or (image.width() if image is not None else 0)
    height = media.height or (image.height() if image is not None else 0)
    if not width or not height:
        return MAX_IMAGE_W * 0.6, MAX_IMAGE_H * 0.6
    scale = min(1.0, MAX_IMAGE_W / width, MAX_IMAGE_H / height)
    return max(1.0, width * scale), max(1.0, height * scale)


def _when(message: MessageOut):
    return message.sent_at or message.created_at


def _sender(message: MessageOut, contact: str) -> str:
    if message.direction == "inbound":
        return contact
    if message.sent_by:
        return message.sent_by
    if message.origin == "flow":
        return S.PRINT_REMINDER
    return S.PRINT_AUTOMATIC_REPLY if message.origin == "auto" else S.PRINT_THE_FIRM


def date_range(count: int, first, last) -> str:
    if not count:
        return S.PRINT_NO_MESSAGES
    first, last = first.astimezone(), last.astimezone()
    span = f"{first:%d %b %Y}"
    if last.date() != first.date():
        span += f" – {last:%d %b %Y}"
    return f"{S.message_count(count)}, {span}"


class PageLayout:
    """Page geometry and the blocks of one printout; knows where each page starts."""

    def __init__(self, source, page_layout: QPageLayout) -> None:
        self.source = source
        self.page_layout = page_layout
        paint = page_layout.paintRect(QPageLayout.Unit.Point)
        self.width = paint.width() * LAYOUT_DPI / 72
        self.height = paint.height() * LAYOUT_DPI / 72
        self.body_top = HEADER_H + BAND_GAP
        self.body_height = self.height - self.body_top - FOOTER_H - BAND_GAP
        self.fonts = Fonts()
        self.content_w = self.width - STRIPE_W - WHEN_W - CONTENT_PAD_L - CONTENT_PAD_R
        self.page_starts: list[tuple[int, int]] = []
        self._dates: dict = {}
        self._clocks: dict = {}

    # --- blocks -------------------------------------------------------------------------------

    @property
    def block_count(self) -> int:
        return self.source.count + 2  # the title, every message, the closing box

    def block(self, index: int, image_for: ImageFor | None = None, paint: bool = True) -> Block:
        if index == 0:
            return self._title_block()
        if index == self.block_count - 1:
            return self._end_block()
        return self._message_block(self.source.message(index - 1), image_for, paint)

    def message_of_block(self, index: int) -> MessageOut | None:
        if 0 < index < self.block_count - 1:
            return self.source.message(index - 1)
        return None

    def _title_block(self) -> Block:
        f, s, w = self.fonts, self.source, self.width
        rows = [_single(S.PRINT_TITLE, f.title, w, TEXT, f.title.line + 2)]
        subtitle = f"{s.contact} · {format_display(s.phone)}"
        rows.append(_single(subtitle, f.subtitle, w, MUTED, f.subtitle.line + 14))
        info = [
            (S.PRINT_FIRM, s.firm, f.body),
            (S.PRINT_CONTACT, s.contact, f.bold),
            (S.PRINT_NUMBER, f"{format_display(s.phone)}  ({s.phone})", f.body),
        ]
        if s.matter:
            info.append((S.PRINT_MATTER, s.matter, f.body))
        info.append((S.PRINT_RANGE, date_range(s.count, s.first_when, s.last_when), f.body))
        notes = getattr(s, "note_count", 0)
        if notes:
            shown = (
                S.print_notes_included(notes) if s.include_notes else S.print_notes_left_out(notes)
            )
            info.append((S.PRINT_NOTES, shown, f.body))
        info.append((S.PRINT_REFERENCE, S.conversation_ref(s.conversation_id), f.body))
        printed = S.printed_by(s.printed_by, S.local_time(s.printed_at))
        info.append((S.PRINT_PRINTED, printed, f.body))
        line = f.body.line + 6
        for label, value, metrics in info:
            label_row = _single(label, f.body, 110, MUTED, line)
            value_row = _single(value, metrics, w - 122, TEXT, line)

            def draw(painter, x, y, _a=label_row.draw, _b=value_row.draw):
                _a(painter, x, y + 3)
                _b(painter, x + 122, y + 3)

            rows.append(Row(line, draw))
        rows.append(Row(18))
        return Block(rows)

    def _end_block(self) -> Block:
        f, s = self.fonts, self.source
        inner = self.width - 24
        rows = [Row(6)]
        rows += _text_rows(S.PRINT_END, f.end, self.width - 24, MUTED, f.end.line, True)
        rows.append(Row(16 + 12))  # the gap, then the box's padding
        rows.append(_single(S.PRINT_VERIFY_HEADING, f.heading, inner, TEXT, f.heading.line + 4))
        rows += _text_rows(S.PRINT_SHA_LABEL, f.body, inner, MUTED, f.body.line)
        rows.append(_single(s.sha256, f.mono, inner, TEXT, f.mono.line + 8))
        verify = S.print_verify(s.conversation_id, s.export_url)
        if getattr(s, "note_count", 0) and not s.include_notes:
            verify = f"{verify} {S.PRINT_NOTES_IN_DIGEST}"
        rows += _text_rows(verify, f.note, inner, MUTED, f.note.line)
        rows.append(Row(12))
        box_top = 6 + f.end.line + 16

        def side(painter: QPainter, y: float, height: float, first: bool, last: bool) -> None:
            top = y + (box_top if first else 0)
            painter.setPen(QPen(_color(RULE), 1))
            painter.setBrush(_color(BOX))
            painter.drawRect(QRectF(0, top, self.width, y + height - top))
            painter.setBrush(Qt.BrushStyle.NoBrush)

        return Block(rows, side=side, content_x=12)

    def _message_block(
        self, message: MessageOut, image_for: ImageFor | None, paint: bool = True
    ) -> Block:
        """Rows of one message; with paint=False only their heights (pass one), quickly."""
        f, s = self.fonts, self.source
        width = self.content_w
        line = f.body.line
        rows = [Row(line + 3)]
        inbound = message.direction == "inbound"
        internal = message.direction == "internal"
        stripe = INTERNAL if internal else INBOUND if inbound else ACCENT
        if paint:
            by = _sender(message, s.contact)
            if internal:
                meta = S.print_internal(by, message.origin == "system")
                status = f" · {S.PRINT_INTERNAL_NOT_SENT}"
            else:
                meta = S.received_from(by) if inbound else S.sent_by(by)
                status = "" if inbound else f" · {S.print_status(message.status)}"

            def draw_meta(painter: QPainter, x: float, y: float) -> None:
                painter.setFont(f.bold.font)
                painter.setPen(_color(stripe))
                shown = f.bold.elide(meta, width * 0.7)
                painter.drawText(QPointF(x, y + f.bold.ascent), shown)
                if status:
                    used = f.bold.width(shown)
                    painter.setFont(f.body.font)
                    painter.setPen(_color(MUTED))
                    rest = f.body.elide(status, width - used)
                    painter.drawText(QPointF(x + used, y + f.bold.ascent), rest)

            rows[0].draw = draw_meta
        body = message.body or ""
        if not body and not message.media:
            rows.append(_single(S.PRINT_EMPTY_BODY, f.body, width, MUTED, line, paint))
        for paragraph in body.split("\n") if body else []:
            rows += _text_rows(paragraph, f.body, width, TEXT, line, paint=paint)
        if message.media:
            rows.append(Row(6))
            rows += self._image_rows(message.media, image_for, width, paint)
        if message.error:
            rows.append(Row(3))
            rows += _text_rows(message.error, f.body, width, ERROR, line, paint=paint)
        if message.send_at and message.status == "scheduled":
            rows.append(Row(3))
            text = f"{S.PRINT_SCHEDULED_FOR} {S.local_time(message.send_at)}"
            rows += _text_rows(text, f.body, width, MUTED, line, paint=paint)
        side_height = line * 2 + 2 + f.small.line
        block = Block(
            rows,
            pad_top=PAD_TOP,
            pad_bottom=PAD_BOTTOM,
            side_height=side_height,
            content_x=STRIPE_W + WHEN_W + CONTENT_PAD_L,
        )
        if not paint:
            return block
        moment = _when(message)
        date, clock, utc = self._when_texts(moment)

        def side(painter: QPainter, y: float, height: float, first: bool, last: bool) -> None:
            painter.fillRect(QRectF(0, y, STRIPE_W, height), _color(stripe))
            x = STRIPE_W + WHEN_PAD
            top = y + PAD_TOP if first else y
            # These fit the column (fixed formats): drawn without eliding.
            painter.setFont(f.bold.font)
            painter.setPen(_color(TEXT))
            painter.drawText(QPointF(x, top + f.bold.ascent), date)
            if first:
                painter.setFont(f.body.font)
                painter.drawText(QPointF(x, top + line + f.body.ascent), clock)
                painter.setFont(f.small.font)
                painter.setPen(_color(MUTED))
                painter.drawText(QPointF(x, top + 2 * line + 2 + f.small.ascent), utc)
            else:
                painter.setFont(f.small.font)
                painter.setPen(_color(MUTED))
                painter.drawText(QPointF(x, top + line + f.small.ascent), S.PRINT_CONTINUED)
            if last:
                painter.setPen(QPen(_color(RULE), 1))
                bottom = y + height - 0.5
                painter.drawLine(QPointF(STRIPE_W, bottom), QPointF(self.width, bottom))

        block.side = side
        return block

    def _when_texts(self, moment) -> tuple[str, str, str]:
        """S.local_date, S.local_clock and S.utc_time of `moment`, each made once per value."""
        local = moment.astimezone()
        day_key = (local.date(), local.utcoffset())
        date = self._dates.get(day_key)
        if date is None:
            if len(self._dates) > 4096:
                self._dates.clear()
            date = self._dates[day_key] = S.local_date(local)
        clock_key = (local.hour, local.minute, local.tzname())
        clock = self._clocks.get(clock_key)
        if clock is None:
            clock = self._clocks[clock_key] = S.local_clock(local)
        u = moment.astimezone(UTC)
        utc = (
            f"{u.year:04d}-{u.month:02d}-{u.day:02d} {u.hour:02d}:{u.minute:02d}:{u.second:02d} UTC"
        )
        return date, clock, utc

    def _image_rows(
        self, media: list[MediaOut], image_for: ImageFor | None, width, paint: bool = True
    ) -> list[Row]:
        f = self.fonts
        rows: list[Row] = []
        current: list[tuple[MediaOut, float, float]] = []
        used = 0.0

        def flush() -> None:
            if not current:
                return
            items = list(current)
            height = max(h for _m, _w, h in items) + 4

            def draw(painter: QPainter, x: float, y: float) -> None:
                for item, w, h in items:
                    image = image_for(item.id) if image_for else None
                    target = QRectF(x, y, w, h)
                    if image is None or image.isNull():
                        painter.setPen(QPen(_color(RULE), 1))
                        painter.drawRect(target)
                        painter.setFont(f.small.font)
                        painter.setPen(_color(MUTED))
                        painter.drawText(
                            target, Qt.AlignmentFlag.AlignCenter, S.PRINT_IMAGE_MISSING
                        )
                    else:
                        scale = min(w / image.width(), h / image.height())
                        iw, ih = image.width() * scale, image.height() * scale
                        painter.drawImage(QRectF(x, y + (h - ih) / 2, iw, ih), image)
                    x += w + IMAGE_GAP

            rows.append(Row(height, draw))
            current.clear()

        for item in media:
            if item.status != "stored":
                flush()
                used = 0.0
                note = S.image_not_kept(item.reject_reason or "")
                rows += _text_rows(note, f.body, width, MUTED, f.body.line, paint=paint)
                continue
            w, h = _image_size(item, None)
            if current and used + w > width:
                flush()
                used = 0.0
            current.append((item, w, h))
            used += w + IMAGE_GAP
        flush()
        return rows

    # --- pagination ---------------------------------------------------------------------------

    def place(
        self,
        block_index: int = 0,
        row: int = 0,
        image_for: ImageFor | None = None,
        paint: bool = True,
    ) -> Iterator[Piece | None]:
        """Pieces from (block_index, row) on, with None at each new page; deterministic."""
        page = self.body_height
        y = 0.0
        index = block_index
        first_row = row
        while index < self.block_count:
            block = self.block(index, image_for, paint)
            n = len(block.rows)
            if first_row == 0:
                total = block.height
                if total <= page - y:
                    yield Piece(index, 0, n, y, total, block)
                    y += total
                    index += 1
                    continue
                if total <= page and y > 0:
                    yield None
                    y = 0.0
                    continue
            # Split between rows: taller than a page, or continued from the previous page.
            a = first_row
            while a < n:
                avail = page - y
                height = block.pad_top if a == 0 else 0.0
                b = a
                while b < n:
                    extra = block.rows[b].height + (block.pad_bottom if b == n - 1 else 0.0)
                    if height + extra > avail:
                        break
                    height += extra
                    b += 1
                if b == a:
                    if y > 0:
                        yield None
                        y = 0.0
                        continue
                    b = a + 1  # a single row taller than a page: print it, clipped
                    height = avail
                if a == 0:
                    height = max(height, min(avail, block.side_height + block.pad_top))
                yield Piece(index, a, b, y, height, block)
                y += height
                a = b
                if a < n:
                    yield None
                    y = 0.0
            index += 1
            first_row = 0

    def measure_steps(self, step: int = 250) -> Iterator[int]:
        """Find where each page starts (pass one), yielding every `step` blocks laid out."""
        starts = [(0, 0)]
        need_start = False
        next_report = step
        for piece in self.place(paint=False):
            if piece is None:
                need_start = True
                continue
            if need_start:
                starts.append((piece.block, piece.first))
                need_start = False
            if piece.block >= next_report:
                next_report = piece.block + step
                yield min(piece.block, self.source.count)
        self.page_starts = starts
        yield self.source.count

    def measure(self) -> int:
        for _done in self.measure_steps():
            pass
        return self.page_count()

    def page_count(self) -> int:
        return len(self.page_starts)

    def blocks_on_page(self, index: int) -> range:
        start = self.page_starts[index][0]
        if index + 1 < len(self.page_starts):
            end_block, end_row = self.page_starts[index + 1]
            end = end_block + (1 if end_row > 0 else 0)
        else:
            end = self.block_count
        return range(start, end)

    def media_on_page(self, index: int) -> list[MediaOut]:
        media = []
        for block in self.blocks_on_page(index):
            message = self.message_of_block(block)
            if message is not None:
                media += [m for m in message.media if m.status == "stored"]
        return media

    # --- painting -----------------------------------------------------------------------------

    def paint_page(
        self, painter: QPainter, index: int, device_dpi: float, image_for: ImageFor | None
    ) -> None:
        """Page `index` (0-based), the painter's origin at the top-left of the paint rect."""
        painter.save()
        scale = device_dpi / LAYOUT_DPI
        painter.scale(scale, scale)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self._paint_header(painter)
        block_index, row = self.page_starts[index]
        painter.save()
        painter.translate(0, self.body_top)
        painter.setClipRect(QRectF(0, 0, self.width, self.body_height))
        for piece in self.place(block_index, row, image_for):
            if piece is None:
                break
            self._paint_piece(painter, piece.rows, piece)
        painter.restore()
        self._paint_footer(painter, index)
        painter.restore()

    def _paint_piece(self, painter: QPainter, block: Block, piece: Piece) -> None:
        first, last = piece.first == 0, piece.last == len(block.rows)
        if block.side is not None:
            block.side(painter, piece.y, piece.height, first, last)
        y = piece.y + (block.pad_top if first else 0)
        for row in block.rows[piece.first : piece.last]:
            if row.draw is not None:
                row.draw(painter, block.content_x, y)
            y += row.height

    def _paint_header(self, painter: QPainter) -> None:
        s, f = self.source, self.fonts
        rect = QRectF(0, 0, self.width, HEADER_H - 8)
        painter.setPen(_color(ACCENT))
        painter.setFont(f.firm)
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, s.firm)
        painter.setPen(_color(MUTED))
        painter.setFont(f.band_right)
        right = f"{s.contact} · {format_display(s.phone)}"
        if s.matter:
            right += f" · {s.matter}"
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, right)
        painter.setPen(QPen(_color(ACCENT), 1.5))
        painter.drawLine(QPointF(0, HEADER_H - 2), QPointF(self.width, HEADER_H - 2))

    def _paint_footer(self, painter: QPainter, index: int) -> None:
        s, f = self.source, self.fonts
        top = self.height - FOOTER_H
        painter.setPen(QPen(_color(RULE), 1))
        painter.drawLine(QPointF(0, top), QPointF(self.width, top))
        rect = QRectF(0, top + 6, self.width, FOOTER_H - 6)
        painter.setFont(f.band)
        painter.setPen(_color(MUTED))
        left = f"{S.PRINT_PRINTED}: {S.printed_by(s.printed_by, S.local_time(s.printed_at))}"
        left += f"  ·  SHA-256 {s.sha256[:16]}…"
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, left)
        painter.setPen(_color(TEXT))
        painter.setFont(f.band_bold)
        painter.drawText(
            rect,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
            S.page_of(index + 1, self.page_count()),
        )
