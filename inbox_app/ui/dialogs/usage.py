"""Who used the firm's message credits: per person, per matter or per month, with a chart.

The chart is pyqtgraph's (a kept, Qt-native plotting library: a few MB with numpy, where QtCharts
would bring all of PySide6-Addons); bars are horizontal so long matter names read in full.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.dialogs._common import MUTED_STYLE, MessageLabel, ask

log = logging.getLogger("inbox.ui")

GROUPS = (("user", "USAGE_BY_USER"), ("matter", "USAGE_BY_MATTER"), ("month", "USAGE_BY_MONTH"))
# Bars drawn; the rest are summed into one "Everything else" bar (the table lists them all).
CHART_BARS = 12
LABEL_CHARS = 38


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def chart_bars(rows, group: str) -> list[tuple[str, int]]:
    """(label, credits) per bar: months in order, people and matters biggest first."""
    bars = [(row.label, row.credits) for row in rows]
    if group != "month":
        bars.sort(key=lambda bar: -bar[1])
    if len(bars) > CHART_BARS:
        rest = sum(credits for _label, credits in bars[CHART_BARS - 1 :])
        if group == "month":
            bars = bars[-CHART_BARS:]  # the latest months
        else:
            bars = [*bars[: CHART_BARS - 1], (S.USAGE_OTHER, rest)]
    return bars


async def choose_save_path(parent: QWidget, title: str, suggested: str) -> Path | None:
    """A Save dialog (no nested event loop); None when canceled."""
    dialog = QFileDialog(parent, title, str(Path.home() / suggested), S.CSV_FILTER)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("csv")
    dialog.setObjectName("saveCsvDialog")
    if await ask(dialog) != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])


class UsagePage(QWidget):
    """The usage report: grouping, a span of the firm's days, a bar chart, the table, CSV.

    `choose_path` is the Save dialog (tests replace it); `.loading` is the running load.
    """

    def __init__(self, sync_client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.report = None
        self.choose_path = choose_save_path
        self.loading: asyncio.Future | None = None

        self.group_combo = QComboBox()
        self.group_combo.setObjectName("usageGroup")
        for key, label in GROUPS:
            self.group_combo.addItem(getattr(S, label), key)
        today = QDate.currentDate()
        self.from_edit = QDateEdit(QDate(today.year(), today.month(), 1).addMonths(-11))
        self.to_edit = QDateEdit(today)
        for name, edit in (("usageFrom", self.from_edit), ("usageTo", self.to_edit)):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.export_button = QPushButton(S.EXPORT_CSV)
        self.export_button.setObjectName("usageExport")
        self.export_button.clicked.connect(self.export)
        controls = QHBoxLayout()
        controls.addWidget(QLabel(S.USAGE_GROUP))
        controls.addWidget(self.group_combo)
        controls.addSpacing(12)
        controls.addWidget(QLabel(S.USAGE_FROM))
        controls.addWidget(self.from_edit)
        controls.addWidget(QLabel(S.USAGE_TO))
        controls.addWidget(self.to_edit)
        controls.addStretch(1)
        controls.addWidget(self.export_button)

        self.summary = QLabel()
        self.summary.setObjectName("usageSummary")
        self.summary.setStyleSheet(MUTED_STYLE)
        self.message = MessageLabel("usageMessage")
        self.chart = self._build_chart()
        self.table = self._build_table()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.chart)
        split.addWidget(self.table)
        split.setSizes([260, 200])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

        self.group_combo.currentIndexChanged.connect(self._changed)
        self.from_edit.dateChanged.connect(self._changed)
        self.to_edit.dateChanged.connect(self._changed)

    # --- building ----------------------------------------------------------------------------

    def _build_chart(self) -> pg.PlotWidget:
        t = theme.current()
        chart = pg.PlotWidget(background=t.raised)
        chart.setObjectName("usageChart")
        chart.setMinimumHeight(180)
        chart.setMenuEnabled(False)
        chart.setMouseEnabled(x=False, y=False)
        chart.hideButtons()
        plot = chart.getPlotItem()
        plot.invertY(True)  # the first bar at the top
        font = QFont(self.font())
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pg.mkPen(t.border))
            axis.setTextPen(pg.mkPen(t.text))
            axis.setTickFont(font)
        plot.getAxis("bottom").setLabel(S.USAGE_CREDITS, color=t.muted)
        self._bars = None
        return chart

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, 4)
        table.setObjectName("usageTable")
        table.setHorizontalHeaderLabels(
            [S.USAGE_BY_USER, S.USAGE_MESSAGES, S.USAGE_SEGMENTS, S.USAGE_CREDITS]
        )
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
            table.horizontalHeaderItem(column).setTextAlignment(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        return table

    # --- state -------------------------------------------------------------------------------

    @property
    def group(self) -> str:
        return self.group_combo.currentData()

    def span(self) -> tuple[date, date]:
        return self.from_edit.date().toPython(), self.to_edit.date().toPython()

    def _changed(self, *_args) -> None:
        self.loading = self.refresh()

    @asyncSlot()
    async def refresh(self) -> None:
        """Load the report for the grouping and days shown; the server's refusal is shown."""
        from_date, to_date = self.span()
        self.message.clear_message()
        try:
            report = await self._sync.usage(self.group, from_date, to_date)
        except ApiError as error:
            self.message.show_error(S.describe_error(error))
            return
        if (report.group, report.from_date, report.to_date) != (self.group, *self.span()):
            return  # the controls changed while it loaded: a newer load is on its way
        self.show_report(report)
        log.info("usage loaded: %s, %d rows", report.group, len(report.rows))

    def show_report(self, report) -> None:
        self.report = report
        heading = dict((key, getattr(S, label)) for key, label in GROUPS)[report.group]
        self.table.horizontalHeaderItem(0).setText(heading)
        rows = [*report.rows, report.total]
        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, entry in enumerate(rows):
            cells = [
                QTableWidgetItem(entry.label if entry is not report.total else S.USAGE_TOTAL),
                QTableWidgetItem(f"{entry.messages:,}"),
                QTableWidgetItem(f"{entry.segments:,}"),
                QTableWidgetItem(f"{entry.credits:,}"),
            ]
            for column, item in enumerate(cells):
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if entry is report.total:
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        self.summary.setText(S.usage_summary(report.total.messages, report.total.credits))
        self._draw(chart_bars(report.rows, report.group))

    def _draw(self, bars: list[tuple[str, int]]) -> None:
        t = theme.current()
        plot = self.chart.getPlotItem()
        if self._bars is not None:
            plot.removeItem(self._bars)
            self._bars = None
        axis = plot.getAxis("left")
        labels = [_short(label) for label, _credits in bars]
        axis.setTicks([list(enumerate(labels))])
        # Room for the longest label: the axis does not measure its tick texts itself.
        metrics = self.chart.fontMetrics()
        axis.setWidth(max([metrics.horizontalAdvance(text) for text in labels] or [0]) + 16)
        self.bar_values = [credits for _label, credits in bars]
        # At least six rows of room, so one bar is a bar and not a wall.
        slots = max(len(bars), 6)
        if not bars:
            plot.setYRange(-0.5, slots - 0.5, padding=0)
            return
        self._bars = pg.BarGraphItem(
            x0=0,
            y=list(range(len(bars))),
            height=0.62,
            width=self.bar_values,
            brush=pg.mkBrush(t.accent),
            pen=pg.mkPen(None),
        )
        plot.addItem(self._bars)
        plot.setYRange(-0.6, slots - 0.4, padding=0)
        plot.setXRange(0, max(max(self.bar_values), 1) * 1.05, padding=0)

    @asyncSlot()
    async def export(self) -> None:
        """Save the report shown (all its rows) as CSV where the user picks."""
        from_date, to_date = self.span()
        suggested = f"texting-usage-by-{self.group}-{from_date}-{to_date}.csv"
        path = await self.choose_path(self, S.EXPORT_CSV_TITLE, suggested)
        if path is None:
            return
        self.export_button.setEnabled(False)
        try:
            await self._sync.save_report(
                path, "usage", group=self.group, from_date=from_date, to_date=to_date
            )
        except (ApiError, OSError) as error:
            text = S.describe_error(error) if isinstance(error, ApiError) else str(error)
            self.message.show_error(S.export_failed(text))
            return
        finally:
            self.export_button.setEnabled(True)
        self.message.show_note(S.csv_saved(str(path)))
