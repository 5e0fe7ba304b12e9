"""File > Import…: a CSV of clients and court dates, mapped column by column, checked by the
server (a dry run: the same per-row report), then imported in one transaction with a progress
bar. Rejected rows are listed with their problems and can be saved as a CSV to fix."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain import importing
from inbox_app.models.schemas import ImportReport, ImportRowOut
from inbox_app.sync.errors import ApiError, Unreachable
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.dialogs._common import (
    HEADING_STYLE,
    MUTED_STYLE,
    MessageLabel,
    ask,
    dialog_style,
    mark_primary,
)

log = logging.getLogger("inbox.ui")
# The file is read on a plain Python thread: qasync's default executor runs QThreads, which Qt
# aborts the process over ("QThread: Destroyed while thread is still running") when they outlive
# their loop at exit.
_READER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read")

_Index = QModelIndex | QPersistentModelIndex
# Bigger files are refused before reading on: 20,000 rows of a wide export is well under this.
MAX_FILE_BYTES = 50 * 1024 * 1024
PREVIEW_ROWS = 200


@dataclass
class CsvFile:
    """A file's header and rows, as read (cells are strings, short rows padded)."""

    path: Path
    headers: list[str]
    rows: list[list[str]]


class ImportFileError(ValueError):
    """A file that cannot be imported at all; the message says why."""


def read_csv(path: Path) -> CsvFile:
    """The file's header line and rows: UTF-8 (with or without BOM), else Windows-1252; comma,
    semicolon or tab separated, as spreadsheets save them."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(S.IMPORT_FILE_TOO_BIG.format(limit=f"{importing.MAX_ROWS:,}"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        headers = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise ImportFileError(S.IMPORT_FILE_EMPTY) from None
    rows: list[list[str]] = []
    # Blank rows keep their place (the report's row numbers are the spreadsheet's); the server
    # skips them. Trailing ones are dropped.
    for cells in reader:
        if len(rows) >= importing.MAX_ROWS and any(cell.strip() for cell in cells):
            raise ImportFileError(S.IMPORT_FILE_TOO_BIG.format(limit=f"{importing.MAX_ROWS:,}"))
        rows.append((cells + [""] * len(headers))[: len(headers)])
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(S.IMPORT_FILE_EMPTY)
    return CsvFile(path, headers, rows)


def rejects_csv(file: CsvFile, report: ImportReport, first_line: int = 2) -> str:
    """The rejected rows as they were in the file, with a last column saying what to fix."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*file.headers, S.IMPORT_PROBLEMS])
    for result in report.results:
        if result.errors:
            cells = file.rows[result.line - first_line]
            writer.writerow([*cells, problems_text(result)])
    return out.getvalue()


def problems_text(result: ImportRowOut) -> str:
    return "; ".join(
        f"{S.IMPORT_FIELDS.get(error.field, error.field)}: {error.message}"
        for error in result.errors
    )


def result_text(result: ImportRowOut) -> str:
    if result.errors:
        return problems_text(result)
    parts = [
        S.IMPORT_ACTIONS[(kind, action)]
        for kind, action in (("client", result.client), ("event", result.event))
        if (kind, action) in S.IMPORT_ACTIONS
    ]
    if result.client == result.event == "none":
        return S.IMPORT_BLANK
    return (", ".join(parts) or S.IMPORT_OK).capitalize()


class ImportRowsModel(QAbstractTableModel):
    """File rows (their mapped columns) with the server's verdict; cells it refused are marked.

    `set_rows(file, columns, report, only_rejected)`: `columns` is [(field, file column)].
    """

    ResultRole = Qt.ItemDataRole.UserRole + 1
    # Line, then the verdict (so a problem is read without scrolling), then the file's cells.
    RESULT = 1

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._file: CsvFile | None = None
        self._columns: list[tuple[str, int]] = []
        self._results: list[ImportRowOut] = []

    def set_rows(
        self,
        file: CsvFile,
        columns: list[tuple[str, int]],
        report: ImportReport,
        *,
        only_rejected: bool = False,
        limit: int = PREVIEW_ROWS,
    ) -> None:
        self.beginResetModel()
        self._file, self._columns = file, columns
        results = [r for r in report.results if r.errors] if only_rejected else report.results
        # Problems first in the preview, so three bad rows of 10,000 are seen.
        if not only_rejected:
            results = sorted(results, key=lambda r: (not r.errors, r.line))
        self._results = results[:limit]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._results)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns) + 2

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == 0:
            return S.IMPORT_LINE
        if section == self.RESULT:
            return S.IMPORT_RESULT
        return S.IMPORT_FIELDS[self._columns[section - 2][0]]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._file is None:
            return None
        result = self._results[index.row()]
        column = index.column()
        last = self.RESULT
        bad_fields = {error.field for error in result.errors}
        if role == self.ResultRole:
            return result
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                return str(result.line)
            if column == last:
                return result_text(result)
            field, source = self._columns[column - 2]
            value = self._file.rows[result.line - 2][source]
            if role == Qt.ItemDataRole.ToolTipRole and field in bad_fields:
                return problems_text(result)
            return value
        t = theme.current()
        is_bad = column == last and result.errors
        if column > last:
            is_bad = self._columns[column - 2][0] in bad_fields
        if role == Qt.ItemDataRole.BackgroundRole and is_bad:
            return QColor(t.danger_soft)
        if role == Qt.ItemDataRole.ForegroundRole and column == last:
            return QColor(t.danger if result.errors else t.success)
        return None


class ImportDialog(QDialog):
    """Map, check, import, report: one dialog, three pages.

    Signals:
      checked(ImportReport): the dry run answered (the preview is filled).
      imported(ImportReport): the import finished (the report page is shown).
    """

    checked = Signal(object)
    imported = Signal(object)

    def __init__(self, sync, file: CsvFile, flows: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle(S.IMPORT_TITLE)
        self.setStyleSheet(dialog_style())
        self.resize(900, 640)
        self._sync = sync
        self.file = file
        self.report: ImportReport | None = None
        self.pages = QStackedWidget()
        self.pages.addWidget(self._mapping_page(flows))
        self.pages.addWidget(self._rows_page())
        self.message = MessageLabel("importMessage")

        self.back_button = QPushButton(S.IMPORT_BACK)
        self.back_button.setObjectName("importBack")
        self.back_button.clicked.connect(self.back)
        self.save_rejects_button = QPushButton(S.IMPORT_SAVE_REJECTS)
        self.save_rejects_button.setObjectName("importSaveRejects")
        self.save_rejects_button.clicked.connect(self.ask_save_rejects)
        self.next_button = mark_primary(QPushButton(S.IMPORT_CHECK))
        self.next_button.setObjectName("importNext")
        self.next_button.clicked.connect(self.next)
        self.close_button = QPushButton(S.IMPORT_CLOSE)
        self.close_button.setObjectName("importClose")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.save_rejects_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._show_page(0)

    # -- pages -----------------------------------------------------------------------------

    def _mapping_page(self, flows: list) -> QWidget:
        page = QWidget()
        heading = QLabel(S.IMPORT_MAP_HEADING)
        heading.setStyleSheet(HEADING_STYLE)
        hint = QLabel(
            S.IMPORT_MAP_HINT.format(file=self.file.path.name, rows=f"{len(self.file.rows):,}")
        )
        hint.setStyleSheet(MUTED_STYLE)
        hint.setWordWrap(True)
        guessed = importing.guess_mapping(self.file.headers)

        self.source_combo = QComboBox()
        self.source_combo.setObjectName("importSource")
        for code in importing.SOURCES:
            self.source_combo.addItem(S.IMPORT_SOURCES[code], code)
        self.source_combo.setCurrentIndex(
            importing.SOURCES.index(importing.guess_source(self.file.headers))
        )
        self.flow_combo = QComboBox()
        self.flow_combo.setObjectName("importFlow")
        self.flow_combo.addItem(S.IMPORT_NO_FLOW, None)
        for flow in flows:
            self.flow_combo.addItem(flow.name, flow.id)
        if flows:
            self.flow_combo.setCurrentIndex(1)
        self.source_combo.setMinimumWidth(240)
        self.flow_combo.setMinimumWidth(240)

        self.column_combos: dict[str, QComboBox] = {}
        self.samples: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(6)
        form.addRow(S.IMPORT_SOURCE, self._with_stretch(self.source_combo))
        form.addRow(S.IMPORT_FLOW, self._with_stretch(self.flow_combo))
        spacer = QLabel()
        spacer.setFixedHeight(6)
        form.addRow(spacer)
        for field in importing.FIELDS:
            combo = QComboBox()
            combo.setObjectName(f"importColumn_{field}")
            combo.addItem(S.IMPORT_NOT_MAPPED, -1)
            for index, header in enumerate(self.file.headers):
                combo.addItem(header or f"#{index + 1}", index)
            combo.setCurrentIndex(combo.findData(guessed.get(field, -1)))
            combo.setMinimumWidth(240)
            sample = QLabel()
            sample.setStyleSheet(MUTED_STYLE)
            sample.setMinimumWidth(220)
            combo.currentIndexChanged.connect(lambda _i, f=field: self._update_sample(f))
            row = QHBoxLayout()
            row.setSpacing(12)
            row.addWidget(combo)
            row.addWidget(sample, 1)
            form.addRow(S.IMPORT_FIELDS[field], row)
            self.column_combos[field], self.samples[field] = combo, sample
            self._update_sample(field)
        holder = QWidget()
        holder.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(scroll, 1)
        return page

    @staticmethod
    def _with_stretch(widget: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(widget)
        row.addStretch(1)
        return row

    def _rows_page(self) -> QWidget:
        page = QWidget()
        self.rows_heading = QLabel(S.IMPORT_PREVIEW_HEADING)
        self.rows_heading.setObjectName("importRowsHeading")
        self.rows_heading.setStyleSheet(HEADING_STYLE)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.stage = QLabel()
        self.stage.setObjectName("importStage")
        self.stage.setStyleSheet(MUTED_STYLE)
        self.model = ImportRowsModel(self)
        self.table = QTableView()
        self.table.setObjectName("importRows")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        t = theme.current()
        self.table.setStyleSheet(
            f"QTableView {{ background: {t.raised}; border: 1px solid {t.border};"
            f" border-radius: 8px; selection-background-color: {t.selection};"
            f" selection-color: {t.text}; }}"
        )
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rows_heading)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage)
        layout.addWidget(self.table, 1)
        return page

    def _show_page(self, number: int) -> None:
        self.pages.setCurrentIndex(number)
        finished = self.report is not None and not self.report.dry_run
        self.back_button.setVisible(number == 1 and not finished)
        self.save_rejects_button.setVisible(
            number == 1 and self.report is not None and self.report.rejected > 0
        )
        self.next_button.setText(S.IMPORT_CHECK if number == 0 else S.IMPORT_RUN)
        self.next_button.setVisible(not finished)
        self.next_button.setEnabled(
            number == 0 or (self.report is not None and self.report.imported > 0)
        )

    def _update_sample(self, field: str) -> None:
        index = self.column_combos[field].currentData()
        values = [row[index] for row in self.file.rows[:20] if index >= 0 and row[index].strip()]
        self.samples[field].setText(S.IMPORT_SAMPLE.format(value=values[0]) if values else "")

    # -- mapping and sending -----------------------------------------------------------------

    def columns(self) -> list[tuple[str, int]]:
        """(field, file column) for each mapped field, in the order of the fields."""
        return [
            (field, combo.currentData())
            for field, combo in self.column_combos.items()
            if combo.currentData() is not None and combo.currentData() >= 0
        ]

    def body(self, *, dry_run: bool) -> dict:
        columns = self.columns()
        return {
            "source": self.source_combo.currentData(),
            "file_name": self.file.path.name,
            "columns": [field for field, _ in columns],
            "rows": [[row[index] for _, index in columns] for row in self.file.rows],
            "flow_id": self.flow_combo.currentData(),
            "first_line": 2,
            "dry_run": dry_run,
        }

    def _progress(self, stage: str, done: float) -> None:
        self.progress.setValue(int(done * 1000))
        self.stage.setText(S.IMPORT_STAGES.get(stage, stage))

    @asyncSlot()
    async def next(self) -> None:
        if self.pages.currentIndex() == 0:
            await self.check()
        else:
            await self.run_import()

    async def _send(self, *, dry_run: bool) -> ImportReport | None:
        self.message.clear_message()
        if not self.columns():
            self.message.show_error(S.IMPORT_NEED_FIELDS)
            return None
        self.next_button.setEnabled(False)
        self.back_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self.stage.show()
        rows = f"{len(self.file.rows):,}"
        self.summary.setText((S.IMPORT_CHECKING if dry_run else S.IMPORT_RUNNING).format(rows=rows))
        try:
            return await self._sync.import_rows(self.body(dry_run=dry_run), self._progress)
        except (ApiError, Unreachable) as exc:
            self.message.show_error(S.describe_error(exc))
            log.info("import refused: %s", getattr(exc, "code", "offline"))
        finally:
            self.back_button.setEnabled(True)
            self.next_button.setEnabled(True)
        return None

    async def check(self) -> None:
        self.report = None
        self.rows_heading.setText(S.IMPORT_PREVIEW_HEADING)
        self._show_page(1)
        report = await self._send(dry_run=True)
        self.progress.hide()
        self.stage.hide()
        if report is None:
            self._show_page(0)
            return
        self.report = report
        self.summary.setText(S.import_summary(report, dry_run=True))
        self.model.set_rows(self.file, self.columns(), report)
        self._size_columns()
        self._show_page(1)
        log.info("import checked: %d rows, %d rejected", report.rows, report.rejected)
        self.checked.emit(report)

    async def run_import(self) -> None:
        report = await self._send(dry_run=False)
        self.progress.hide()
        self.stage.hide()
        if report is None:
            return
        self.show_report(report)
        log.info(
            "import finished: %d imported, %d rejected, %d events resynced, %d pending",
            report.imported,
            report.rejected,
            report.events_resynced,
            report.events_pending,
        )
        self.imported.emit(report)

    def show_report(self, report: ImportReport) -> None:
        """The finished import: what was done, and the rejected rows to fix."""
        self.report = report
        self.rows_heading.setText(S.IMPORT_REPORT_HEADING)
        self.summary.setText(S.import_summary(report, dry_run=False))
        self.model.set_rows(self.file, self.columns(), report, only_rejected=True)
        self._size_columns()
        self.progress.hide()
        self.stage.hide()
        self._show_page(1)

    def _size_columns(self) -> None:
        self.table.resizeColumnsToContents()
        # Long problems are read in full in the tooltip and the saved rejects.
        self.table.setColumnWidth(ImportRowsModel.RESULT, min(self.table.columnWidth(1), 380))

    def back(self) -> None:
        self.message.clear_message()
        self._show_page(0)

    @asyncSlot()
    async def ask_save_rejects(self) -> None:
        suggested = self.file.path.with_name(f"{self.file.path.stem}-rejected.csv")
        picker = self.save_picker = QFileDialog(self, S.IMPORT_SAVE_TITLE, str(suggested))
        picker.setObjectName("importSaveRejectsDialog")
        picker.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        picker.setNameFilter(S.IMPORT_OPEN_FILTER)
        picker.selectFile(str(suggested))
        if await ask(picker) == QDialog.DialogCode.Accepted and picker.selectedFiles():
            self.save_rejects(picker.selectedFiles()[0])

    def save_rejects(self, path: str) -> Path | None:
        """Write the rejected rows (original cells and what to fix) as CSV; the path used."""
        if self.report is None:
            return None
        target = Path(path)
        target.write_text(rejects_csv(self.file, self.report), encoding="utf-8-sig")
        self.message.show_note(
            S.IMPORT_SAVED_REJECTS.format(count=self.report.rejected, path=target)
        )
        log.info("import rejects saved (%d)", self.report.rejected)
        return target


async def open_import(sync, parent: QWidget, path: str | None = None) -> ImportDialog | None:
    """Ask for a file (unless given), read it off the UI thread, and show the import dialog."""
    if not path:
        picker = QFileDialog(parent, S.IMPORT_OPEN_TITLE)
        picker.setObjectName("importOpenDialog")
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)
        picker.setNameFilter(S.IMPORT_OPEN_FILTER)
        parent.import_open_dialog = picker
        if await ask(picker) != QDialog.DialogCode.Accepted or not picker.selectedFiles():
            return None
        path = picker.selectedFiles()[0]
    loop = asyncio.get_running_loop()
    try:
        file = await loop.run_in_executor(_READER, read_csv, Path(path))
        flows = await sync.flows()
    except (OSError, ImportFileError) as exc:
        reason = str(exc) if isinstance(exc, ImportFileError) else exc.strerror or str(exc)
        parent.show_error(S.IMPORT_FILE_ERROR.format(file=Path(path).name, reason=reason))
        return None
    except (ApiError, Unreachable) as exc:
        parent.show_error(S.describe_error(exc))
        return None
    dialog = ImportDialog(sync, file, flows, parent)
    dialog.open()
    log.info("import dialog shown (%d rows)", len(file.rows))
    return dialog
