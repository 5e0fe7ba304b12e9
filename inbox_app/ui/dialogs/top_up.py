"""The firm's prepaid messages: balance for everyone; buying, auto top-up and history for admins."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain.phone import format_display
from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.dialogs._common import (
    HEADING_STYLE,
    MUTED_STYLE,
    SECTION_STYLE,
    MessageLabel,
    ask,
    dialog_style,
    mark_primary,
)
from inbox_app.ui.dialogs.usage import UsagePage, choose_save_path

log = logging.getLogger("inbox.ui")

MAX_BUNDLES = 100  # the server's TopUpIn limit
LEDGER_PAGE = 100
LEDGER_COLUMNS = [
    "TOPUP_WHEN",
    "TOPUP_KIND",
    "TOPUP_AMOUNT",
    "TOPUP_BALANCE_AFTER",
    "TOPUP_WHO",
    "TOPUP_FOR",
    "TOPUP_REF_COL",
]
NUMBER_COLUMNS = (2, 3)
_KINDS = {
    "grant": "KIND_GRANT",
    "purchase": "KIND_PURCHASE",
    "debit": "KIND_DEBIT",
    "refund": "KIND_REFUND",
}


def _who(entry) -> str:
    if entry.user_name:
        return entry.user_name
    return S.TOPUP_AUTOMATIC if entry.kind in ("debit", "purchase") else ""


def _what(entry) -> str:
    """The text's client (or number) and matter: "Ana Diaz · Diaz v. Smith (24-CV-17)"."""
    party = entry.client_name or (format_display(entry.phone) if entry.phone else "")
    return " · ".join(part for part in (party, entry.matter_name) if part)


class TopUpDialog(QDialog):
    """Balance, and for an admin: buy bundles, switch auto top-up, read the ledger.

    Staff see the balance only (the server answers 403 to the rest). Loading starts at once;
    `.loading` is the task.
    """

    def __init__(self, sync_client, is_admin: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.is_admin = is_admin
        self.credits = None
        self.setObjectName("topUpDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.TOPUP_TITLE)
        self.resize(720, 600 if is_admin else 300)

        heading = QLabel(S.TOPUP_TITLE)
        heading.setStyleSheet(HEADING_STYLE)
        firm = getattr(getattr(sync_client, "user", None), "firm_name", "")
        subtitle = QLabel(S.topup_subtitle(firm) if firm else S.TOPUP_SUBTITLE)
        subtitle.setObjectName("topUpSubtitle")
        subtitle.setStyleSheet(MUTED_STYLE)

        t = theme.current()
        card = QFrame()
        card.setObjectName("balanceCard")
        card.setStyleSheet(
            f"QFrame#balanceCard {{ background: {t.selection}; border: 1px solid {t.border};"
            " border-radius: 10px; }"
            f" QFrame#balanceCard QLabel {{ background: transparent; color: {t.text}; }}"
        )
        self.balance_label = QLabel("…")
        self.balance_label.setObjectName("balanceLabel")
        self.balance_label.setStyleSheet(
            f"QLabel#balanceLabel {{ font-size: 30pt; font-weight: 700; color: {t.accent}; }}"
        )
        caption = QLabel(S.TOPUP_BALANCE)
        caption.setStyleSheet(f"QLabel {{ color: {t.muted}; font-weight: 600; }}")
        self.held_label = QLabel()
        self.held_label.setObjectName("heldLabel")
        self.held_label.setStyleSheet(f"QLabel#heldLabel {{ color: {t.warning_text}; }}")
        self.held_label.hide()
        self.auto_state = QLabel()
        self.auto_state.setObjectName("autoTopUpState")
        self.auto_state.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.low_state = QLabel()
        self.low_state.setObjectName("lowBalanceState")
        self.low_state.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.low_state.setStyleSheet(f"QLabel {{ color: {t.muted}; }}")
        left = QVBoxLayout()
        left.setSpacing(0)
        left.addWidget(caption)
        left.addWidget(self.balance_label)
        left.addWidget(self.held_label)
        right = QVBoxLayout()
        right.addStretch(1)
        right.addWidget(self.auto_state)
        right.addWidget(self.low_state)
        card_layout = QHBoxLayout(card)
        card_layout.setContentsMargins(18, 12, 18, 12)
        card_layout.addLayout(left, 1)
        card_layout.addLayout(right)

        self.message = MessageLabel("topUpMessage")

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(subtitle)
        layout.addSpacing(4)
        layout.addWidget(card)

        self.buy_button: QPushButton | None = None
        self.bundles_spin: QSpinBox | None = None
        self.reference_edit: QLineEdit | None = None
        self.auto_check: QCheckBox | None = None
        self.ledger_table: QTableWidget | None = None
        self.tabs: QTabWidget | None = None
        self.usage_page: UsagePage | None = None
        self.confirm_box: QMessageBox | None = None
        self.ledger_entries: list = []
        if is_admin:
            self.resize(820, 680)
            layout.addSpacing(6)
            self.tabs = QTabWidget()
            self.tabs.setObjectName("creditsTabs")
            self.tabs.setDocumentMode(True)
            self.tabs.tabBar().setObjectName("creditsTabBar")
            self.tabs.addTab(self._build_buy_page(), S.TOPUP_TAB_BUY)
            self.tabs.addTab(self._build_history_page(), S.TOPUP_TAB_HISTORY)
            self.usage_page = UsagePage(sync_client)
            self.tabs.addTab(self.usage_page, S.TOPUP_TAB_USAGE)
            self.tabs.currentChanged.connect(self._tab_shown)
            layout.addWidget(self.tabs, 1)
        else:
            note = QLabel(S.TOPUP_STAFF_NOTE)
            note.setObjectName("staffNote")
            note.setWordWrap(True)
            note.setStyleSheet(MUTED_STYLE)
            layout.addWidget(note)
            layout.addWidget(self.message)
            layout.addStretch(1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setObjectName("topUpCloseButton")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        changed = getattr(sync_client, "credits_changed", None)
        if changed is not None:
            changed.connect(self._balance_changed)
        self.loading = self.refresh()

    def _build_buy_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 4, 0, 0)
        # The section's heading, then its card, both on the page's left edge.
        buy_heading = QLabel(S.TOPUP_BUY_HEADING)
        buy_heading.setObjectName("buyHeading")
        buy_heading.setStyleSheet(SECTION_STYLE)
        buy_heading.setIndent(0)  # a styled label indents by half an "x" otherwise
        column.addWidget(buy_heading)
        column.addWidget(self._build_buy_box())
        column.addWidget(self.message)
        column.addStretch(1)
        return page

    def _build_history_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 8, 0, 0)
        self.more_button = QPushButton(S.TOPUP_MORE)
        self.more_button.setObjectName("ledgerMore")
        self.more_button.clicked.connect(self.load_older)
        self.more_button.hide()
        self.ledger_export_button = QPushButton(S.EXPORT_CSV)
        self.ledger_export_button.setObjectName("ledgerExport")
        self.ledger_export_button.clicked.connect(self.export_ledger)
        self.ledger_message = MessageLabel("ledgerMessage")
        buttons = QHBoxLayout()
        buttons.addWidget(self.more_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ledger_export_button)
        column.addWidget(self._build_ledger(), 1)
        column.addWidget(self.ledger_message)
        column.addLayout(buttons)
        self.choose_path = choose_save_path
        return page

    def _tab_shown(self, index: int) -> None:
        """The history is read again each time it is shown (other desktops spend credits too);
        the usage report is loaded the first time."""
        if self.tabs.widget(index) is self.usage_page and self.usage_page.report is None:
            self.usage_page.loading = self.usage_page.refresh()
        elif index == 1:
            self.loading = self.refresh()

    def _build_buy_box(self) -> QFrame:
        t = theme.current()
        box = QFrame()
        box.setObjectName("buyBox")
        box.setStyleSheet(
            f"QFrame#buyBox {{ background: {t.raised}; border: 1px solid {t.border};"
            " border-radius: 10px; }"
        )
        self.bundles_spin = QSpinBox()
        self.bundles_spin.setObjectName("bundlesSpin")
        self.bundles_spin.setRange(1, MAX_BUNDLES)
        self.bundles_spin.valueChanged.connect(self._update_summary)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("bundleSummary")
        self.summary_label.setStyleSheet("QLabel { font-weight: 600; }")
        self.each_label = QLabel()
        self.each_label.setObjectName("bundleEach")
        self.each_label.setStyleSheet(MUTED_STYLE)
        self.reference_edit = QLineEdit()
        self.reference_edit.setObjectName("referenceEdit")
        self.reference_edit.setPlaceholderText(S.TOPUP_REFERENCE_HINT)
        self.reference_edit.setMaxLength(200)
        self.buy_button = QPushButton(S.TOPUP_BUY)
        self.buy_button.setObjectName("buyButton")
        mark_primary(self.buy_button)
        self.buy_button.setDefault(True)
        self.buy_button.setMinimumWidth(110)
        self.buy_button.clicked.connect(self.buy)
        self.auto_check = QCheckBox(S.TOPUP_AUTO)
        self.auto_check.setObjectName("autoTopUpCheck")
        self.auto_check.toggled.connect(self.set_auto_top_up)
        # Card mode: the saved card pays and the payment is the reference; manual mode: the
        # admin records an invoice, whose number the server requires.
        self.payment_label = QLabel()
        self.payment_label.setObjectName("paymentNote")
        self.payment_label.setWordWrap(True)
        self.payment_label.setStyleSheet(MUTED_STYLE)
        self.payment_label.hide()

        bundles_row = QHBoxLayout()
        bundles_row.addWidget(self.bundles_spin)
        bundles_row.addWidget(self.summary_label, 1)
        buy_row = QHBoxLayout()
        buy_row.addWidget(self.reference_edit, 1)
        buy_row.addWidget(self.buy_button)
        form = QFormLayout(box)
        form.setContentsMargins(18, 14, 18, 14)
        form.addRow(S.TOPUP_BUNDLES, bundles_row)
        form.addRow("", self.each_label)
        self.reference_caption = QLabel(S.TOPUP_REFERENCE)
        form.addRow(self.reference_caption, buy_row)
        form.addRow("", self.payment_label)
        form.addRow("", self.auto_check)
        return box

    def _build_ledger(self) -> QTableWidget:
        table = QTableWidget(0, len(LEDGER_COLUMNS))
        table.setObjectName("ledgerTable")
        table.setHorizontalHeaderLabels([getattr(S, name) for name in LEDGER_COLUMNS])
        table.verticalHeader().hide()
        table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        # Room on both sides of every cell, so "When" does not touch the table's right edge.
        table.setStyleSheet("QTableWidget::item { padding: 4px 14px 4px 6px; }")
        for column in NUMBER_COLUMNS:  # right-aligned, their headings too
            table.horizontalHeaderItem(column).setTextAlignment(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for name in ("TOPUP_FOR", "TOPUP_REF_COL"):  # the long texts share what is left
            column = LEDGER_COLUMNS.index(name)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.ledger_table = table
        return table

    def _update_summary(self) -> None:
        if self.credits is None or self.bundles_spin is None:
            return
        size, price = self.credits.bundle_size, self.credits.bundle_price_cents
        self.summary_label.setText(S.bundle_summary(self.bundles_spin.value(), size, price))
        self.each_label.setText(S.bundle_each(size, price))

    def _show_credits(self, credits) -> None:
        self.credits = credits
        self.balance_label.setText(f"{credits.balance:,}")
        self.held_label.setText(S.held_messages(credits.held_count))
        self.held_label.setVisible(credits.held_count > 0)
        self.auto_state.setText(S.auto_top_up_state(credits.auto_top_up))
        self.low_state.setText(S.low_balance_state(credits.low_balance_threshold))
        if self.auto_check is not None:
            self.auto_check.blockSignals(True)
            self.auto_check.setChecked(credits.auto_top_up)
            self.auto_check.blockSignals(False)
            by_card = getattr(credits, "payment_mode", "manual") == "stripe"
            self.reference_edit.setVisible(not by_card)
            self.reference_caption.setText("" if by_card else S.TOPUP_REFERENCE)
            if by_card:
                has_card = getattr(credits, "has_saved_card", False)
                self.payment_label.setText(S.TOPUP_CARD if has_card else S.TOPUP_NO_CARD)
            self.payment_label.setVisible(by_card)
            failure = getattr(credits, "last_top_up_error", None)
            if failure and not self.message.text():
                self.message.show_error(S.topup_failed(failure))
        self._update_summary()

    def _balance_changed(self, balance: int) -> None:
        self.balance_label.setText(f"{balance:,}")

    def _show_ledger(self, entries) -> None:
        table = self.ledger_table
        entries = sorted(entries, key=lambda e: (e.created_at, e.id), reverse=True)
        self.ledger_entries = entries
        table.setRowCount(len(entries))
        t = theme.current()
        for row, entry in enumerate(entries):
            amount = QTableWidgetItem(f"{entry.amount:+,}")
            amount.setForeground(QColor(t.success if entry.amount > 0 else t.muted))
            cells = [
                QTableWidgetItem(S.compact_time(entry.created_at)),
                QTableWidgetItem(getattr(S, _KINDS.get(entry.kind, ""), entry.kind)),
                amount,
                QTableWidgetItem(f"{entry.balance_after:,}"),
                QTableWidgetItem(_who(entry)),
                QTableWidgetItem(_what(entry)),
                QTableWidgetItem(entry.reference or entry.note or ""),
            ]
            for item in cells[5:]:  # elided when long: the whole text on hover
                item.setToolTip(item.text())
            for column, item in enumerate(cells):
                if column in NUMBER_COLUMNS:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, column, item)

    @asyncSlot()
    async def load_older(self) -> None:
        """The next page of older ledger entries, under those shown."""
        if not self.ledger_entries:
            return
        self.more_button.setEnabled(False)
        try:
            older = await self._sync.ledger(before=self.ledger_entries[-1].id, limit=LEDGER_PAGE)
        except ApiError as error:
            self.ledger_message.show_error(S.describe_error(error))
            return
        finally:
            self.more_button.setEnabled(True)
        self._show_ledger([*self.ledger_entries, *older])
        self.more_button.setVisible(len(older) == LEDGER_PAGE)

    @asyncSlot()
    async def export_ledger(self) -> None:
        """Save the whole ledger as CSV (with who and what) where the user picks."""
        path = await self.choose_path(self, S.EXPORT_CSV_TITLE, "message-credits-ledger.csv")
        if path is None:
            return
        self.ledger_message.clear_message()
        self.ledger_export_button.setEnabled(False)
        try:
            await self._sync.save_report(path, "ledger")
        except (ApiError, OSError) as error:
            text = S.describe_error(error) if isinstance(error, ApiError) else str(error)
            self.ledger_message.show_error(S.export_failed(text))
            return
        finally:
            self.ledger_export_button.setEnabled(True)
        self.ledger_message.show_note(S.csv_saved(str(path)))

    @asyncSlot()
    async def refresh(self) -> None:
        """Reload the balance (and, for an admin, the ledger)."""
        try:
            self._show_credits(await self._sync.credits())
            if self.is_admin:
                page = await self._sync.ledger(limit=LEDGER_PAGE)
                self._show_ledger(page)
                self.more_button.setVisible(len(page) == LEDGER_PAGE)
        except ApiError as error:
            self.message.show_error(S.describe_error(error))

    @asyncSlot()
    async def buy(self) -> None:
        """Buy the chosen number of bundles; the server's refusal is shown here as it said it."""
        bundles = self.bundles_spin.value()
        reference = self.reference_edit.text().strip() or None
        self.message.clear_message()
        if self.credits is None or not await self._confirm(bundles):
            return
        self.buy_button.setEnabled(False)
        self.buy_button.setText(S.TOPUP_BUSY)
        try:
            try:
                result = await self._sync.top_up(bundles, reference=reference)
            except ApiError as error:
                self.message.show_error(S.describe_error(error))
                return
            if result.status == "failed":
                self.message.show_error(S.topup_failed(result.error or S.ERROR_UNKNOWN))
            else:
                log.info("credits: bought %s, balance %s", result.credits, result.balance)
                self.message.show_note(S.topup_done(result.credits, result.balance))
                self.reference_edit.clear()
            await self.refresh()
        finally:
            # Enabled again only when everything is done, so a second click cannot overlap.
            self.buy_button.setEnabled(True)
            self.buy_button.setText(S.TOPUP_BUY)

    async def _confirm(self, bundles: int) -> bool:
        """Ask before paying: "2 bundles: 2,000 messages for $40.00." and how it is paid."""
        credits = self.credits
        box = QMessageBox(self)
        box.setObjectName("confirmPurchase")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(S.TOPUP_CONFIRM_TITLE)
        box.setText(S.TOPUP_CONFIRM_TITLE)
        box.setInformativeText(
            S.confirm_purchase(
                bundles,
                credits.bundle_size,
                credits.bundle_price_cents,
                getattr(credits, "payment_mode", "manual") == "stripe",
            )
        )
        buy = box.addButton(S.TOPUP_CONFIRM_BUY, QMessageBox.ButtonRole.AcceptRole)
        buy.setObjectName("confirmBuyButton")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(buy)
        self.confirm_box = box
        log.info("credits: asked to buy: %s", box.informativeText().replace("\n", " "))
        try:
            await ask(box)
            return box.clickedButton() is buy
        finally:
            self.confirm_box = None
            box.deleteLater()

    @asyncSlot(bool)
    async def set_auto_top_up(self, enabled: bool) -> None:
        """Switch automatic top-up; on refusal the box goes back to the server's value."""
        self.message.clear_message()
        try:
            self._show_credits(await self._sync.credit_settings(auto_top_up=enabled))
        except ApiError as error:
            self.message.show_error(S.describe_error(error))
            if self.credits is not None:
                self._show_credits(self.credits)
