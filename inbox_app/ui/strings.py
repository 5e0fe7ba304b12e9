"""Every string the window shows, in one place (through Qt's translation function)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def tr(text: str) -> str:
    return QCoreApplication.translate("Inbox", text)


APP_NAME = tr("Inbox")
WINDOW_TITLE = tr("Inbox")
WINDOW_TITLE_FIRM = tr("{firm} — Inbox")

# Left panel
INBOX = tr("Inbox")
ARCHIVED = tr("Archived")
SEARCH_PLACEHOLDER = tr("Search names, numbers, messages")
UNREAD_ONLY = tr("Unread")
ALL = tr("All")
NEW_CONVERSATION = tr("New conversation")
NO_CONVERSATIONS = tr("No conversations yet.\nStart one with Ctrl+N.")
NO_UNREAD = tr("You're all caught up.")
NO_MATCHES = tr("Nothing matches “{q}”.")
NO_ARCHIVED = tr("No archived conversations.")
YESTERDAY = tr("Yesterday")
TODAY = tr("Today")
YOU = tr("You")

# Thread
PICK_A_THREAD = tr("Select a conversation")
PICK_A_THREAD_HINT = tr("Pick a thread on the left, or press Ctrl+N to text a new number.")
LOADING = tr("Loading…")
OPTED_OUT_BANNER = tr("This number has opted out (STOP). Messages to it will not be sent.")
STATUS = {
    "scheduled": tr("Scheduled"),
    "queued": tr("Sending…"),
    "sending": tr("Sending…"),
    "sent": tr("Sent"),
    "delivered": tr("Delivered"),
    "undelivered": tr("Not delivered"),
    "failed": tr("Failed"),
    "received": "",
    "canceled": tr("Canceled"),
    "held": tr("Held: waiting for credits"),
    "pending": tr("Waiting for connection"),
}
SCHEDULED_FOR = tr("Scheduled for {when}")
RETRY = tr("Retry")
CANCEL_SCHEDULED = tr("Cancel")
DISCARD = tr("Discard")
REMINDER = tr("Reminder")
FAILED_REASON = tr("Failed: {reason}")

# Thread actions
MUTE = tr("Mute notifications")
UNMUTE = tr("Turn notifications on")
LEAVE = tr("Leave conversation")
ARCHIVE = tr("Archive")
UNARCHIVE = tr("Move back to inbox")
BLOCK = tr("Block number…")
MARK_UNREAD = tr("Mark as unread")
FILE_UNDER = tr("File under client and matter…")
PRINT = tr("Print…")
DETAILS = tr("Details")
MORE = tr("More actions")
LEFT_CONVERSATION = tr("You left the conversation with {name}.")
ARCHIVED_CONVERSATION = tr("Archived the conversation with {name}.")
BLOCKED_CONVERSATION = tr("Blocked {name}.")
MARKED_UNREAD = tr("Marked as unread.")

# Compose
COMPOSE_PLACEHOLDER = tr("Write a text message…  (Enter sends, Shift+Enter for a new line)")
SEND = tr("Send")
SEND_LATER = tr("Send later…")
ATTACH = tr("Attach images")
COUNTER = tr("{chars} characters · {segments} of {max} segments · {encoding} · {credits}")
CREDITS_ONE = tr("1 credit")
CREDITS_N = tr("{n} credits")
OVER_LIMIT = tr("Too long: {segments} segments, the most is {max}. Shorten the message.")
UCS2_NOTICE = tr("{chars} make this text Unicode (UCS-2): {segments} instead of {plain}.")
UCS2_NOTICE_SHORT = tr(
    "{chars} make this text Unicode (UCS-2): 70 characters per segment instead of 160."
)
REPLACE_PLAIN = tr("Replace with plain characters")
SEGMENT = tr("segment")
SEGMENTS = tr("segments")
SENSITIVE_TITLE = tr("Send sensitive information?")
SENSITIVE_TEXT = tr(
    "This message looks like it contains {what}. Text messages are not a secure channel.\n\n"
    "Send it anyway?"
)
SEND_ANYWAY = tr("Send anyway")
SEND_FAILED = tr("Could not send: {detail}")
QUEUED_OFFLINE = tr("Saved in the outbox; it will be sent when the server is back.")

# Status bar
ONLINE = tr("Connected")
OFFLINE = tr("Offline — showing saved messages; replies wait in the outbox")
RECONNECTING = tr("Reconnecting…")
CREDITS = tr("{n} credits")
CREDITS_TOOLTIP_ADMIN = tr("Prepaid messages left. Click to buy more.")
CREDITS_TOOLTIP = tr("Prepaid messages left for the firm.")
SIGNED_IN_AS = tr("Signed in as {name}")
SIGN_OUT = tr("Sign out")
OUTBOX_WAITING = tr("{n} waiting to send")

# New conversation fallback
NEW_NUMBER_TITLE = tr("New conversation")
NEW_NUMBER_PROMPT = tr("Mobile number:")
SIGN_IN_TITLE = tr("Sign in to Inbox")

# Menus
MENU_FILE = tr("&File")
MENU_CONVERSATION = tr("&Conversation")
MENU_VIEW = tr("&View")
QUIT = tr("Quit")
NEXT_THREAD = tr("Next conversation")
PREVIOUS_THREAD = tr("Previous conversation")
FIND = tr("Search")
TOP_UP = tr("Buy credits…")
