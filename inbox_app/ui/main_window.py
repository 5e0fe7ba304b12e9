"""The main window: inbox list on the left, the open thread and compose box on the right."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.sync.errors import ApiError, Unreachable
from inbox_app.ui import errors, strings, theme
from inbox_app.ui.records.switch import ViewSwitch
from inbox_app.ui.slots import async_slot
from inbox_app.ui.thread_list import ThreadListModel, ThreadListView, display_name, phone_text

# What a start from the cache paints first (the sidebar with the cached list, the rail, the
# status bar, the menus) needs only the imports above: no pydantic, asyncio or keyring
# (bench/cold_start.py, tests/ui/test_cold_start.py). The rest of the window (the thread pane,
# search hits, notifications) and its modules come with the session, in `attach()`, where
# they are imported.
if TYPE_CHECKING:
    import asyncio

    from inbox_app.models.schemas import ConversationOut, MessageOut
    from inbox_app.sync.cache import OutboxItem
    from inbox_app.sync.quick_start import CachedStart
    from inbox_app.sync.session import SyncClient

# Conversations per page of the list; more load as it is scrolled to the end.
LIST_PAGE = 200
# The open thread is told to the server once it has been open this long, and again this often
# (the server forgets after 10 minutes: server/stream.OPEN_SECONDS).
VIEWING_SETTLE_MS = 300
VIEWING_REFRESH_MS = 4 * 60 * 1000

log = logging.getLogger("inbox.ui")

# What clicking the bell does in each state (ConversationOut.bell).
BELL_ACTION = {"not_following": "follow", "following": "mute", "muted": "unmute"}


async def ask(dialog: QDialog) -> int:
    """Show `dialog` modally and wait for it without a nested event loop."""
    import asyncio

    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda result: future.done() or future.set_result(result))
    dialog.open()
    return await future


def thread_page() -> int:
    """Messages per page of a thread (ui/thread_view.PAGE, imported with the thread pane)."""
    from inbox_app.ui.thread_view import PAGE

    return PAGE


def pending_message(item: OutboxItem, index: int) -> MessageOut:
    """An outbox entry shown as a message row (negative id, status "pending")."""
    from inbox_app.domain.sms import measure
    from inbox_app.models.schemas import MessageOut
    from inbox_app.ui.thread_view import PENDING

    m = measure(item.body)
    return MessageOut(
        id=-(index + 1),
        conversation_id=item.conversation_id,
        direction="outbound",
        body=item.body,
        status=PENDING,
        segments=m.segments,
        encoding=str(m.encoding),
        created_at=item.created_at,
        send_at=item.send_at,
        error=item.error,
    )


class FileUnderDialog(QDialog):
    """Pick the client and matter a conversation is filed under."""

    def __init__(self, sync: SyncClient, conversation: ConversationOut, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("fileUnderDialog")
        self.setWindowTitle(strings.FILE_UNDER.rstrip("…"))
        self.setMinimumWidth(380)
        self._sync = sync
        self._conversation = conversation
        self.client_box = QComboBox(self)
        self.client_box.setObjectName("fileClientBox")
        self.matter_box = QComboBox(self)
        self.matter_box.setObjectName("fileMatterBox")
        form = QFormLayout()
        form.addRow(strings.tr("Client"), self.client_box)
        form.addRow(strings.tr("Matter"), self.matter_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.client_box.currentIndexChanged.connect(self._client_changed)

    @property
    def client_id(self) -> int | None:
        return self.client_box.currentData()

    @property
    def matter_id(self) -> int | None:
        return self.matter_box.currentData()

    async def load(self) -> None:
        clients = await self._sync.clients()
        self.client_box.blockSignals(True)
        self.client_box.addItem(strings.tr("(none)"), None)
        for c in clients:
            self.client_box.addItem(f"{c.first_name} {c.last_name}".strip(), c.id)
        index = self.client_box.findData(self._conversation.client_id)
        self.client_box.setCurrentIndex(max(0, index))
        self.client_box.blockSignals(False)
        await self._load_matters(self._conversation.matter_id)

    @async_slot(int)
    async def _client_changed(self, _index: int) -> None:
        await self._load_matters(None)

    async def _load_matters(self, selected: int | None) -> None:
        self.matter_box.clear()
        self.matter_box.addItem(strings.tr("(none)"), None)
        if self.client_id is None:
            return
        try:
            matters = await self._sync.matters(self.client_id)
        except ApiError:
            matters = []
        for m in matters:
            label = f"{m.name} ({m.case_number})" if m.case_number else m.name
            self.matter_box.addItem(label, m.id)
        self.matter_box.setCurrentIndex(max(0, self.matter_box.findData(selected)))


class MainWindow(QMainWindow):
    """The inbox. Everything it shows comes from `SyncClient`; it never waits on the network.

    Signals:
      thread_loaded(int conversation_id): a thread's first page is on screen.
      thread_reloaded(int conversation_id): the open thread was fetched again (live change).
      list_loaded(): the conversation list was (re)loaded.
      list_painted(int rows): the list's first paint with rows is done (once).
      quick_replies_loaded(): the compose box's quick replies were (re)read.
      signed_out(): the user signed out from this window.
      closed(): the window really closed (Quit, or closed where there is no tray to stay in).
    """

    thread_loaded = Signal(int)
    thread_reloaded = Signal(int)
    list_loaded = Signal()
    list_page_loaded = Signal()
    quick_replies_loaded = Signal()
    search_hits_loaded = Signal()
    list_painted = Signal(int)
    signed_out = Signal()
    closed = Signal()

    def __init__(self, sync: SyncClient | None, parent=None) -> None:
        """`sync` None: only what a start from the cache paints first is built (the sidebar
        and its list, the rail, the status bar and the menus; `show_cached_start()` fills
        them); `attach(sync)` builds the rest into the same window once the session is up."""
        super().__init__(parent)
        self.sync: SyncClient | None = None
        self.setObjectName("mainWindow")
        self.setWindowTitle(strings.WINDOW_TITLE)
        self.setWindowIcon(theme.app_icon())
        self.resize(1180, 760)
        self.current_id: int | None = None
        self.show_archived = False
        self.unread_only = False
        # Only threads where a note mentions me that I have not opened yet.
        self.mentions_only = False
        self.assigned_only = False
        self.colleagues: list = []
        self.query = ""
        self.last_notification: dict | None = None
        self.last_error: str | None = None
        self._list_generation = 0
        self._list_cursor: str | None = None
        self._list_total = 0
        self._loading_list = False
        # (conversation id, message id): the next opening of that thread shows that message.
        self._open_at: tuple[int, int] | None = None
        self._loading_older = False
        self._dirty: set[int] = set()
        # Refreshes of one conversation can answer out of order; only the newest one counts.
        self._refresh_generation: dict[int, int] = {}
        self._pending_keys: dict[int, str] = {}
        self._tasks: set[asyncio.Task] = set()
        self.credits_balance: int | None = None
        self._closed = False
        self._quitting = False

        self.notifier = None
        # The cache this window painted before the session (ui/application.py), if it did.
        self.cached_start: CachedStart | None = None
        self._dirty_timer = QTimer(self)
        self._dirty_timer.setObjectName("conversationRefreshTimer")
        self._dirty_timer.setSingleShot(True)
        self._dirty_timer.setInterval(30)
        self._dirty_timer.timeout.connect(self._refresh_dirty)
        self._search_timer = QTimer(self)
        self._search_timer.setObjectName("searchTimer")
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._search_now)
        # Which thread is open, told to the server a moment after it settles (arrowing through
        # the list opens each row) and again every few minutes: typing reaches only the desktops
        # that have the thread open.
        self._viewing_timer = QTimer(self)
        self._viewing_timer.setObjectName("viewingTimer")
        self._viewing_timer.setSingleShot(True)
        self._viewing_timer.setInterval(VIEWING_SETTLE_MS)
        self._viewing_timer.timeout.connect(self._say_viewing)
        self._viewing_refresh = QTimer(self)
        self._viewing_refresh.setInterval(VIEWING_REFRESH_MS)
        self._viewing_refresh.timeout.connect(self._say_viewing)
        self.list_model = ThreadListModel(self)
        self._build()
        self._build_actions()
        self._set_online(False)
        if sync is not None:
            self.attach(sync)

    def attach(self, sync: SyncClient) -> None:
        """The session is up: build the rest of the window (thread pane, search hits,
        notifications) and connect it to `sync`; the cached rows on show become models."""
        from inbox_app.ui.inbox.search_hits import MessageHitModel
        from inbox_app.ui.inbox.thread_nav import ThreadNavigator
        from inbox_app.ui.thread_view import MessageListModel

        self.sync = sync
        self.hit_model = MessageHitModel(self)
        self.thread_model = MessageListModel(self)
        self.thread_model.thumbnail_wanted.connect(self._fetch_thumbnail)
        self._build_session_part()
        self.navigator = ThreadNavigator(self, self.find_bar)
        self.refresh_icons()
        self._connect_sync()
        self.notifier = self._make_notifier()
        self._viewing_refresh.start()
        self.views.attach(sync)
        self._show_thread(None)
        self._set_online(sync.is_online)
        self._adopt_cached_rows()
        self._update_unread_badge()

    # --- building -------------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("mainSplitter")
        splitter.setHandleWidth(1)
        splitter.setChildrenCollapsible(False)

        # Left: title, search, filters, list.
        sidebar = QFrame(splitter)
        sidebar.setObjectName("sidebar")
        sidebar.setMinimumWidth(300)
        title_row = QHBoxLayout()
        self.sidebar_title = QLabel(strings.INBOX, sidebar)
        self.sidebar_title.setObjectName("sidebarTitle")
        self.new_button = QToolButton(sidebar)
        self.new_button.setObjectName("newConversationButton")
        self.new_button.setToolTip(f"{strings.NEW_CONVERSATION} (Ctrl+N)")
        self.new_button.setIconSize(QSize(20, 20))
        self.new_button.setAutoRaise(True)
        self.new_button.clicked.connect(self.new_conversation)
        title_row.addWidget(self.sidebar_title, 1)
        title_row.addWidget(self.new_button)

        self.search_edit = QLineEdit(sidebar)
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setPlaceholderText(strings.SEARCH_PLACEHOLDER)
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_edit.returnPressed.connect(self._search_now)
        self.search_edit.installEventFilter(self)

        filters = QWidget(sidebar)
        filters.setObjectName("filterBar")
        row = QHBoxLayout(filters)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.unread_toggle = QToolButton(filters)
        self.unread_toggle.setObjectName("unreadToggle")
        self.unread_toggle.setText(strings.UNREAD_ONLY)
        self.unread_toggle.setCheckable(True)
        self.unread_toggle.toggled.connect(self.set_unread_only)
        self.archived_toggle = QToolButton(filters)
        self.archived_toggle.setObjectName("archivedToggle")
        self.archived_toggle.setText(strings.ARCHIVED)
        self.archived_toggle.setCheckable(True)
        self.archived_toggle.toggled.connect(self.set_show_archived)
        row.addWidget(self.unread_toggle)
        self.mentions_toggle = QToolButton(filters)
        self.mentions_toggle.setObjectName("mentionsToggle")
        self.mentions_toggle.setText(strings.MENTIONS)
        self.mentions_toggle.setCheckable(True)
        self.mentions_toggle.toggled.connect(self.set_mentions_only)
        row.addWidget(self.archived_toggle)
        row.addStretch(1)
        # The team's filters on a row of their own: four labels do not fit the sidebar's width.
        team = QWidget(sidebar)
        team.setObjectName("filterBar")
        team_row = QHBoxLayout(team)
        team_row.setContentsMargins(0, 0, 0, 0)
        team_row.setSpacing(6)
        self.mentions_toggle.setParent(team)
        self.assigned_toggle = QToolButton(team)
        self.assigned_toggle.setObjectName("assignedToggle")
        self.assigned_toggle.setText(strings.ASSIGNED_TO_ME)
        self.assigned_toggle.setCheckable(True)
        self.assigned_toggle.toggled.connect(self.set_assigned_only)
        team_row.addWidget(self.mentions_toggle)
        team_row.addWidget(self.assigned_toggle)
        team_row.addStretch(1)

        self.list_count = QLabel(sidebar)
        self.list_count.setObjectName("listCount")
        self.thread_list = ThreadListView(sidebar)
        self.thread_list.setModel(self.list_model)
        self.thread_list.selectionModel().currentChanged.connect(self._current_changed)
        # Space on the current row selects it without moving it: that opens it too.
        self.thread_list.selectionModel().selectionChanged.connect(
            lambda *_: self._current_changed(self.thread_list.currentIndex(), QModelIndex())
        )
        self.thread_list.verticalScrollBar().valueChanged.connect(self._list_scrolled)
        # Says once when the list is first painted with rows (bench/cold_start.py, e2e).
        self.thread_list.viewport().installEventFilter(self)
        for changed in (
            self.list_model.rowsInserted,
            self.list_model.rowsRemoved,
            self.list_model.modelReset,
        ):
            changed.connect(lambda *_: self._update_list_count())
        self.empty_list = QLabel(strings.NO_CONVERSATIONS, sidebar)
        self.empty_list.setObjectName("emptyList")
        self.empty_list.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_list.setWordWrap(True)
        self.empty_list.hide()

        left = QVBoxLayout(sidebar)
        left.setContentsMargins(0, 14, 0, 0)
        left.setSpacing(10)
        head = QVBoxLayout()
        head.setContentsMargins(16, 0, 12, 0)
        head.setSpacing(10)
        head.addLayout(title_row)
        head.addWidget(self.search_edit)
        head.addWidget(filters)
        head.addWidget(team)
        head.addWidget(self.list_count)
        left.addLayout(head)
        left.addWidget(self.thread_list, 1)
        left.addWidget(self.empty_list, 1)
        self._sidebar = sidebar

        # Right: header with actions, banner, messages, compose (attach()); or the empty state.
        self.right = QStackedWidget(splitter)
        self.right.setObjectName("threadPane")
        empty = QWidget()
        empty.setObjectName("emptyThread")
        empty.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        self.empty_icon = QLabel(empty)
        self.empty_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_title = QLabel(strings.PICK_A_THREAD, empty)
        empty_title.setObjectName("emptyThreadTitle")
        empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_hint = QLabel(strings.PICK_A_THREAD_HINT, empty)
        empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_hint.setObjectName("emptyThreadHint")
        empty_layout.addWidget(self.empty_icon)
        empty_layout.addWidget(empty_title)
        empty_layout.addWidget(empty_hint)
        empty_layout.addStretch(1)
        self.right.addWidget(empty)

        splitter.addWidget(sidebar)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 820])
        central = QWidget(self)
        central.setObjectName("central")
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.failure_bar = errors.FailureBar(central)
        errors.reporter().attach(self.failure_bar)
        column.addWidget(self.failure_bar)
        # Inbox | Clients | Upcoming (ui/records/): the inbox is this splitter.
        self.views = ViewSwitch(None, splitter, central)
        self.views.conversation_requested.connect(
            lambda phone, client_id: self._spawn(self.start_conversation(phone, client_id))
        )
        column.addWidget(self.views, 1)
        self.setCentralWidget(central)

        # Status bar: connection, outbox, user, credits.
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.connection_label = QLabel(bar)
        self.connection_label.setObjectName("connectionLabel")
        self.outbox_label = QLabel(bar)
        self.outbox_label.setObjectName("outboxLabel")
        self.user_label = QLabel(bar)
        self.user_label.setObjectName("userLabel")
        self.credits_button = QToolButton(bar)
        self.credits_button.setObjectName("creditsButton")
        self.credits_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.credits_button.clicked.connect(self.open_top_up)
        self.credits_button.hide()
        bar.addWidget(self.connection_label)
        bar.addWidget(self.outbox_label)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.credits_button)
        t = theme.current()
        self.new_button.setIcon(theme.icon("compose", t.accent))
        self.credits_button.setIcon(theme.icon("credits"))
        self.empty_icon.setPixmap(theme.pixmap("inbox", 56, t.faint, self.devicePixelRatioF()))

    def _build_session_part(self) -> None:
        """What the first paint does not show: the search hits under the list (hidden until a
        search finds messages) and the thread pane (shown when a thread opens)."""
        from inbox_app.ui.compose import ComposeBox
        from inbox_app.ui.inbox.presence import ThreadPresence
        from inbox_app.ui.inbox.search_hits import MessageHitView
        from inbox_app.ui.inbox.thread_nav import FindBar
        from inbox_app.ui.thread_view import MessageView

        sidebar = self._sidebar
        self.hits_title = QLabel(strings.SEARCH_MESSAGES, sidebar)
        self.hits_title.setObjectName("messageHitsTitle")
        self.hit_list = MessageHitView(sidebar)
        self.hit_list.setModel(self.hit_model)
        self.hit_list.hit_activated.connect(
            lambda hit: self._spawn(self.navigator.open_at(hit.conversation_id, hit.id))
        )
        self.hits_title.hide()
        self.hit_list.hide()
        left = sidebar.layout()
        hits_head = QHBoxLayout()
        hits_head.setContentsMargins(16, 0, 12, 0)
        hits_head.addWidget(self.hits_title)
        left.addLayout(hits_head)
        left.addWidget(self.hit_list, 1)

        thread = QWidget()
        thread_layout = QVBoxLayout(thread)
        thread_layout.setContentsMargins(0, 0, 0, 0)
        thread_layout.setSpacing(0)
        thread_layout.addWidget(self._build_header())
        self.banner = QFrame(thread)
        self.banner.setObjectName("banner")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(18, 8, 18, 8)
        self.banner_label = QLabel(self.banner)
        self.banner_label.setObjectName("bannerLabel")
        self.banner_label.setWordWrap(True)
        banner_layout.addWidget(self.banner_label)
        self.banner.hide()
        thread_layout.addWidget(self.banner)
        self.find_bar = FindBar(thread)
        thread_layout.addWidget(self.find_bar)
        self.message_view = MessageView(thread)
        self.message_view.setModel(self.thread_model)
        self.message_view.older_wanted.connect(self.load_older)
        self.message_view.newer_wanted.connect(lambda: self._spawn(self.navigator.load_newer()))
        self.message_view.media_clicked.connect(self.open_media)
        self.message_view.action_clicked.connect(self._message_action)
        self.message_view.save_image_requested.connect(
            lambda media: self._spawn(self._save_image(media))
        )
        thread_layout.addWidget(self.message_view, 1)
        # "Dana is typing…" and "Seen by Dana, Marcus" (ui/inbox/presence.py).
        self.presence_line = ThreadPresence(thread)
        thread_layout.addWidget(self.presence_line)
        self.recent_reply_box = None
        self.compose = ComposeBox(thread)
        self.compose.send_requested.connect(self._send_requested)
        self.compose.typing.connect(self._typing)
        self.compose.quick_reply_chosen.connect(
            lambda reply: self._spawn(self.insert_quick_reply(reply.id))
        )
        self.compose.manage_quick_replies.connect(lambda: self.open_quick_replies("personal"))
        self.compose.note_requested.connect(self._note_requested)
        thread_layout.addWidget(self.compose)
        self.right.addWidget(thread)

        more = QMenu(self)
        more.setObjectName("threadMenu")
        more.addAction(self.action_file)
        more.addAction(self.action_leave)
        more.addSeparator()
        more.addAction(self.action_block)
        self.more_button.setMenu(more)
        # The focus goes through these as when they were built with the sidebar: the hits
        # after the list, the thread pane before the rail.
        QWidget.setTabOrder(self.thread_list, self.hit_list)
        self.views.tab_before_rail(thread)

    def _build_header(self) -> QWidget:
        header = QFrame()
        header.setObjectName("threadHeader")
        header.setFixedHeight(64)
        layout = QHBoxLayout(header)
        layout.setContentsMargins(18, 10, 12, 10)
        layout.setSpacing(4)
        titles = QVBoxLayout()
        titles.setSpacing(1)
        self.thread_title = QLabel(header)
        self.thread_title.setObjectName("threadTitle")
        self.thread_subtitle = QLabel(header)
        self.thread_subtitle.setObjectName("threadSubtitle")
        titles.addStretch(1)
        titles.addWidget(self.thread_title)
        titles.addWidget(self.thread_subtitle)
        titles.addStretch(1)
        layout.addLayout(titles, 1)

        def tool(name: str, tip: str, slot, checkable: bool = False) -> QToolButton:
            button = QToolButton(header)
            button.setObjectName(name)
            button.setToolTip(tip)
            button.setIconSize(QSize(20, 20))
            button.setCheckable(checkable)
            button.setAutoRaise(True)
            if slot is not None:
                button.clicked.connect(slot)
            layout.addWidget(button)
            return button

        self.assign_button = tool("assignButton", strings.ASSIGN_TIP, None)
        self.assign_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.assign_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.assign_menu = QMenu(self)
        self.assign_menu.setObjectName("assignMenu")
        self.assign_menu.aboutToShow.connect(self._fill_assign_menu)
        self.assign_button.setMenu(self.assign_menu)
        self.mute_button = tool("muteButton", strings.MUTE, self.toggle_mute)
        self.unread_button = tool("markUnreadButton", strings.MARK_UNREAD, self.mark_unread)
        self.archive_button = tool("archiveButton", strings.ARCHIVE, self.toggle_archive)
        self.print_button = tool("printButton", strings.PRINT + " (Ctrl+P)", self.print_thread)
        self.details_button = tool("detailsButton", strings.DETAILS, self.show_details)
        self.more_button = tool("moreButton", strings.MORE, None)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return header

    def _build_actions(self) -> None:
        def action(name: str, text: str, slot, shortcut=None) -> QAction:
            act = QAction(text, self)
            act.setObjectName(name)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(lambda _checked=False: slot())
            self.addAction(act)
            return act

        self.action_new = action(
            "actionNew",
            strings.NEW_CONVERSATION,
            self.new_conversation,
            QKeySequence.StandardKey.New,
        )
        self.action_find = action(
            "actionFind", strings.FIND, self.focus_search, QKeySequence.StandardKey.Find
        )
        self.action_print = action(
            "actionPrint", strings.PRINT, self.print_thread, QKeySequence.StandardKey.Print
        )
        self.action_save_export = action("actionSaveExport", strings.EXPORT_SAVE, self.save_export)
        # Ctrl+F stays the search box; in the thread, as Signal and Slack do, Ctrl+Shift+F.
        self.action_find_in_thread = action(
            "actionFindInThread",
            strings.FIND_IN_THREAD,
            lambda: self.navigator.open_find(),
            "Ctrl+Shift+F",
        )
        self.action_jump_date = action(
            "actionJumpToDate", strings.JUMP_TO_DATE, self.jump_to_date, "Ctrl+G"
        )
        self.action_jump_first = action(
            "actionJumpToFirst",
            strings.JUMP_TO_FIRST,
            lambda: self._spawn(self.navigator.jump_to_first()),
            "Ctrl+Home",
        )
        self.action_jump_latest = action(
            "actionJumpToLatest",
            strings.JUMP_TO_LATEST,
            lambda: self._spawn(self.navigator.jump_to_latest()),
            "Ctrl+End",
        )
        self.action_next = action(
            "actionNext", strings.NEXT_THREAD, lambda: self.step_thread(1), "Alt+Down"
        )
        self.action_prev = action(
            "actionPrev", strings.PREVIOUS_THREAD, lambda: self.step_thread(-1), "Alt+Up"
        )
        self.action_mute = action("actionMute", strings.MUTE, self.toggle_mute)
        self.action_unread = action("actionMarkUnread", strings.MARK_UNREAD, self.mark_unread)
        self.action_archive = action("actionArchive", strings.ARCHIVE, self.toggle_archive)
        self.action_leave = action("actionLeave", strings.LEAVE, self.leave)
        self.action_block = action("actionBlock", strings.BLOCK, self.block)
        self.action_file = action("actionFileUnder", strings.FILE_UNDER, self.file_under)
        self.action_details = action("actionDetails", strings.DETAILS, self.show_details)
        self.action_top_up = action("actionTopUp", strings.TOP_UP, self.open_top_up)
        self.action_blocked = action(
            "actionBlockedNumbers", strings.BLOCKED_NUMBERS, self.open_blocked
        )
        self.action_blocked.setVisible(False)  # admins only: shown once signed in as one
        self.action_firm_settings = action(
            "actionFirmSettings", strings.FIRM_SETTINGS, self.open_firm_settings
        )
        self.action_users = action("actionUsers", strings.USERS, self.open_users)
        self.action_flows = action("actionFlows", strings.FLOWS_MENU, self.open_flows)
        self.action_import = action("actionImport", strings.IMPORT_MENU, self.open_import)
        self.action_firm_quick_replies = action(
            "actionFirmQuickReplies", strings.QR_FIRM_MENU, lambda: self.open_quick_replies("firm")
        )
        self.action_my_quick_replies = action(
            "actionMyQuickReplies", strings.QR_MY_MENU, lambda: self.open_quick_replies("personal")
        )
        self.action_sign_out = action("actionSignOut", strings.SIGN_OUT, self.sign_out)
        self.action_quit = action(
            "actionQuit", strings.QUIT, self.quit, QKeySequence.StandardKey.Quit
        )

        menubar = self.menuBar()
        file_menu = menubar.addMenu(strings.MENU_FILE)
        file_menu.addAction(self.action_new)
        file_menu.addAction(self.action_print)
        file_menu.addAction(self.action_save_export)
        file_menu.addAction(self.action_import)
        file_menu.addSeparator()
        file_menu.addAction(self.action_my_quick_replies)
        file_menu.addAction(self.action_top_up)
        file_menu.addAction(self.action_sign_out)
        file_menu.addAction(self.action_quit)
        conversation_menu = menubar.addMenu(strings.MENU_CONVERSATION)
        for act in (
            self.action_mute,
            self.action_unread,
            self.action_archive,
            self.action_leave,
            self.action_file,
            self.action_details,
        ):
            conversation_menu.addAction(act)
        conversation_menu.addSeparator()
        conversation_menu.addAction(self.action_block)
        view_menu = menubar.addMenu(strings.MENU_VIEW)
        view_menu.setObjectName("viewMenu")
        view_menu.addAction(self.action_find)
        view_menu.addAction(self.action_find_in_thread)
        view_menu.addAction(self.action_jump_date)
        view_menu.addAction(self.action_jump_first)
        view_menu.addAction(self.action_jump_latest)
        view_menu.addAction(self.action_next)
        view_menu.addAction(self.action_prev)
        view_menu.addSeparator()
        view_menu.addAction(self.action_blocked)
        self.view_menu = view_menu
        # Admins only (ui/admin/): the whole menu is hidden for staff once signed in.
        self.firm_menu = menubar.addMenu(strings.MENU_FIRM)
        self.firm_menu.setObjectName("firmMenu")
        self.firm_menu.addAction(self.action_firm_settings)
        self.firm_menu.addAction(self.action_users)
        self.firm_menu.addAction(self.action_flows)
        self.firm_menu.addAction(self.action_firm_quick_replies)
        self.firm_menu.menuAction().setVisible(False)
        self.action_firm_settings.setEnabled(False)
        self.action_users.setEnabled(False)

    def refresh_icons(self, *_args) -> None:
        t = theme.current()
        self.new_button.setIcon(theme.icon("compose", t.accent))
        self.archive_button.setIcon(theme.icon("archive"))
        self.assign_button.setIcon(theme.icon("user"))
        self.unread_button.setIcon(theme.icon("mark-unread"))
        self.print_button.setIcon(theme.icon("print"))
        self.details_button.setIcon(theme.icon("info"))
        self.more_button.setIcon(theme.icon("more"))
        self.credits_button.setIcon(theme.icon("credits"))
        self.empty_icon.setPixmap(theme.pixmap("inbox", 56, t.faint, self.devicePixelRatioF()))
        self.action_leave.setIcon(theme.icon("leave"))
        self.action_block.setIcon(theme.icon("block", t.danger))
        self.action_file.setIcon(theme.icon("folder"))
        self.compose.refresh_icons()
        self.views.refresh_icons()
        self._update_header()
        self.thread_list.viewport().update()
        self.message_view.viewport().update()

    def _make_notifier(self):
        from inbox_app.ui.notifications import Notifier

        try:
            notifier = Notifier(self)
        except Exception:
            log.exception("notifications are unavailable")
            return None
        notifier.activated.connect(self.open_from_notification)
        notifier.show_requested.connect(self._raise)
        notifier.quit_requested.connect(self.quit)
        notifier.enabled_changed.connect(
            lambda enabled: self._spawn(self.sync.set_notifications_enabled(enabled))
        )
        # The toast sits over the top of the thread, clear of the compose box.
        notifier.set_anchor(self.message_view)
        self.view_menu.addSeparator()
        self.view_menu.addAction(notifier.enabled_action)
        self.view_menu.addAction(notifier.sound_action)
        return notifier

    def _connect_sync(self) -> None:
        s = self.sync
        s.conversations_changed.connect(self.refresh_list)
        s.conversation_updated.connect(self._mark_dirty)
        s.thread_changed.connect(self._thread_changed)
        s.messages_removed.connect(self._messages_removed)
        s.conversation_deleted.connect(self._drop_conversation)
        s.conversation_deleted.connect(self._withdraw_notification)
        s.message_received.connect(self._message_received)
        s.message_updated.connect(self._message_updated)
        s.colleague_typing.connect(self.presence_line.colleague_typing)
        s.seen_changed.connect(self.presence_line.set_seen_by)
        s.outbox_changed.connect(self._outbox_changed)
        s.credits_changed.connect(self._credits_changed)
        s.notify.connect(self._notify)
        s.quick_replies_changed.connect(lambda: self._spawn(self.load_quick_replies()))
        s.online_changed.connect(self._set_online)
        s.error.connect(self.show_error)

    # --- tasks ------------------------------------------------------------------------------

    def _spawn(self, coro) -> asyncio.Task | None:
        if self._closed:
            coro.close()
            return None
        import asyncio

        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, ApiError):
            self.show_error(exc.detail)
        elif exc is not None:
            errors.report(exc, "background task")

    # --- loading ----------------------------------------------------------------------------

    async def load(self) -> None:
        """After sign-in: user, list, credits, outbox."""
        user = self.sync.user
        if user is not None:
            self._show_user(user.firm_name, user.display_name or user.username)
            self.thread_model.my_user_id = user.id
            if self.notifier is not None:
                self.notifier.seed_from_user(user)
        self._show_role(self.sync.is_admin)
        self.show_cached_list()
        if not self.sync.is_admin:  # staff read flows from the View menu (the Firm menu is hidden)
            self.view_menu.addAction(self.action_flows)
        await self.refresh_list()
        self._spawn(self.load_quick_replies())
        self._spawn(self.load_colleagues())
        self._update_outbox_label()
        with contextlib.suppress(ApiError):
            self._credits_changed((await self.sync.credits()).balance)

    def _show_user(self, firm_name: str, name: str) -> None:
        title = strings.WINDOW_TITLE_FIRM.format(firm=firm_name) if firm_name else None
        self.setWindowTitle(title or strings.WINDOW_TITLE)
        self.user_label.setText(name)

    def _show_role(self, is_admin: bool) -> None:
        self.credits_button.setToolTip(
            strings.CREDITS_TOOLTIP_ADMIN if is_admin else strings.CREDITS_TOOLTIP
        )
        self.action_blocked.setVisible(is_admin)
        self.firm_menu.menuAction().setVisible(is_admin)
        self.action_firm_settings.setEnabled(is_admin)
        self.action_users.setEnabled(is_admin)

    def show_cached_start(self, start: CachedStart) -> None:
        """Before the session (`sync` None): the cached user and inbox rows, as `load()` will
        show them (sync/quick_start.py), so that nothing changes on screen when it does."""
        user = start.user
        self._show_user(
            str(user.get("firm_name") or ""),
            str(user.get("display_name") or user.get("username") or ""),
        )
        self._show_role(user.get("role") == "admin")
        self.list_model.set_conversations(start.rows)
        self._update_empty_list()
        log.info("conversation list shown from the cache (%d)", len(start.rows))

    def _adopt_cached_rows(self) -> None:
        """The light rows of the first paint become `ConversationOut`s (nothing repaints)."""
        from inbox_app.models.schemas import ConversationOut
        from inbox_app.sync.quick_start import CachedConversation

        self.list_model.replace_in_place(
            lambda c: (
                ConversationOut.model_validate(c.data) if isinstance(c, CachedConversation) else c
            )
        )

    def show_cached_list(self) -> bool:
        """Paint the cached inbox's first page before the server answers (start fast); the
        server's listing (or, offline, the whole cache) replaces it when it comes."""
        store = self.sync.store
        if store is None or self.list_model.rowCount():
            return False
        cached = store.conversations(
            unread=self.unread_only, archived=self.show_archived, limit=LIST_PAGE
        )
        if not cached:
            return False
        self.list_model.set_conversations(cached)
        self._update_empty_list()
        self._update_unread_badge()
        log.info("conversation list shown from the cache (%d)", len(cached))
        return True

    @async_slot()
    async def refresh_list(self) -> None:
        """Reload the conversation list for the current filters (server, else cache)."""
        self._list_generation += 1
        generation = self._list_generation
        # A conversation read again (a stream event) while this listing is on its way wins.
        since = self.list_model.mark()
        try:
            conversations, total, cursor = await self.sync.conversations_page(
                unread=self.unread_only,
                archived=self.show_archived,
                q=self.query or None,
                limit=LIST_PAGE,
                **self._extra_filters(),
            )
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        if generation != self._list_generation:
            return  # a newer request (filter change) superseded this one
        self._list_cursor, self._list_total = cursor, total
        if (
            self.unread_only or self.mentions_only or self.assigned_only
        ) and self.current_id is not None:
            # Keep the open thread listed while it is being read.
            current = self.list_model.by_id(self.current_id)
            if current is not None and all(c.id != current.id for c in conversations):
                conversations.append(current)
        self.list_model.set_conversations(conversations, since=since)
        self._reselect_current()
        self._update_empty_list()
        self._update_unread_badge()
        log.info("conversation list loaded (%d)", self.list_model.rowCount())
        self._update_list_count()
        self.list_loaded.emit()

    def _list_scrolled(self, value: int) -> None:
        bar = self.thread_list.verticalScrollBar()
        if self._list_cursor and value >= bar.maximum() - 3 * self.thread_list.sizeHintForRow(0):
            self._spawn(self.load_more_conversations())

    async def load_more_conversations(self) -> None:
        """The list was scrolled to its end: append the next page."""
        if self._loading_list or not self._list_cursor:
            return
        generation, cursor = self._list_generation, self._list_cursor
        self._loading_list = True
        try:
            rows, _total, next_cursor = await self.sync.conversations_page(
                unread=self.unread_only,
                archived=self.show_archived,
                q=self.query or None,
                limit=LIST_PAGE,
                cursor=cursor,
                **self._extra_filters(),
            )
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        finally:
            self._loading_list = False
        if generation != self._list_generation:
            return
        self._list_cursor = next_cursor
        self.list_model.extend(rows)
        self._update_list_count()
        self.list_page_loaded.emit()

    def _update_list_count(self) -> None:
        shown = self.list_model.rowCount()
        total = max(self._list_total, shown)
        self.list_count.setText(strings.conversation_count(shown, total) if total else "")

    def _reselect_current(self) -> None:
        row = self.list_model.row_of(self.current_id) if self.current_id is not None else -1
        selection = self.thread_list.selectionModel()
        selection.blockSignals(True)
        if row >= 0:
            index = self.list_model.index(row)
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        else:
            selection.clearSelection()
        selection.blockSignals(False)
        self.thread_list.viewport().update()

    def _update_empty_list(self) -> None:
        empty = self.list_model.rowCount() == 0
        if self.query:
            text = strings.NO_MATCHES.format(q=self.query)
        elif self.show_archived:
            text = strings.NO_ARCHIVED
        elif self.mentions_only:
            text = strings.NO_MENTIONS
        elif self.assigned_only:
            text = strings.NO_ASSIGNED
        elif self.unread_only:
            text = strings.NO_UNREAD
        else:
            text = strings.NO_CONVERSATIONS
        self.empty_list.setText(text)
        self.empty_list.setVisible(empty)
        self.thread_list.setVisible(not empty)

    def _update_unread_badge(self) -> None:
        if self.notifier is not None and not self.show_archived and not self.query:
            self.notifier.set_unread(
                sum(1 for c in self.list_model.conversations() if c.unread_count and not c.muted)
            )

    def set_unread_only(self, on: bool) -> None:
        self.unread_only = on
        if self.unread_toggle.isChecked() != on:
            self.unread_toggle.setChecked(on)
        self.refresh_list()

    def _filtered(self) -> bool:
        """Some filter or a search hides part of the inbox."""
        return bool(
            self.show_archived
            or self.unread_only
            or self.mentions_only
            or self.assigned_only
            or self.query
        )

    def set_mentions_only(self, on: bool) -> None:
        self.mentions_only = on
        if self.mentions_toggle.isChecked() != on:
            self.mentions_toggle.setChecked(on)
        self.refresh_list()

    def _extra_filters(self) -> dict:
        """The team filters of the list, as `conversations_page` takes them."""
        extra = {}
        if self.mentions_only:
            extra["mentions"] = True
        if self.assigned_only:
            extra["assigned_to_me"] = True
        return extra

    def set_assigned_only(self, on: bool) -> None:
        self.assigned_only = on
        if self.assigned_toggle.isChecked() != on:
            self.assigned_toggle.setChecked(on)
        self.refresh_list()

    def set_show_archived(self, on: bool) -> None:
        self.show_archived = on
        if self.archived_toggle.isChecked() != on:
            self.archived_toggle.setChecked(on)
        self.sidebar_title.setText(strings.ARCHIVED if on else strings.INBOX)
        self._show_thread(None)
        self.refresh_list()

    def set_query(self, text: str) -> None:
        self.search_edit.setText(text)
        self._search_now()

    def _search_now(self) -> None:
        self._search_timer.stop()
        query = self.search_edit.text().strip()
        if query != self.query:
            self.query = query
            self.refresh_list()
            self._spawn(self._search_messages(query))

    async def _search_messages(self, query: str) -> None:
        """While searching: the messages whose text matched, under the conversations."""
        hits, names = [], {}
        if query:
            try:
                found = await self.sync.search(query)
            except ApiError as exc:
                self.show_error(exc.detail)
                return
            if query != self.query:
                return
            names = {c.id: display_name(c) for c in found.conversations}
            for hit in found.messages:
                if hit.conversation_id not in names:
                    known = self.list_model.by_id(hit.conversation_id)
                    names[hit.conversation_id] = display_name(known) if known else ""
            hits = found.messages
        self.hit_model.set_hits(hits, names)
        self.hits_title.setVisible(bool(hits))
        self.hit_list.setVisible(bool(hits))
        self.search_hits_loaded.emit()

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def eventFilter(self, watched, event) -> bool:
        if (
            event.type() == event.Type.Paint
            and watched is self.thread_list.viewport()
            and self.list_model.rowCount()
        ):
            watched.removeEventFilter(self)
            rows = self.list_model.rowCount()
            # Said once this paint is done (the next turn of the event loop).
            QTimer.singleShot(0, self, lambda: self._say_list_painted(rows))
        # Up/Down in the search box walk the (filtered) list; the focus stays in the box so
        # the query can still be refined. (Moving the focus to the list would also make it
        # select its first row on focus-in, one step too far.)
        if (
            watched is self.search_edit
            and event.type() == event.Type.KeyPress
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self.step_thread(1 if event.key() == Qt.Key.Key_Down else -1)
            return True
        return super().eventFilter(watched, event)

    def _say_list_painted(self, rows: int) -> None:
        log.info("conversation list painted (%d)", rows)
        self.list_painted.emit(rows)

    def step_thread(self, delta: int) -> None:
        """Select the next (+1) or previous (-1) conversation."""
        count = self.list_model.rowCount()
        if not count:
            return
        row = self.list_model.row_of(self.current_id) if self.current_id is not None else -1
        row = min(count - 1, max(0, row + delta)) if row >= 0 else 0
        self.select_conversation(self.list_model.conversation(row).id)

    def select_conversation(self, conversation_id: int) -> bool:
        """Select a listed conversation (opens it); False when it is not listed."""
        row = self.list_model.row_of(conversation_id)
        if row < 0:
            return False
        index = self.list_model.index(row)
        self.thread_list.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.thread_list.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        # Focus arriving in the list (e.g. when a dialog closes after leaving or blocking the
        # open thread) makes its first row current without selecting it: that must not open,
        # and so mark read, a thread nobody picked. Clicks, arrows and Space select.
        if not self.thread_list.selectionModel().isSelected(current):
            return
        conversation_id = current.data(ThreadListModel.IdRole)
        if conversation_id != self.current_id:
            self.open_conversation(conversation_id)

    # --- the open thread --------------------------------------------------------------------

    def current_conversation(self) -> ConversationOut | None:
        if self.current_id is None:
            return None
        return self.list_model.by_id(self.current_id) or self.sync.cached_conversation(
            self.current_id
        )

    def _show_thread(self, conversation_id: int | None) -> None:
        self.current_id = conversation_id
        if conversation_id is not None and conversation_id != self.sync.open_thread:
            self._viewing_timer.start()
        has = conversation_id is not None
        self.right.setCurrentIndex(1 if has else 0)
        for act in (
            self.action_mute,
            self.action_unread,
            self.action_archive,
            self.action_leave,
            self.action_block,
            self.action_file,
            self.action_details,
            self.action_print,
            self.action_save_export,
            self.action_find_in_thread,
            self.action_jump_date,
            self.action_jump_first,
            self.action_jump_latest,
        ):
            act.setEnabled(has)
        if not has:
            focus = self.focusWidget()
            if focus is not None and self.right.isAncestorOf(focus):
                # Hiding the thread would pass the focus on as if by Tab (which opens the
                # list's first row); hand it to the list plainly instead.
                self.thread_list.setFocus(Qt.FocusReason.OtherFocusReason)
            self.thread_model.clear()
            self.thread_list.selectionModel().clearSelection()
            self.thread_list.selectionModel().clearCurrentIndex()
        self._update_header()

    def jump_to_date(self) -> None:
        """Ask for a day and show the thread from its first message on that day."""
        if self.current_id is None:
            return
        from PySide6.QtCore import QDate

        from inbox_app.ui.inbox.thread_nav import JumpToDateDialog

        first = self.thread_model.messages()[:1]
        shown = first[0].created_at.astimezone() if first else datetime.now().astimezone()
        dialog = JumpToDateDialog(QDate(shown.year, shown.month, shown.day), self)
        self.jump_dialog = dialog

        def done(result: int) -> None:
            if result:
                self._spawn(self.navigator.jump_to_date(dialog.day))

        dialog.finished.connect(done)
        dialog.open()

    def open_conversation_at(self, conversation_id: int, message_id: int) -> None:
        """Open a thread showing one of its messages, marked (a search hit)."""
        self._open_at = (conversation_id, message_id)
        if not self.select_conversation(conversation_id):
            self.thread_list.selectionModel().clearSelection()
            self.open_conversation(conversation_id)

    def open_conversation(self, conversation_id: int) -> None:
        """Show a thread: cached messages at once, then the server's newest page."""
        at_message = None
        if self._open_at is not None and self._open_at[0] == conversation_id:
            at_message = self._open_at[1]
        self._open_at = None
        self._show_thread(conversation_id)
        self.presence_line.set_me(self.sync.user.id if self.sync.user else None)
        self.presence_line.set_thread(conversation_id)
        if self.compose.note_mode:
            self.compose.set_note_mode(False, focus=False)  # each thread starts with a text
        self.navigator.reset_find()
        self._pending_keys.clear()
        if at_message is not None:
            self.thread_model.set_thread(conversation_id, [], False)
            self._spawn(self._load_thread(conversation_id, at_message))
            return
        cached: list[MessageOut] = []
        if self.sync.store is not None:
            cached, _ = self.sync.store.messages(conversation_id, None, thread_page())
        self.thread_model.set_thread(conversation_id, cached, bool(cached))
        self._show_pending()
        self.message_view.scroll_to_end()
        self._spawn(self._load_thread(conversation_id))

    async def _load_thread(self, conversation_id: int, at_message: int | None = None) -> None:
        # A text that arrives (or is sent) while the page is on its way is applied again over it.
        since = self.thread_model.mark()
        try:
            page = await self.sync.messages(conversation_id, limit=thread_page(), around=at_message)
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        if self.current_id != conversation_id:
            return
        self.thread_model.set_thread(
            conversation_id, page.messages, page.has_more, page.has_more_after, since=since
        )
        self.presence_line.set_seen_by(conversation_id, page.seen_by)
        if not page.has_more_after:
            self._show_pending()
        if at_message is not None:
            self.navigator.mark(at_message)
        else:
            self.message_view.scroll_to_end()
        log.info("thread loaded %d", conversation_id)
        self.thread_loaded.emit(conversation_id)
        # Read on open even when the listed count looks zero: it may be a moment old.
        if page.messages and self.current_id == conversation_id:
            await self._act(conversation_id, "read")

    @async_slot()
    async def load_older(self) -> None:
        """Top of the thread reached: reveal loaded rows, else fetch an older page."""
        if self.thread_model.hidden_older():
            self.thread_model.reveal_older(thread_page())
            return
        if self._loading_older or not self.thread_model.has_more or self.current_id is None:
            return
        conversation_id = self.current_id
        before = self.thread_model.oldest_id()
        self._loading_older = True
        try:
            page = await self.sync.messages(conversation_id, before=before, limit=thread_page())
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        finally:
            self._loading_older = False
        if self.current_id == conversation_id:
            self.thread_model.prepend_page(page.messages, page.has_more)

    def _update_header(self) -> None:
        c = self.current_conversation()
        if c is None:
            self.thread_title.setText("")
            self.thread_subtitle.setText("")
            self.banner.hide()
            self.compose.set_can_send(False)
            return
        self.thread_title.setText(display_name(c))
        parts = []
        if c.contact_name:
            parts.append(phone_text(c))
        if c.matter:
            parts.append(c.matter)
        self.thread_subtitle.setText("  ·  ".join(parts))
        self.thread_subtitle.setVisible(bool(parts))
        self._update_bell(c)
        self._update_assignee(c)
        self.archive_button.setIcon(theme.icon("unarchive" if c.archived else "archive"))
        self.archive_button.setToolTip(strings.UNARCHIVE if c.archived else strings.ARCHIVE)
        self.action_archive.setText(strings.UNARCHIVE if c.archived else strings.ARCHIVE)
        if c.opted_out:
            self.banner_label.setText(strings.OPTED_OUT_BANNER)
            self.banner.show()
        else:
            self.banner.hide()
        self.compose.set_can_send(not c.opted_out and not c.blocked, can_note=not c.blocked)
        self.compose.recipient_zone = c.time_zone
        self.thread_model.recipient_zone = c.time_zone

    def _update_bell(self, c: ConversationOut) -> None:
        """The bell shows whether *I* am notified of replies here, and what a click does."""
        t = theme.current()
        following = c.bell == "following"
        icon = "bell-off" if c.bell == "muted" else "bell"
        self.mute_button.setIcon(theme.icon(icon, t.accent if following else None))
        self.mute_button.setToolTip(strings.BELL_TIPS[c.bell])
        self.mute_button.setAccessibleName(strings.BELL_TIPS[c.bell])
        self.mute_button.setProperty("bell", c.bell)
        not_following = c.bell == "not_following"
        self.mute_button.setText(strings.FOLLOW if not_following else "")
        self.mute_button.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            if not_following
            else Qt.ToolButtonStyle.ToolButtonIconOnly
        )
        self.action_mute.setText(strings.BELL_ACTIONS[c.bell])

    def _show_pending(self) -> None:
        if self.current_id is None:
            return
        items = self.sync.outbox(self.current_id)
        self._pending_keys = {-(i + 1): item.key for i, item in enumerate(items)}
        self.thread_model.set_pending([pending_message(item, i) for i, item in enumerate(items)])

    # --- sending ----------------------------------------------------------------------------

    def _send_requested(self, body: str, send_at, images: list) -> None:
        if self.current_id is None:
            return
        self.compose.clear()
        self._spawn(self.send(self.current_id, body, send_at, images))

    async def send(
        self, conversation_id: int, body: str, send_at: datetime | None = None, images=()
    ) -> MessageOut | None:
        """Send through sync; a refusal puts the text back in the compose box.

        A text sent now first asks the server whether a colleague texted this client in the
        last 2 minutes; if so, "Dana replied 40 s ago: send anyway?" decides (No keeps it as a
        draft).
        """
        images = list(images)
        check = send_at is None
        try:
            try:
                message = await self.sync.send(
                    conversation_id, body, send_at, images, check_recent_reply=check
                )
            except ApiError as exc:
                if not (check and exc.code == "recent_reply"):
                    raise
                if not await self._send_anyway(exc):
                    log.info("send kept as a draft after a recent reply")
                    if self.current_id == conversation_id:
                        self.compose.restore(body, images)
                    return None
                message = await self.sync.send(conversation_id, body, send_at, images)
        except ApiError as exc:
            if self.current_id == conversation_id:
                self.compose.restore(body, images)
            self.show_error(strings.SEND_FAILED.format(detail=exc.detail))
            return None
        if message is None:
            self.statusBar().showMessage(strings.QUEUED_OFFLINE, 8000)
        else:
            log.info("message sent %d", message.id)
        return message

    async def _send_anyway(self, refusal: ApiError) -> bool:
        """Ask whether to send although a colleague just replied (the server's 409 says who)."""
        name = str(refusal.info.get("sent_by") or strings.NOTE_SOMEONE)
        try:
            seconds = int(refusal.info.get("seconds_ago") or 0)
        except (TypeError, ValueError):
            seconds = 0
        from inbox_app.ui.inbox.presence import ask_recent_reply

        self.recent_reply_box, answer = ask_recent_reply(self, name, seconds)
        log.info("asked about a recent reply by %s", name)
        try:
            return await answer
        finally:
            self.recent_reply_box = None

    def _say_viewing(self) -> None:
        if self.current_id is not None:
            self._spawn(self.sync.announce_viewing(self.current_id))

    def _typing(self) -> None:
        if self.current_id is not None:
            self._spawn(self.sync.announce_typing(self.current_id))

    def _message_action(self, kind: str, message: MessageOut) -> None:
        if kind == "retry":
            self._spawn(self.sync.retry(message))
        elif kind == "edit":
            self.edit_scheduled(message)
        elif kind == "cancel":
            self._spawn(self.sync.cancel_message(message.id))
        elif kind == "discard":
            key = self._pending_keys.get(message.id)
            if key:
                self.sync.discard_outbox(key)
        elif kind == "edit_note":
            self._spawn(self.edit_note(message))

    async def _save_image(self, media) -> None:
        from inbox_app.ui.bubble_text import save_image

        try:
            path = await save_image(self.sync, media, self)
        except OSError as exc:
            self.show_error(exc.strerror or str(exc))
            return
        if path:
            self.statusBar().showMessage(strings.media_saved(path), 6000)

    def edit_scheduled(self, message: MessageOut) -> None:
        """Change a scheduled message's text and/or time (the send-later dialog, with its text)."""
        from inbox_app.ui.dialogs.send_later import SendLaterDialog

        dialog = SendLaterDialog(
            self,
            message.send_at,
            message.body,
            has_images=bool(message.media),
            recipient_zone=self.thread_model.recipient_zone,
        )
        self.edit_dialog = dialog

        def done(result: int) -> None:
            self.edit_dialog = None
            if result and dialog.send_at is not None:
                body = dialog.body if dialog.body != message.body else None
                old = message.send_at
                moved = old is None or abs((dialog.send_at - old).total_seconds()) >= 60
                if body is not None or moved:
                    self._spawn(
                        self._save_scheduled(message, body, dialog.send_at if moved else None)
                    )
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()

    async def _save_scheduled(
        self, message: MessageOut, body: str | None, send_at: datetime | None
    ) -> MessageOut | None:
        try:
            changed = await self.sync.edit_message(message.id, body, send_at)
        except ApiError as exc:
            # E.g. 409: the dispatcher claimed it meanwhile; the server says so in a sentence.
            self.show_error(strings.EDIT_FAILED.format(detail=exc.detail))
            with contextlib.suppress(ApiError):
                await self._reload_thread(message.conversation_id)
            return None
        self.statusBar().showMessage(strings.SCHEDULED_CHANGED, 5000)
        return changed

    # --- live updates ------------------------------------------------------------------------

    def _message_received(self, message: MessageOut) -> None:
        log.info("message received %d in %d", message.id, message.conversation_id)
        if message.conversation_id == self.current_id:
            self.thread_model.upsert(message)
            self.presence_line.message_arrived(message)
            if message.direction == "inbound" and self.isActiveWindow():
                self._spawn(self._act(message.conversation_id, "read"))
        self._mark_dirty(message.conversation_id)

    def _message_updated(self, message: MessageOut) -> None:
        if message.conversation_id == self.current_id:
            self.thread_model.upsert(message)

    def _thread_changed(self, conversation_id: int) -> None:
        # Reminders were regenerated server-side (a date moved): the open thread reloads.
        if conversation_id == self.current_id:
            self._spawn(self._reload_thread(conversation_id))

    def _messages_removed(self, conversation_id: int, message_ids: list) -> None:
        if conversation_id == self.current_id:
            self.thread_model.remove_ids(message_ids)

    async def _reload_thread(self, conversation_id: int) -> None:
        """Fetch the open thread's newest messages again and reconcile them with what is shown."""
        if conversation_id != self.current_id or self.thread_model.has_more_after:
            # A page from the middle: the newest messages come when scrolled to.
            return
        # Reminders sit at the end of the thread; a page as deep as what is shown covers them.
        limit = min(500, max(thread_page(), self.thread_model.rowCount()))
        since = self.thread_model.mark()
        page = await self.sync.messages(conversation_id, limit=limit)
        if conversation_id == self.current_id:
            self.thread_model.replace_newest(page.messages, page.has_more, since=since)
            self.presence_line.set_seen_by(conversation_id, page.seen_by)
            self.thread_reloaded.emit(conversation_id)

    def _outbox_changed(self, conversation_id: int) -> None:
        if conversation_id == self.current_id:
            self._show_pending()
        self._update_outbox_label()

    def _update_outbox_label(self) -> None:
        waiting = len(self.sync.outbox())
        self.outbox_label.setText(strings.OUTBOX_WAITING.format(n=waiting) if waiting else "")

    def _mark_dirty(self, conversation_id: int) -> None:
        if self._closed:
            return
        self._dirty.add(conversation_id)
        self._dirty_timer.start()

    def _refresh_dirty(self) -> None:
        ids, self._dirty = self._dirty, set()
        for conversation_id in ids:
            self._spawn(self._refresh_conversation(conversation_id))

    async def _refresh_conversation(self, conversation_id: int) -> None:
        generation = self._refresh_generation.get(conversation_id, 0) + 1
        self._refresh_generation[conversation_id] = generation
        try:
            c = await self.sync.conversation(conversation_id)
        except ApiError as exc:
            if self._refresh_generation.get(conversation_id) != generation:
                return
            if exc.status == 404:
                self._drop_conversation(conversation_id)
            return
        if c is None or self._refresh_generation.get(conversation_id) != generation:
            return
        listed = self.list_model.row_of(conversation_id) >= 0
        belongs = c.archived == self.show_archived and not c.blocked and not c.left
        if self.unread_only and not c.unread_count and conversation_id != self.current_id:
            belongs = False
        if self.mentions_only and not c.mentioned and conversation_id != self.current_id:
            belongs = False
        me = self.sync.user.id if self.sync.user else None
        if self.assigned_only and c.assignee_id != me and conversation_id != self.current_id:
            belongs = False
        if self.query and not listed:
            belongs = False  # the server decides what a search matches; refresh on next search
        if belongs:
            self.list_model.upsert(c)
            self._update_empty_list()
        elif listed:
            self._drop_conversation(conversation_id)
        if c.blocked:
            self._withdraw_notification(conversation_id)  # blocked at another desk
        if conversation_id == self.current_id:
            self._update_header()
        self._update_unread_badge()

    def _drop_conversation(self, conversation_id: int) -> None:
        """Take the conversation out of the list (and close it if it is open).

        The list's current row must not move to the next conversation: that would open it
        and mark it read behind the user's back.
        """
        if conversation_id == self.current_id:
            self._show_thread(None)
        selection = self.thread_list.selectionModel()
        selection.blockSignals(True)
        try:
            self.list_model.remove(conversation_id)
        finally:
            selection.blockSignals(False)
        if self.current_id is None:
            selection.clear()
        self.thread_list.viewport().update()
        self._update_empty_list()
        self._update_unread_badge()

    def _withdraw_notification(self, conversation_id: int) -> None:
        """A blocked number's notification does not stay on screen."""
        if self.notifier is not None:
            self.notifier.forget(conversation_id)
        if self.last_notification and self.last_notification.get("conversation_id") == (
            conversation_id
        ):
            self.last_notification = None

    def _credits_changed(self, balance: int) -> None:
        self.credits_balance = balance
        self.credits_button.setText(strings.CREDITS.format(n=f"{balance:,}"))
        self.credits_button.show()

    def _notify(self, payload: dict) -> None:
        self.last_notification = payload
        conversation_id = payload.get("conversation_id")
        if conversation_id == self.current_id and self.isActiveWindow():
            return  # already on screen
        if self.notifier is not None:
            self.notifier.handle(payload)
        else:
            self.statusBar().showMessage(f"{payload.get('title')}: {payload.get('body')}", 8000)

    def open_from_notification(self, conversation_id: int) -> None:
        self._raise()
        if conversation_id and not self.select_conversation(conversation_id):
            if self._filtered():
                self.search_edit.clear()
                self.query = ""
                self.unread_toggle.setChecked(False)
                self.archived_toggle.setChecked(False)
                self.mentions_toggle.setChecked(False)
                self.assigned_toggle.setChecked(False)
            self.open_conversation(conversation_id)

    def _raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _set_online(self, online: bool) -> None:
        t = theme.current()
        # Before the session (a start from the cache) the server has not been asked yet.
        connecting = not online and (self.sync is None or self.sync.connecting)
        if online:
            color, text = t.online, strings.ONLINE
        elif connecting:
            color, text = t.hint, strings.CONNECTING
        else:
            color, text = t.danger, strings.OFFLINE
        self.connection_label.setText(f"<span style='color:{color}'>●</span>&nbsp;" + text)
        self.connection_label.setProperty("online", online)
        self.connection_label.style().unpolish(self.connection_label)
        self.connection_label.style().polish(self.connection_label)

    def show_error(self, text: str) -> None:
        self.last_error = text
        self.statusBar().showMessage(text, 10000)

    # --- thread actions ---------------------------------------------------------------------

    async def _act(self, conversation_id: int, name: str, **body) -> ConversationOut | None:
        try:
            result = await self.sync.action(conversation_id, name, **body)
        except Unreachable:
            self.show_error(strings.OFFLINE)
            return None
        except ApiError as exc:
            self.show_error(exc.detail)
            return None
        if result is not None:
            if self.list_model.row_of(conversation_id) >= 0:
                self.list_model.upsert(result)
            if conversation_id == self.current_id:
                self._update_header()
            self._update_unread_badge()
        return result

    @async_slot()
    async def toggle_mute(self) -> None:
        """The bell: follow when I am not notified, else mute / turn notifications back on."""
        c = self.current_conversation()
        if c is not None:
            await self._act(c.id, BELL_ACTION[c.bell])

    @async_slot()
    async def mark_unread(self) -> None:
        c = self.current_conversation()
        if c is None:
            return
        if await self._act(c.id, "unread") is not None:
            # Close it, or opening it again at once would mark it read.
            self._show_thread(None)
            self.statusBar().showMessage(strings.MARKED_UNREAD, 5000)

    @async_slot()
    async def toggle_archive(self) -> None:
        c = self.current_conversation()
        if c is None:
            return
        result = await self._act(c.id, "unarchive" if c.archived else "archive")
        if result is not None and result.archived != self.show_archived:
            self._drop_conversation(c.id)
            if result.archived:
                self.statusBar().showMessage(
                    strings.ARCHIVED_CONVERSATION.format(name=display_name(c)), 6000
                )

    @async_slot()
    async def leave(self) -> None:
        """Out of my inbox at once; back in the list if the server refuses."""
        c = self.current_conversation()
        if c is None:
            return
        self._drop_conversation(c.id)
        if await self._act(c.id, "leave") is None:
            self.list_model.upsert(c)
            self._update_empty_list()
            return
        log.info("left conversation %d", c.id)
        self.statusBar().showMessage(strings.LEFT_CONVERSATION.format(name=display_name(c)), 6000)

    @async_slot()
    async def block(self) -> None:
        c = self.current_conversation()
        if c is None:
            return
        from inbox_app.ui.dialogs.block import confirm_block_async

        ok, keep = await confirm_block_async(self, c.contact_name, c.phone)
        if not ok:
            return
        try:
            await self.sync.action(c.id, "block", keep_record=keep)
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        self._drop_conversation(c.id)
        self._withdraw_notification(c.id)
        log.info("blocked conversation %d (%s)", c.id, "record kept" if keep else "deleted")
        self.statusBar().showMessage(
            strings.BLOCKED_CONVERSATION.format(name=display_name(c)), 6000
        )

    @async_slot()
    async def file_under(self) -> None:
        c = self.current_conversation()
        if c is None:
            return
        dialog = FileUnderDialog(self.sync, c, self)
        self.file_dialog = dialog
        try:
            await dialog.load()
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        if not await ask(dialog):
            return
        try:
            result = await self.sync.file_under(c.id, dialog.client_id, dialog.matter_id)
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        self.list_model.upsert(result)
        self._update_header()

    @async_slot()
    async def print_thread(self, pdf_path: str | None = None) -> None:
        c = self.current_conversation()
        if c is None:
            return
        from inbox_app.ui.printing import print_thread

        printed_by = self.sync.user.display_name if self.sync.user else ""
        try:
            await print_thread(self.sync, c.id, printed_by, pdf_path, self)
        except ApiError as exc:
            self.show_error(exc.detail)

    @async_slot()
    async def save_export(self) -> None:
        c = self.current_conversation()
        if c is None:
            return
        from inbox_app.ui.printing.dialogs import save_export_as

        try:
            await save_export_as(self.sync, c.id, self)
        except ApiError as exc:
            self.show_error(exc.detail)

    def show_details(self) -> None:
        c = self.current_conversation()
        if c is None:
            return
        from inbox_app.ui.dialogs.details import ThreadDetailsDialog

        self.details_dialog = ThreadDetailsDialog(self.sync, c, self)
        self.details_dialog.open()

    def open_media(self, media_id: int) -> None:
        from inbox_app.ui.media_viewer import MediaViewer

        self.media_viewer = MediaViewer(self.sync, media_id, self)
        self.media_viewer.show()

    def open_blocked(self) -> None:
        """The Blocked numbers view (admins): kept records, unblock, delete for good."""
        from inbox_app.ui.admin.blocked import BlockedNumbersDialog

        self.blocked_dialog = BlockedNumbersDialog(self.sync, self)
        self.blocked_dialog.open()

    def open_firm_settings(self) -> None:
        """Firm settings (admins only; the server refuses staff too)."""
        if not self.sync.is_admin:
            return
        from inbox_app.ui.admin.firm_settings import FirmSettingsDialog

        self.firm_settings_dialog = FirmSettingsDialog(self.sync, self)
        self.firm_settings_dialog.saved.connect(
            lambda s: self.setWindowTitle(strings.WINDOW_TITLE_FIRM.format(firm=s.name))
        )
        self.firm_settings_dialog.open()

    def open_users(self) -> None:
        """The firm's users (admins only; the server refuses staff too)."""
        if not self.sync.is_admin:
            return
        from inbox_app.ui.admin.users import UsersDialog

        self.users_dialog = UsersDialog(self.sync, self)
        self.users_dialog.open()

    def open_flows(self) -> None:
        """Reminder flows and templates: admins edit, staff read (the server refuses them too)."""
        from inbox_app.ui.admin.flows import FlowsDialog

        self.flows_dialog = FlowsDialog(self.sync, can_edit=self.sync.is_admin, parent=self)
        self.flows_dialog.open()

    @async_slot()
    async def open_import(self, path: str | None = None) -> None:
        """File > Import…: a CSV of clients and court dates (ui/dialogs/import_file.py)."""
        from inbox_app.ui.dialogs.import_file import open_import

        self.import_dialog = await open_import(self.sync, self, path or None)

    # --- assignment ---------------------------------------------------------------------------

    def _update_assignee(self, c: ConversationOut) -> None:
        """The header's Assign button names the assignee (initials) once there is one."""
        if c.assignee_id is None:
            self.assign_button.setText(strings.ASSIGN)
            self.assign_button.setToolTip(strings.ASSIGN_TIP)
        else:
            name = c.assignee or ""
            self.assign_button.setText(name)
            self.assign_button.setToolTip(strings.ASSIGNED_TIP.format(name=name))
        self.assign_button.setAccessibleName(self.assign_button.toolTip())
        self.assign_button.setEnabled(not c.blocked)

    async def load_colleagues(self, refill: bool = False) -> None:
        """The firm's active users; `refill`: show a changed list in the open Assign menu."""
        colleagues = await self.sync.colleagues()
        changed = [c.id for c in colleagues] != [c.id for c in self.colleagues]
        self.colleagues = colleagues
        me = self.sync.user.id if self.sync.user else None
        self.compose.edit.set_mention_names([c.username for c in colleagues if c.id != me])
        if refill and changed and self.assign_menu.isVisible():
            self._fill_assign_menu(refresh=False)

    def _fill_assign_menu(self, refresh: bool = True) -> None:
        menu = self.assign_menu
        menu.clear()
        c = self.current_conversation()
        if c is None:
            return
        me = self.sync.user.id if self.sync.user else None
        choices = [(None, strings.ASSIGN_NOBODY)]
        for colleague in self.colleagues:
            name = colleague.display_name or colleague.username
            choices.append(
                (colleague.id, strings.ASSIGN_ME.format(name=name) if colleague.id == me else name)
            )
        for user_id, label in choices:
            act = menu.addAction(label)
            act.setObjectName(f"assignTo_{user_id or 'nobody'}")
            act.setCheckable(True)
            act.setChecked(c.assignee_id == user_id)
            act.triggered.connect(
                lambda _checked=False, u=user_id, cid=c.id: self._spawn(self.assign(cid, u))
            )
        if refresh:
            # Someone may have been added or disabled since: the menu follows at once.
            self._spawn(self.load_colleagues(refill=True))

    async def assign(self, conversation_id: int, user_id: int | None) -> ConversationOut | None:
        try:
            c = await self.sync.assign(conversation_id, user_id)
        except ApiError as exc:
            self.show_error(strings.ASSIGN_FAILED.format(detail=exc.detail))
            return None
        if self.list_model.row_of(c.id) >= 0:
            self.list_model.upsert(c)
        if conversation_id == self.current_id:
            self._update_header()
        log.info("conversation %d assigned to %s", conversation_id, user_id)
        return c

    # --- internal notes -----------------------------------------------------------------------

    def _note_requested(self, body: str) -> None:
        if self.current_id is None:
            return
        self.compose.clear()
        self._spawn(self.add_note(self.current_id, body))

    async def add_note(self, conversation_id: int, body: str) -> MessageOut | None:
        """Write an internal note; a refusal puts the text back in the compose box."""
        try:
            note = await self.sync.add_note(conversation_id, body)
        except ApiError as exc:
            if self.current_id == conversation_id and not self.compose.text():
                self.compose.set_text(body)
            self.show_error(strings.NOTE_FAILED.format(detail=exc.detail))
            return None
        if self.current_id == conversation_id:
            self.thread_model.upsert(note)
            self.message_view.scroll_to_end()
        log.info("note added %d", note.id)
        return note

    async def edit_note(self, note: MessageOut) -> MessageOut | None:
        """Change my note (the server allows it for 15 minutes after it was written)."""
        from PySide6.QtWidgets import QDialog, QInputDialog

        from inbox_app.ui.dialogs import ask

        dialog = QInputDialog(self)
        dialog.setObjectName("editNoteDialog")
        dialog.setWindowTitle(strings.NOTE_EDIT_TITLE)
        dialog.setLabelText(strings.NOTE_EDIT_LABEL)
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setTextValue(note.body)
        self.note_dialog = dialog
        if await ask(dialog) != QDialog.DialogCode.Accepted:
            return None
        body = dialog.textValue()
        if body == note.body:
            return note
        try:
            changed = await self.sync.edit_note(note.id, body)
        except ApiError as exc:
            self.show_error(strings.NOTE_EDIT_FAILED.format(detail=exc.detail))
            return None
        if changed.conversation_id == self.current_id:
            self.thread_model.upsert(changed)
        log.info("note edited %d", changed.id)
        return changed

    # --- quick replies ------------------------------------------------------------------------

    async def load_quick_replies(self) -> None:
        """The firm's quick replies and mine, for the compose box's picker."""
        self.compose.set_quick_replies(await self.sync.quick_replies())
        self.quick_replies_loaded.emit()

    async def insert_quick_reply(self, reply_id: int) -> None:
        """The server fills the reply in for the open conversation; it goes in at the cursor."""
        conversation_id = self.current_id
        if conversation_id is None:
            return
        try:
            rendered = await self.sync.render_quick_reply(reply_id, conversation_id)
        except ApiError as exc:
            self.show_error(strings.QR_FAILED.format(detail=exc.detail))
            return
        if self.current_id != conversation_id:
            return
        self.compose.insert_text(rendered.body)
        log.info("quick reply inserted %d", reply_id)

    def open_quick_replies(self, scope: str) -> None:
        """The firm's quick replies (admins change them) or mine."""
        from inbox_app.ui.dialogs.quick_replies import QuickRepliesDialog

        can_edit = scope == "personal" or self.sync.is_admin
        self.quick_replies_dialog = QuickRepliesDialog(
            self.sync, scope, can_edit=can_edit, parent=self
        )
        self.quick_replies_dialog.open()

    def open_top_up(self) -> None:
        from inbox_app.ui.dialogs.top_up import TopUpDialog

        self.top_up_dialog = TopUpDialog(self.sync, self.sync.is_admin, self)
        self.top_up_dialog.open()

    @async_slot()
    async def new_conversation(self) -> None:
        from inbox_app.ui.dialogs.new_conversation import NewConversationDialog

        dialog = NewConversationDialog(self.sync, self)
        self.new_dialog = dialog
        if await ask(dialog) and dialog.conversation_id is not None:
            await self.show_conversation(dialog.conversation_id, dialog.conversation)
            if dialog.first_message and self.current_id == dialog.conversation_id:
                # Through the compose box: its sensitive-number check, then the outbox.
                self.compose.set_text(dialog.first_message)
                self.compose.submit()
            self.compose.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    async def start_conversation(
        self, phone: str, client_id: int | None = None, matter_id: int | None = None
    ) -> ConversationOut | None:
        """Compose to a number: opens its thread (new, or the one it already has)."""
        try:
            conversation, _created = await self.sync.compose(phone, client_id, matter_id)
        except ApiError as exc:
            self.show_error(exc.detail)
            return None
        await self.show_conversation(conversation.id, conversation)
        return conversation

    async def show_conversation(
        self, conversation_id: int, conversation: ConversationOut | None = None
    ) -> None:
        """List (if needed) and open a conversation, leaving filters that would hide it."""
        if self._filtered():
            self.search_edit.blockSignals(True)
            self.search_edit.clear()
            self.search_edit.blockSignals(False)
            self.query = ""
            self.unread_only = self.show_archived = self.mentions_only = False
            self.assigned_only = False
            for toggle in (
                self.unread_toggle,
                self.archived_toggle,
                self.mentions_toggle,
                self.assigned_toggle,
            ):
                toggle.blockSignals(True)
                toggle.setChecked(False)
                toggle.blockSignals(False)
            self.sidebar_title.setText(strings.INBOX)
            await self.refresh_list()
        if self.list_model.row_of(conversation_id) < 0:
            conversation = conversation or await self.sync.conversation(conversation_id)
            if conversation is not None:
                self.list_model.upsert(conversation)
                self._update_empty_list()
        if not self.select_conversation(conversation_id):
            self.open_conversation(conversation_id)

    # --- thumbnails ----------------------------------------------------------------------------

    def _fetch_thumbnail(self, media_id: int) -> None:
        self._spawn(self._load_thumbnail(media_id))

    async def _load_thumbnail(self, media_id: int) -> None:
        try:
            data = await self.sync.thumbnail(media_id)
        except ApiError:
            self.thread_model.thumbnail_failed(media_id)
            return
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self.thread_model.set_thumbnail(media_id, pixmap)
        else:
            self.thread_model.thumbnail_failed(media_id)

    # --- session ------------------------------------------------------------------------------

    @async_slot()
    async def sign_out(self) -> None:
        await self.sync.sign_out()
        self.list_model.set_conversations([])
        self._show_thread(None)
        if self.notifier is not None:
            self.notifier.set_unread(0)
        self.signed_out.emit()

    def runs_in_tray(self) -> bool:
        """Whether closing the window leaves Inbox running (there is a tray icon to stay in)."""
        tray = self.notifier.tray if self.notifier is not None else None
        return tray is not None and tray.isVisible()

    def quit(self) -> None:
        """File > Quit, Ctrl+Q, the tray's Quit: close for real, even with a tray."""
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._quitting and self.runs_in_tray():
            # Notifications keep coming while the window is away; Quit ends Inbox.
            event.ignore()
            self.hide()
            log.info("main window hidden; still running in the tray")
            self.notifier.hint_still_running()
            return
        self._closed = True
        self._dirty_timer.stop()
        self._search_timer.stop()
        for task in list(self._tasks):
            task.cancel()
        if self.notifier is not None and self.notifier.tray is not None:
            self.notifier.tray.hide()
        super().closeEvent(event)
        log.info("main window closed")
        self.closed.emit()
