"""Every string the app shows, in one place (through Qt's translation function).

The constants at the top are translated at import. The dialogs, printing, notifications, media
viewer and attachments read theirs from `_TEXT` through the module's `__getattr__`, so each is
translated when read (a translator installed after import still applies); sentences with values
are functions.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QCoreApplication

_CONTEXT = "Inbox"


def tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


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
EDIT_SCHEDULED = tr("Edit")
EDIT_FAILED = tr("Could not change the message: {detail}")
SCHEDULED_CHANGED = tr("Scheduled message changed.")
DISCARD = tr("Discard")
REMINDER = tr("Reminder")
# The firm's after-hours reply, sent by the server (origin "auto").
AUTOMATIC_REPLY = tr("Automatic reply")
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
# The bell: whether *I* am notified of replies in this thread, and what a click does.
FOLLOW = tr("Follow")
BELL_TIPS = {
    "not_following": tr("Not following: you are not notified of replies. Click to follow."),
    "following": tr("Following: you are notified of replies. Click to mute."),
    "muted": tr("Muted: you are not notified of replies. Click to turn notifications on."),
}
BELL_ACTIONS = {
    "not_following": tr("Follow conversation"),
    "following": MUTE,
    "muted": UNMUTE,
}
BLOCKED_NUMBERS = tr("Blocked numbers…")
LIST_FAILED = tr("Not sent")

# Compose
# Short enough for one line of the box at the window's narrowest (a longer one wrapped and was
# cut off); the keys are in the tooltip.
COMPOSE_PLACEHOLDER = tr("Write a text message…  (/ for quick replies)")
COMPOSE_KEYS = tr("Enter sends, Shift+Enter starts a new line, / or Ctrl+K picks a quick reply")
SEND = tr("Send")
SEND_LATER = tr("Send later…")
ATTACH = tr("Attach images")
COUNTER = tr("{chars} characters · {segments} of {max} segments · {encoding} · {credits}")
COUNTER_EMPTY = tr("Up to {max} segments of 160 characters (70 with emoji)")
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
CONNECTING = tr("Connecting… — showing saved messages")
CREDITS = tr("{n} credits")
CREDITS_TOOLTIP_ADMIN = tr("Prepaid messages left. Click to buy more.")
CREDITS_TOOLTIP = tr("Prepaid messages left for the firm.")
SIGNED_IN_AS = tr("Signed in as {name}")
SIGN_OUT = tr("Sign out")
OUTBOX_WAITING = tr("{n} waiting to send")

# New conversation fallback
SIGN_IN_TITLE = tr("Sign in to Inbox")

# Menus
MENU_FILE = tr("&File")
MENU_CONVERSATION = tr("&Conversation")
MENU_VIEW = tr("&View")
QUIT = tr("Quit")
NEXT_THREAD = tr("Next conversation")
PREVIOUS_THREAD = tr("Previous conversation")
FIND = tr("Search")
TOP_UP = tr("Message credits…")
MENU_FIRM = tr("F&irm")
FIRM_SETTINGS = tr("Firm settings…")
USERS = tr("Users…")

# Internal notes
NOTE_LABEL = tr("Internal note")
NOTE_SOMEONE = tr("A colleague")
NOTE_EDITED = tr("edited")
EDIT_NOTE = tr("Edit")
NOTE_TOGGLE = tr("Note")
NOTE_TOGGLE_TIP = tr("Write an internal note: only the firm sees it, the client never does")
NOTE_PLACEHOLDER = tr("Internal note, never sent to the client (@name mentions)")
NOTE_ADD = tr("Add note")
NOTE_COUNTER = tr("Internal note · only the firm's staff see it · not sent, no credits")
NOTE_TOO_LONG = tr("{chars} of {max} characters: shorten the note")
NOTE_FAILED = tr("The note was not added: {detail}")
NOTE_EDIT_TITLE = tr("Edit note")
NOTE_EDIT_LABEL = tr("Notes can be changed for 15 minutes after they are written.")
NOTE_EDIT_FAILED = tr("The note was not changed: {detail}")
MENTIONS = tr("Mentions")
NO_MENTIONS = tr("Nobody has mentioned you in a note.")
LIST_MENTIONED = tr("@ you")

# Assignment
ASSIGN = tr("Assign")
ASSIGN_TIP = tr("Assign this conversation to a colleague")
ASSIGNED_TIP = tr("Assigned to {name}. Click to reassign")
ASSIGN_NOBODY = tr("Nobody")
ASSIGN_ME = tr("{name} (me)")
ASSIGNED_TO_ME = tr("Assigned to me")
NO_ASSIGNED = tr("Nothing is assigned to you.")
ASSIGN_FAILED = tr("The conversation was not assigned: {detail}")
LIST_ASSIGNEE_TIP = tr("Assigned to {name}")

# Who is replying, who has seen it
RECENT_REPLY_TITLE = tr("Someone just replied")
RECENT_REPLY_SEND = tr("Send anyway")
RECENT_REPLY_KEEP = tr("Keep the draft")

# Quick replies
QR_FIRM = tr("Firm")
QR_MINE = tr("Mine")
QR_FILTER = tr("Find a quick reply…")
QR_HINT = tr("↑↓ to pick · Enter to insert · Esc to close")
QR_MANAGE = tr("Manage…")
QR_NONE_YET = tr(
    "No quick replies yet.\nAdd your own with Manage…, or ask an admin for the firm's."
)
QR_NO_MATCH = tr("No quick reply matches “{q}”.")
QR_FAILED = tr("The quick reply could not be filled in: {detail}")
QR_FIRM_MENU = tr("Firm quick replies…")
QR_MY_MENU = tr("My quick replies…")
QR_FIRM_TITLE = tr("Firm quick replies")
QR_MY_TITLE = tr("My quick replies")
QR_FIRM_SUBTITLE = tr(
    "Replies everyone at the firm can insert with / in the compose box. Merge tags such as"
    " [ClientFirstName] are filled in for each client."
)
QR_MY_SUBTITLE = tr(
    "Replies only you see, inserted with / in the compose box. Merge tags such as"
    " [ClientFirstName] are filled in for each client."
)
QR_READ_ONLY = tr("Only an account admin can change the firm's quick replies.")
QR_NAME = tr("Name")
QR_TEXT = tr("Text")
QR_TAGS = tr("Merge tags: {tags}")
QR_NEW = tr("New")
QR_SAVE = tr("Save")
QR_DELETE = tr("Delete")
QR_SAVED = tr("Saved “{name}”.")
QR_DELETED = tr("Deleted “{name}”.")
QR_DELETE_CONFIRM = tr("Delete the quick reply “{name}”?")
QR_EMPTY_LIST = tr("None yet: write a name and a text, then Save.")


# --- dialogs, printing, notifications, media viewer, attachments -------------------------


_TEXT = {
    # sign in
    "SIGN_IN_TITLE": "Sign in to Inbox",
    "SIGN_IN_HEADING": "Sign in to your firm's Inbox",
    "SIGN_IN_SERVER": "Server address",
    "SIGN_IN_USERNAME": "Username",
    "SIGN_IN_PASSWORD": "Password",
    "SIGN_IN_BUTTON": "Sign in",
    "SIGN_IN_BUSY": "Signing in…",
    "SIGN_IN_NEED_ALL": "Enter the server address, your username and your password.",
    "SIGN_IN_BAD_URL": "The server address must start with http:// or https://.",
    # new conversation
    "NEW_TITLE": "New conversation",
    "NEW_SEARCH": "Find a client",
    "NEW_SEARCH_HINT": "Type a client's name…",
    "NEW_NUMBER": "Mobile number",
    "NEW_NUMBER_HINT": "(201) 555-0123 or +44 7700 900123",
    "NEW_MATTER": "File under matter",
    "NEW_NO_MATTER": "No matter",
    "NEW_OPEN": "Open conversation",
    "NEW_NO_RESULTS": "No client matches. You can still type any mobile number below.",
    "NEW_OPTED_OUT": "opted out",
    "NEW_CANT_TEXT": "can't receive texts",
    "NEW_NOT_MOBILE": "This number is a landline or toll-free line and cannot receive texts.",
    "NEW_TO": "To",
    "NEW_TO_HINT": "A mobile number, or a client's name",
    "NEW_MESSAGE": "Message",
    "NEW_MESSAGE_HINT": "First message (optional): Enter sends, Shift+Enter starts a new line",
    "NEW_SEND": "Send",
    "NEW_NUMBER_OK": "✓ {number} can receive texts",
    "NEW_PICK_CONTACT": "Pick a client below (Down arrow), or type a number instead.",
    "NEW_TOO_LONG": "The message is too long: shorten it before sending.",
    # send later
    "LATER_TITLE": "Send later",
    "LATER_WHEN": "Send on",
    "LATER_SCHEDULE": "Schedule",
    "LATER_TOMORROW": "Tomorrow 9:00 AM",
    "LATER_MONDAY": "Monday 9:00 AM",
    "LATER_IN_PAST": "Pick a time in the future: that moment has already passed.",
    "EDIT_TITLE": "Edit scheduled message",
    "EDIT_TEXT": "Message",
    "EDIT_SAVE": "Save changes",
    "EDIT_EMPTY": "The message cannot be empty: cancel it instead.",
    "EDIT_TOO_LONG": "The message is too long: shorten it before saving.",
    # block
    "BLOCK_TITLE": "Block this number?",
    "BLOCK_TEXT": "Block this number and delete the conversation?",
    "BLOCK_INFO": (
        "The conversation and its images are deleted for good, for everyone in the firm. "
        "Later texts from this number are not stored and notify no one."
    ),
    "BLOCK_KEEP": "Keep a read-only record (e.g. as evidence)",
    "BLOCK_BUTTON": "Block and delete",
    "BLOCK_KEEP_BUTTON": "Block and keep record",
    "BLOCK_INFO_KEEP": (
        "The conversation leaves every inbox and is kept read-only, with its images: an account "
        "admin can read it under View > Blocked numbers. Later texts from this number are not "
        "stored and notify no one."
    ),
    # blocked numbers (admins)
    "BLOCKED_TITLE": "Blocked numbers",
    "BLOCKED_HINT": (
        "Texts from these numbers are not stored and notify no one; nothing is sent to them."
    ),
    "BLOCKED_NUMBER": "Number",
    "BLOCKED_CONTACT": "Contact",
    "BLOCKED_WHEN": "Blocked",
    "BLOCKED_BY": "By",
    "BLOCKED_RECORD": "Record",
    "BLOCKED_DELETED": "Deleted",
    "BLOCKED_EMPTY": "No numbers are blocked.",
    "BLOCKED_OPEN": "Open record",
    "BLOCKED_UNBLOCK": "Unblock",
    "BLOCKED_DELETE": "Delete record…",
    "BLOCKED_DELETE_TITLE": "Delete this record for good?",
    "BLOCKED_DELETE_INFO": (
        "The kept conversation and its images are deleted for everyone and cannot be recovered. "
        "The number stays blocked."
    ),
    "BLOCKED_DELETE_BUTTON": "Delete for good",
    "RECORD_READ_ONLY": "Read-only record kept when this number was blocked.",
    "RECORD_OLDER": "Load older messages",
    # time zones as people call them
    "ZONE_EASTERN": "Eastern",
    "ZONE_CENTRAL": "Central",
    "ZONE_MOUNTAIN": "Mountain",
    "ZONE_ARIZONA": "Arizona",
    "ZONE_PACIFIC": "Pacific",
    "ZONE_ALASKA": "Alaska",
    "ZONE_HAWAII": "Hawaii",
    "ZONE_ATLANTIC": "Atlantic",
    # message context menu
    "MESSAGE_COPY": "Copy",
    "MESSAGE_COPY_ALL": "Copy message",
    "MESSAGE_SAVE_IMAGE": "Save image…",
    "MESSAGE_COPIED": "Copied to the clipboard.",
    # details
    "DETAILS_TITLE": "Conversation details",
    "DETAILS_CONTACT": "Contact",
    "DETAILS_NUMBER": "Number",
    "DETAILS_CLIENT": "Client",
    "DETAILS_MATTER": "Matter",
    "DETAILS_CONSENT": "Texting consent",
    "DETAILS_OPTED_OUT": "Opted out: messages to this number are refused",
    "DETAILS_OPTED_IN": "Can receive texts",
    "DETAILS_NONE": "—",
    "DETAILS_HISTORY": "Consent history",
    "DETAILS_WHEN": "When",
    "DETAILS_CHANGE": "Change",
    "DETAILS_HOW": "How",
    "DETAILS_BY": "By",
    "DETAILS_NOTE": "Note",
    "DETAILS_IN": "Opted in",
    "DETAILS_OUT": "Opted out",
    "DETAILS_NO_HISTORY": "No consent changes recorded for this number.",
    "SOURCE_KEYWORD": "Text reply (STOP / START)",
    "SOURCE_STAFF": "Changed by staff",
    "SOURCE_CREATED": "Contact added with consent",
    "BY_CONTACT": "The contact",
    "BY_SYSTEM": "Inbox",
    # top up
    "TOPUP_TITLE": "Message credits",
    "TOPUP_BALANCE": "Messages left",
    "TOPUP_SUBTITLE": "Prepaid text messages: one credit sends one message.",
    "TOPUP_BUY_HEADING": "Buy messages",
    "TOPUP_BUNDLES": "Bundles",
    "TOPUP_REFERENCE": "Reference",
    "TOPUP_REFERENCE_HINT": "Invoice or purchase-order number (optional)",
    "TOPUP_BUY": "Buy",
    "TOPUP_CARD": "Charged to the firm's saved card.",
    "TOPUP_NO_CARD": "No card is saved yet: an account owner adds one before buying by card.",
    "TOPUP_BUSY": "Buying…",
    "TOPUP_AUTO": "Buy a bundle automatically when the credits run out",
    "TOPUP_LEDGER": "History",
    "TOPUP_KIND": "Kind",
    "TOPUP_AMOUNT": "Amount",
    "TOPUP_BALANCE_AFTER": "Balance after",
    "TOPUP_REF_COL": "Reference",
    "TOPUP_WHEN": "When",
    "TOPUP_TAB_BUY": "Buy",
    "TOPUP_TAB_HISTORY": "History",
    "TOPUP_TAB_USAGE": "Usage",
    "TOPUP_CONFIRM_TITLE": "Buy messages?",
    "TOPUP_CONFIRM_BUY": "Buy",
    "TOPUP_WHO": "Who",
    "TOPUP_FOR": "For",
    "TOPUP_AUTOMATIC": "Automatic",
    "TOPUP_MORE": "Load older entries",
    "USAGE_GROUP": "Per",
    "USAGE_BY_USER": "Person",
    "USAGE_BY_MATTER": "Matter",
    "USAGE_BY_MONTH": "Month",
    "USAGE_FROM": "From",
    "USAGE_TO": "to",
    "USAGE_MESSAGES": "Messages",
    "USAGE_SEGMENTS": "Segments",
    "USAGE_CREDITS": "Credits",
    "USAGE_TOTAL": "Total",
    "USAGE_OTHER": "Everything else",
    "EXPORT_CSV": "Export CSV…",
    "EXPORT_CSV_TITLE": "Save as CSV",
    "CSV_FILTER": "CSV files (*.csv)",
    "TOPUP_STAFF_NOTE": "Only an account admin can buy messages. Ask your admin to top up.",
    # firm settings (admins)
    "FIRM_TITLE": "Firm settings",
    "FIRM_SUBTITLE": "How the firm's texts go out. Changes apply to every desktop at once.",
    "FIRM_PAGE_FIRM": "Firm",
    "FIRM_PAGE_TEXTING": "Texting",
    "FIRM_PAGE_CREDITS": "Credits",
    "FIRM_PAGE_AFTER_HOURS": "After hours",
    "FIRM_AFTER_HOURS_ENABLED": "Reply automatically to texts outside opening hours",
    "FIRM_AFTER_HOURS_NOTE": "Once per number each night or weekend, never to STOP, START or "
    "HELP, opted-out numbers or short codes. Each reply costs one message credit.",
    "FIRM_OPENING_HOURS": "Opening hours",
    "FIRM_OPENING_HOURS_NOTE": "In the firm's time zone (see the Firm page).",
    "FIRM_HOURS_TO": "to",
    "FIRM_CLOSED_ALL_DAY": "Closed all day",
    "FIRM_AFTER_HOURS_REPLY": "Automatic reply",
    "FIRM_WEEKDAYS": "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday",
    "FIRM_NAME": "Firm name",
    "FIRM_FROM_NUMBER": "Sender number",
    "FIRM_FROM_NUMBER_HINT": "Blank: the server's number (INBOX_TWILIO_FROM)",
    "FIRM_TIME_ZONE": "Time zone",
    "FIRM_TRASH_DAYS": "Keep trash for",
    "FIRM_QUIET_START": "Texts go out from",
    "FIRM_QUIET_END": "Until",
    "FIRM_QUIET_NOTE": "In the recipient's own time zone; outside these hours texts wait.",
    "FIRM_SEND_DELAY": "Send delay",
    "FIRM_SEND_DELAY_NOTE": "Time to undo a text before it goes out.",
    "FIRM_MAX_SEGMENTS": "Longest text",
    "FIRM_HELP_REPLY": "Reply to HELP",
    "FIRM_BUNDLE_SIZE": "Messages per bundle",
    "FIRM_BUNDLE_PRICE": "Price of a bundle",
    "FIRM_LOW_BALANCE": "Warn when fewer than",
    "FIRM_AUTO_TOP_UP": "Buy a bundle automatically when the credits run out",
    "FIRM_PAYMENT": "Payment",
    "FIRM_PAYMENT_MANUAL": "Bundles are bought by invoice: an admin records each one under "
    "Credits. No card is kept (manual mode).",
    "FIRM_PAYMENT_CARD": "Stripe: the firm's saved card is charged",
    "FIRM_PAYMENT_NO_CARD": "Stripe: no card saved yet",
    "FIRM_CARD": "Card",
    "FIRM_CARD_LOADING": "Asking Stripe for the saved card…",
    "FIRM_CARD_NONE": "No card saved yet: top-ups by card and automatic top-ups need one.",
    "FIRM_CARD_SAVED": "{brand} ending in {last4} · expires {month:02d}/{year}",
    "FIRM_CARD_SAVED_BARE": "A card is saved (Stripe did not describe it).",
    "FIRM_CARD_ADD": "Add card…",
    "FIRM_CARD_REPLACE": "Replace card…",
    "FIRM_CARD_DONE": "Done",
    "FIRM_CARD_NOTE": "The card is typed on Stripe's secure page and kept by Stripe; Inbox "
    "sees only its brand, last 4 digits and expiry.",
    "FIRM_CARD_IN_BROWSER": "Stripe's card page is open in your browser: type the card there, "
    "then click Done. If no browser opened, go to {url}",
    "FIRM_CARD_OPENING": "Opening Stripe's card page…",
    "FIRM_CARD_ADDED": "Card saved: top-ups and automatic top-ups charge it from now on.",
    "FIRM_SAVE": "Save",
    "FIRM_SAVING": "Saving…",
    "FIRM_SAVED": "Saved. Every desktop of the firm uses the new settings.",
    "FIRM_NOTHING_CHANGED": "Nothing changed.",
    "FIRM_LOADING": "Loading the firm's settings…",
    "FIRM_OFFLINE": "Offline: showing the settings as last read. Changes can be saved once the "
    "server is back.",
    "FIRM_OFFLINE_EDIT": "You are offline: settings are not saved until the server can be "
    "reached. Try again when it is back.",
    "FIRM_FIX_FIELDS": "The server refused a value; see the field marked below.",
    "FIRM_ADMINS_ONLY": "Only an account admin can change the firm's settings.",
    # users (admins)
    "USERS_TITLE": "Users",
    "USERS_SUBTITLE": "Who signs in to the firm's Inbox. Disabled users are signed out at once.",
    "USERS_USERNAME": "Username",
    "USERS_NAME": "Name",
    "USERS_ROLE": "Role",
    "USERS_STATUS": "Status",
    "USERS_ACTIVE": "Active",
    "USERS_DISABLED": "Disabled",
    "ROLE_ADMIN": "Admin",
    "ROLE_STAFF": "Staff",
    "USERS_ADD": "Add user…",
    "USERS_RESET": "Reset password…",
    "USERS_MAKE_ADMIN": "Make admin",
    "USERS_MAKE_STAFF": "Make staff",
    "USERS_DISABLE": "Disable",
    "USERS_ENABLE": "Enable",
    "USERS_ADD_TITLE": "Add a user",
    "USERS_ADD_BUTTON": "Add",
    "USERS_PASSWORD_ONCE": "One-time password for {username}: {password}\nIt is shown only "
    "now; give it to them in person. They sign in with it.",
    "USERS_RESET_CONFIRM": "Give {username} a new password? They are signed out everywhere.",
    "USERS_DONE": "{username}: {what}.",
    "USERS_ADDED": "added",
    "USERS_PASSWORD_RESET": "new password set, signed out everywhere",
    "UNIT_DAYS": " days",
    "UNIT_SECONDS": " s",
    "UNIT_SEGMENTS": " parts",
    "UNIT_MESSAGES": " messages",
    "KIND_GRANT": "Grant",
    "KIND_PURCHASE": "Purchase",
    "KIND_DEBIT": "Message sent",
    "KIND_REFUND": "Refund",
    # media viewer
    "MEDIA_TITLE": "Image",
    "MEDIA_SAVE": "Save…",
    "MEDIA_CLOSE": "Close",
    "MEDIA_COPY": "Copy",
    "MEDIA_LOADING": "Loading image…",
    "MEDIA_COPIED": "Copied to the clipboard.",
    "MEDIA_UNREADABLE": "This image could not be shown.",
    "MEDIA_SAVE_TITLE": "Save image",
    # attachments
    "ATTACH_BUTTON": "Attach image",
    "ATTACH_PICK_TITLE": "Attach images",
    "ATTACH_FILTER": "Images (*.jpg *.jpeg *.png *.gif)",
    "ATTACH_REMOVE": "Remove this image",
    "ATTACH_NOT_IMAGE": "only JPEG, PNG and GIF images can be sent",
    "ATTACH_PASTED": "pasted-image",
    # notifications
    "NOTIFY_APP": "Inbox",
    "NOTIFY_SHOW": "Open Inbox",
    "NOTIFY_QUIT": "Quit",
    "NOTIFY_ENABLED": "Desktop notifications",
    "NOTIFY_SOUND": "Notification sound",
    # printing
    "PRINT_TITLE": "Text message conversation",
    "PRINT_FIRM": "Firm",
    "PRINT_CONTACT": "Contact",
    "PRINT_NUMBER": "Number",
    "PRINT_MATTER": "Matter",
    "PRINT_RANGE": "Messages",
    "PRINT_PRINTED": "Printed",
    "PRINT_REFERENCE": "Reference",
    "PRINT_END": "End of conversation",
    "PRINT_SHA_LABEL": "SHA-256 of the server's canonical export of this conversation:",
    "PRINT_REMINDER": "Automated reminder",
    "PRINT_AUTOMATIC_REPLY": "Automatic reply (after hours)",
    "PRINT_THE_FIRM": "The firm",
    "PRINT_IMAGE_MISSING": "[Image could not be loaded]",
    "PRINT_SCHEDULED_FOR": "Scheduled for",
    "PRINT_NO_MESSAGES": "This conversation has no messages.",
    "PRINT_VERIFY_HEADING": "Verifying this copy",
    "PRINT_EMPTY_BODY": "(no text)",
    "PRINT_DIALOG_TITLE": "Print conversation",
    "PRINT_PREVIEW_TITLE": "Print preview",
    "PRINT_PREVIEW_PRINT": "Print…",
    "PRINT_PROGRESS_TITLE": "Printing",
    "PRINT_CANCELED": "Printing was canceled; nothing was printed.",
    "PRINT_CANCELED_PDF": "Printing was canceled; no PDF was saved.",
    "PRINT_CHANGING": "The conversation kept changing while it was being printed. Try again "
    "in a moment.",
    "PRINT_CONTINUED": "(continued)",
    "PRINT_NOTES": "Internal notes",
    "PRINT_INTERNAL_NOT_SENT": "not sent to the client",
    "PRINT_NOTES_IN_DIGEST": "The digest covers the whole record, the internal notes left out of "
    "this copy included.",
    "PRINT_INCLUDE_NOTES": "Include the firm's internal notes",
    "EXPORT_SAVE": "Save export…",
    "EXPORT_SAVE_TITLE": "Save the conversation's export",
    "EXPORT_FILTER": "JSON documents (*.json)",
    # errors
    "ERROR_UNREACHABLE": "Inbox could not reach the server.",
    "ERROR_CHECK_CONNECTION": "Check the address and your network connection, then try again.",
    "ERROR_UNKNOWN": "Something went wrong. Please try again.",
    # failures nobody expected (ui/errors.py), the tray, the keyring
    "FAILURE_UNEXPECTED": (
        "Something went wrong and that did not finish. Inbox is still running: try again, and "
        "if it keeps happening, send the details to whoever looks after Inbox at your firm."
    ),
    "FAILURE_DETAILS": "Details",
    "FAILURE_DISMISS": "Dismiss",
    "TRAY_HINT_TITLE": "Inbox is still running",
    "TRAY_HINT": (
        "You will still be notified of new texts. Click the Inbox icon to open it again, or "
        "choose Quit from its menu to stop."
    ),
    "SIGN_IN_NOT_REMEMBERED": (
        "This computer has no password keyring, so you will be asked to sign in again next time."
    ),
}


def __getattr__(name: str) -> str:
    try:
        return tr(_TEXT[name])
    except KeyError:
        raise AttributeError(name) from None


def describe_error(error: BaseException) -> str:
    """The sentence to show for a failed call: the server's own words when it gave some."""
    status = getattr(error, "status", None)
    detail = getattr(error, "detail", None)
    if status == 0:
        first = detail or tr(_TEXT["ERROR_UNREACHABLE"])
        return f"{first} {tr(_TEXT['ERROR_CHECK_CONNECTION'])}"
    if isinstance(detail, str) and detail:
        return detail
    return tr(_TEXT["ERROR_UNKNOWN"])


def invalid_number(reason: str) -> str:
    return tr("That is not a valid mobile number: {reason}.").format(reason=reason)


def attachments_full(limit: int) -> str:
    return tr("A message can carry at most {limit} images.").format(limit=limit)


def attachment_refused(name: str, reason: str) -> str:
    return tr("{name} was not attached: {reason}.").format(name=name, reason=reason)


def attachment_too_big(limit_mb: int) -> str:
    return tr("it is larger than {limit} MB").format(limit=limit_mb)


def money(cents: int) -> str:
    """US dollars, e.g. "$1,234.50"."""
    return f"${cents / 100:,.2f}"


def bundle_summary(bundles: int, size: int, price_cents: int) -> str:
    return tr("{credits} messages for {price}").format(
        credits=f"{bundles * size:,}", price=money(bundles * price_cents)
    )


def bundle_each(size: int, price_cents: int) -> str:
    return tr("One bundle is {size} messages for {price}.").format(
        size=f"{size:,}", price=money(price_cents)
    )


def confirm_purchase(bundles: int, size: int, price_cents: int, by_card: bool) -> str:
    """E.g. "2 bundles: 2,000 messages for $40.00." and how it is paid."""
    what = (
        tr("{bundles} bundles: {credits} messages for {price}.")
        if bundles != 1
        else tr("1 bundle: {credits} messages for {price}.")
    )
    text = what.format(
        bundles=bundles, credits=f"{bundles * size:,}", price=money(bundles * price_cents)
    )
    how = (
        tr("The firm's saved card is charged now.")
        if by_card
        else tr("It is recorded against your invoice or purchase order.")
    )
    return f"{text}\n{how}"


def usage_summary(messages: int, credits: int) -> str:
    return tr("{messages} texts used {credits} credits in these days.").format(
        messages=f"{messages:,}", credits=f"{credits:,}"
    )


def csv_saved(path: str) -> str:
    return tr("Saved to {path}.").format(path=path)


def export_failed(reason: str) -> str:
    return tr("The file was not saved: {reason}").format(reason=reason)


def topup_subtitle(firm: str) -> str:
    return tr("{firm}'s prepaid text messages: one credit sends one message.").format(firm=firm)


def auto_top_up_state(on: bool) -> str:
    return tr("Automatic top-up: on") if on else tr("Automatic top-up: off")


def low_balance_state(threshold: int) -> str:
    return tr("Low-balance warning below {n}").format(n=f"{threshold:,}")


def topup_done(credits: int, balance: int) -> str:
    return tr("Added {credits} messages. {balance} left.").format(
        credits=f"{credits:,}", balance=f"{balance:,}"
    )


def topup_failed(reason: str) -> str:
    return tr("The purchase did not go through: {reason}").format(reason=reason)


def held_messages(n: int) -> str:
    if n == 1:
        return tr("1 message is waiting for credits.")
    return tr("{n} messages are waiting for credits.").format(n=f"{n:,}")


def media_saved(path: str) -> str:
    return tr("Saved to {path}.").format(path=path)


def media_title(media_id: int) -> str:
    return tr("Image {id}").format(id=media_id)


def unread_tooltip(n: int) -> str:
    return tr("Inbox — {n} unread").format(n=n)


def block_title(who: str) -> str:
    return tr("Block {who}?").format(who=who)


def block_text(who: str, keeping: bool) -> str:
    """The block dialog's question, naming the contact and number."""
    who = who or tr("this number")
    if keeping:
        return tr("Block {who} and keep a read-only record of the conversation?").format(who=who)
    return tr("Block {who} and delete the conversation?").format(who=who)


def blocked_record_count(n: int) -> str:
    return tr("Kept: 1 message") if n == 1 else tr("Kept: {n} messages").format(n=f"{n:,}")


def unblocked(who: str) -> str:
    return tr("Unblocked {who}.").format(who=who)


def record_deleted(who: str) -> str:
    return tr("Deleted the record of {who}.").format(who=who)


def record_title(who: str) -> str:
    return tr("Record of {who} (read-only)").format(who=who)


def moved_for_quiet_hours(when: str, zone: str, asked: str) -> str:
    """Under a scheduled bubble the server moved, e.g. "Moved to 8:00 AM Eastern: the client's
    quiet hours end then (asked for 3:00 AM)"."""
    where = f"{when} {zone}".strip()
    text = tr("Moved to {when}: the client's quiet hours end then").format(when=where)
    if asked:
        text += " " + tr("(asked for {asked})").format(asked=asked)
    return text


def recipient_time(when: str, zone: str) -> str:
    return tr("For the client: {when} {zone}").format(when=when, zone=zone).rstrip()


def recipient_same_time(zone: str) -> str:
    return tr("The client is in your time zone ({zone}).").format(zone=zone)


def user_number(user_id: int) -> str:
    return tr("User #{id}").format(id=user_id)


def page_of(page: int, pages: int) -> str:
    return tr("Page {page} of {pages}").format(page=page, pages=pages)


def printed_by(name: str, when: str) -> str:
    return tr("{name}, {when}").format(name=name, when=when)


def message_count(n: int) -> str:
    return tr("1 message") if n == 1 else tr("{n} messages").format(n=f"{n:,}")


def print_footer(firm: str, contact: str) -> str:
    return tr("{firm} · Conversation with {contact}").format(firm=firm, contact=contact)


def print_verify(conversation_id: int, url: str) -> str:
    return tr(
        "This value is the SHA-256 of the exact bytes of the server's export of conversation "
        "{id}: the canonical JSON document (UTF-8) that {url} returns, the same text as the "
        '"document" field of /api/v1/conversations/{id}/export. To check this copy, choose '
        '"Save export…" for this conversation in Inbox, or download that address with your '
        'sign-in token (curl -H "Authorization: Bearer TOKEN" -o conversation-{id}.json {url}), '
        "then run: sha256sum conversation-{id}.json. It prints the value above only if no "
        "message has changed since this copy was printed."
    ).format(id=conversation_id, url=url)


def print_preparing(done: int, total: int) -> str:
    if not total:
        return tr("Preparing the printout: {done} messages…").format(done=f"{done:,}")
    return tr("Preparing the printout: {done} of {total} messages…").format(
        done=f"{done:,}", total=f"{total:,}"
    )


def print_failed(reason: str) -> str:
    return tr("The conversation could not be printed: {reason}").format(reason=reason)


def print_laying_out(done: int, total: int) -> str:
    return tr("Laying out pages: {done} of {total} messages…").format(
        done=f"{done:,}", total=f"{total:,}"
    )


def print_painting(page: int, pages: int) -> str:
    return tr("Printing page {page} of {pages}…").format(page=f"{page:,}", pages=f"{pages:,}")


def print_preview_note(shown: int, pages: int) -> str:
    if shown >= pages:
        return tr("{pages} pages.").format(pages=f"{pages:,}") if pages != 1 else tr("1 page.")
    return tr(
        "The preview shows the first {shown} pages and the last of {pages}; all are printed."
    ).format(shown=shown - 1, pages=f"{pages:,}")


def export_saved(path: str, sha256: str) -> str:
    return tr("Export saved to {path}. sha256sum of that file prints {sha}.").format(
        path=path, sha=sha256
    )


_PRINT_STATUS = {
    "scheduled": "Scheduled",
    "queued": "Queued",
    "sending": "Sending",
    "sent": "Sent to the carrier",
    "delivered": "Delivered",
    "undelivered": "Not delivered",
    "failed": "Failed",
    "received": "Received",
    "canceled": "Canceled",
    "held": "Held for credits",
}


def print_status(status: str) -> str:
    """A message status as a printed record says it."""
    return tr(_PRINT_STATUS.get(status, status.capitalize()))


def print_internal(name: str, system: bool) -> str:
    """The head of a printed note ("Internal note by Dana") or system line."""
    if system:
        return tr("Internal · system")
    return tr("Internal note by {name}").format(name=name)


def print_notes_included(n: int) -> str:
    return tr("{n} included, each marked “Internal note”").format(n=n)


def print_notes_left_out(n: int) -> str:
    return tr("{n} left out of this copy").format(n=n)


def received_from(name: str) -> str:
    return tr("Received from {name}").format(name=name)


def sent_by(name: str) -> str:
    return tr("Sent by {name}").format(name=name)


def conversation_ref(conversation_id: int) -> str:
    return tr("Inbox conversation {id}").format(id=conversation_id)


def image_not_kept(reason: str) -> str:
    return tr("[Image not kept: {reason}]").format(reason=reason)


def local_time(moment: datetime) -> str:
    """`moment` in this computer's time zone, e.g. "Mon 23 Nov 2026, 9:05 AM EST"."""
    return f"{local_date(moment)}, {local_clock(moment)}"


def local_date(moment: datetime) -> str:
    """The local calendar day, e.g. "Mon 23 Nov 2026"."""
    return f"{moment.astimezone():%a %d %b %Y}"


def local_clock(moment: datetime) -> str:
    """The local time of day with its zone, e.g. "9:05 AM EST"."""
    local = moment.astimezone()
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{hour}:{local:%M %p} {local.tzname() or ''}".rstrip()


def compact_time(moment: datetime) -> str:
    """This computer's time, short and sortable for tables: "2026-12-01 13:23"."""
    return f"{moment.astimezone():%Y-%m-%d %H:%M}"


def utc_time(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


# --- finding things: search hits, find in thread, jumps, list paging ---------------------------

SEARCH_MESSAGES = tr("Messages")
FIND_IN_THREAD = tr("Find in conversation")
FIND_PLACEHOLDER = tr("Find in this conversation")
FIND_OLDER = tr("Older match (Enter)")
FIND_NEWER = tr("Newer match (Shift+Enter)")
FIND_CLOSE = tr("Close find")
FIND_NONE = tr("No matches")
JUMP_TO_DATE = tr("Jump to date…")
JUMP_TO_DATE_TITLE = tr("Jump to date")
JUMP_TO_FIRST = tr("Jump to first message")
JUMP_TO_LATEST = tr("Jump to latest message")
JUMP_GO = tr("Go")


def find_count(current: int, total: int, more: bool = False) -> str:
    """ "3 of 12" (or "3 of 500+" when there are more than were fetched)."""
    return tr("{current} of {total}{plus}").format(
        current=current, total=total, plus="+" if more else ""
    )


def conversation_count(shown: int, total: int) -> str:
    """Under the search box: how many conversations the list holds, and how many are loaded."""
    if total == 1:
        return tr("1 conversation")
    if shown >= total:
        return tr("{total} conversations").format(total=f"{total:,}")
    return tr("{shown} of {total} conversations").format(shown=f"{shown:,}", total=f"{total:,}")


# --- import (File > Import…) -------------------------------------------------------------------

IMPORT_MENU = tr("&Import clients and court dates…")
IMPORT_TITLE = tr("Import clients and court dates")
IMPORT_OPEN_TITLE = tr("Import a CSV file")
IMPORT_OPEN_FILTER = tr("CSV files (*.csv *.txt);;All files (*)")
IMPORT_MAP_HEADING = tr("Match the columns")
IMPORT_MAP_HINT = tr(
    "{file}: {rows} rows. Inbox guessed which column holds what; change any that are wrong."
)
IMPORT_SOURCE = tr("Exported from")
IMPORT_SOURCES = {"clio": tr("Clio"), "mycase": tr("MyCase"), "csv": tr("A spreadsheet")}
IMPORT_FLOW = tr("Reminders for new court dates")
IMPORT_NO_FLOW = tr("No reminders")
IMPORT_NOT_MAPPED = tr("— not imported —")
IMPORT_SAMPLE = tr("e.g. {value}")
IMPORT_CHECK = tr("Check rows")
IMPORT_PREVIEW_HEADING = tr("Check the rows")
IMPORT_RUN = tr("Import")
IMPORT_CLOSE = tr("Close")
IMPORT_BACK = tr("Back")
IMPORT_SAVE_REJECTS = tr("Save rejected rows…")
IMPORT_SAVE_TITLE = tr("Save the rejected rows")
IMPORT_REPORT_HEADING = tr("Import finished")
IMPORT_RUNNING = tr("Importing {rows} rows…")
IMPORT_CHECKING = tr("Checking {rows} rows…")
IMPORT_STAGES = {
    "checking": tr("Checking rows"),
    "writing": tr("Saving clients and court dates"),
    "reminders": tr("Scheduling reminders"),
}
IMPORT_LINE = tr("Line")
IMPORT_RESULT = tr("Result")
IMPORT_OK = tr("Ready")
IMPORT_BLANK = tr("Blank row, skipped")
IMPORT_REJECTED = tr("Rejected")
IMPORT_PROBLEMS = tr("Problems")
IMPORT_FIELDS = {
    "client_id": tr("Client ID"),
    "first_name": tr("First name"),
    "last_name": tr("Last name"),
    "full_name": tr("Full name"),
    "phone": tr("Mobile phone"),
    "language": tr("Language"),
    "matter_name": tr("Matter"),
    "case_number": tr("Case number"),
    "event_id": tr("Event ID"),
    "event_date": tr("Date"),
    "event_time": tr("Time"),
    "location": tr("Location"),
    "flow": tr("Flow"),
    "attorney": tr("Attorney"),
    "row": tr("Row"),
}
IMPORT_ACTIONS = {
    ("client", "created"): tr("new client"),
    ("client", "updated"): tr("client updated"),
    ("client", "unchanged"): tr("client unchanged"),
    ("event", "created"): tr("new court date"),
    ("event", "updated"): tr("court date changed"),
    ("event", "unchanged"): tr("court date unchanged"),
}
IMPORT_SAVED_REJECTS = tr("Saved {count} rejected rows to {path}.")
IMPORT_FILE_ERROR = tr("{file} cannot be read: {reason}")
IMPORT_FILE_EMPTY = tr("The file has no rows under its header line.")
IMPORT_FILE_TOO_BIG = tr("The file has more than {limit} rows; split it and import each part.")
IMPORT_NEED_FIELDS = tr("Match at least a name or client ID, or a court date, to a column.")


def import_summary(report, *, dry_run: bool) -> str:
    """ "50 rows: 47 will be imported (47 new clients, …); 3 have problems and are left out." """
    parts = []
    for count, one, many in (
        (report.clients_created, tr("new client"), tr("new clients")),
        (report.clients_updated, tr("client updated"), tr("clients updated")),
        (report.events_created, tr("new court date"), tr("new court dates")),
        (report.events_updated, tr("court date changed"), tr("court dates changed")),
    ):
        if count:
            parts.append(f"{count:,} {one if count == 1 else many}")
    done = tr("will be imported") if dry_run else tr("imported")
    text = tr("{rows} rows: {good} {done}").format(
        rows=f"{report.rows:,}", good=f"{report.imported:,}", done=done
    )
    if parts:
        text += f" ({', '.join(parts)})"
    if report.rejected:
        left = tr("have problems and are left out") if dry_run else tr("were left out")
        text += tr("; {bad} {left}.").format(bad=f"{report.rejected:,}", left=left)
    else:
        text += "."
    if not dry_run and report.events_resynced:
        text += " " + tr("Reminders scheduled for {n} court dates.").format(
            n=f"{report.events_resynced:,}"
        )
    if not dry_run and report.events_pending:
        text += " " + tr("Reminders for {n} court dates are being scheduled now.").format(
            n=f"{report.events_pending:,}"
        )
    return text


# --- flows and templates ------------------------------------------------------------------------

FLOWS_MENU = tr("Reminder &flows and templates…")
FLOWS_TITLE = tr("Reminder flows and templates")
FLOWS_HEADING = tr("Reminder flows")
FLOWS_SUBTITLE = tr("The texts a client gets before a court date, in each language.")
FLOWS_READ_ONLY = tr("Only an account admin can change flows; you can read them here.")
FLOWS_NEW = tr("New flow")
FLOWS_NEW_NAME = tr("New flow")
FLOWS_NAME = tr("Name")
FLOWS_STEPS = tr("Steps")
FLOWS_ADD_STEP = tr("Add step")
FLOWS_REMOVE_STEP = tr("Remove step")
FLOWS_WHEN = tr("Send")
FLOWS_DAYS = tr(" days")
FLOWS_HOURS = tr(" hours")
FLOWS_BEFORE = tr("before the court date")
FLOWS_AFTER = tr("after the court date")
FLOWS_AT_TIME = tr("at a fixed time")
FLOWS_TEMPLATE = tr("Message")
FLOWS_LANGUAGES = {"en": tr("English"), "es": tr("Spanish")}
FLOWS_INSERT_TAG = tr("Insert merge tag")
FLOWS_PREVIEW = tr("Preview")
FLOWS_PREVIEW_FOR = tr("For")
FLOWS_SAMPLE_CLIENT = tr("A sample client")
FLOWS_FIND_CLIENT = tr("Find a client")
FLOWS_NO_EVENT = tr("Next court date")
FLOWS_SAMPLE_NOTE = tr("Sample values: a made-up client and a hearing a week from now.")
FLOWS_SAVE = tr("Save flow")
FLOWS_SAVED = tr("Saved {name}; its court dates' reminders were rescheduled.")
FLOWS_EMPTY = tr("(empty: this step sends nothing in this language)")
FLOWS_TOO_LONG = tr("Longer than the firm's limit of {max} segments: it would not be sent.")


def segment_line(segments: int, encoding: str, characters: int) -> str:
    """ "2 segments · GSM-7 · 183 characters" """
    noun = tr("segment") if segments == 1 else tr("segments")
    return f"{segments} {noun} · {encoding} · {characters:,} " + tr("characters")


def step_text(offset_days: int, offset_hours: int, send_time) -> str:
    """ "7 days before at 9:00 AM", "2 hours before", "On the day at 8:00 AM" """
    days, hours = abs(offset_days), abs(offset_hours)
    sign = offset_days or offset_hours
    parts = []
    if days:
        parts.append(tr("1 day") if days == 1 else tr("{n} days").format(n=days))
    if hours:
        parts.append(tr("1 hour") if hours == 1 else tr("{n} hours").format(n=hours))
    if parts:
        text = " ".join(parts) + " " + (tr("before") if sign < 0 else tr("after"))
    else:
        text = tr("On the day")
    if send_time is not None:
        hour = send_time.hour % 12 or 12
        text += " " + tr("at {time}").format(
            time=f"{hour}:{send_time.minute:02d} {'AM' if send_time.hour < 12 else 'PM'}"
        )
    return text


# --- records: clients, matters, court dates, the agenda (ui/records/) ---------------------------

VIEW_INBOX = tr("Inbox")
VIEW_CLIENTS = tr("Clients")
VIEW_UPCOMING = tr("Upcoming")
CLIENTS = tr("Clients")
CLIENT_SEARCH = tr("Search names, numbers, case numbers")
NEW_CLIENT = tr("New client")
NO_CLIENTS = tr("No clients yet.\nAdd one with the + button.")
NO_CLIENT_MATCHES = tr("No client matches “{q}”.")
PICK_A_CLIENT = tr("Pick a client")
PICK_A_CLIENT_HINT = tr("Their numbers, matters and court dates show here.")
RECORDS_OFFLINE = tr(
    "Offline: showing what was last read from the server. Changes can be made once it is back."
)
RECORDS_UNAVAILABLE = tr("The server cannot be reached and nothing was read from it before.")
LANGUAGE_NAMES = {"en": tr("English"), "es": tr("Spanish")}
EDIT_CLIENT = tr("Edit client…")
CLIENT_FIRST_NAME = tr("First name")
CLIENT_LAST_NAME = tr("Last name")
CLIENT_LANGUAGE = tr("Language")
CONTACTS = tr("Numbers")
ADD_CONTACT = tr("Add number…")
CONTACT_PHONE = tr("Phone")
CONTACT_TYPE = tr("Type")
CONTACT_CONSENT = tr("The client agreed to get texts at this number")
CONTACT_STATE = tr("Status")
CONTACT_OK = tr("Gets texts")
CONTACT_OPTED_OUT = tr("Opted out")
CONTACT_CANNOT_TEXT = tr("Can't receive texts")
CONTACT_CANNOT_TEXT_WHY = tr(
    "This number can't receive texts: it is a landline, toll-free or premium number, or the "
    "carrier refused it as one. It gets no reminders."
)
CONTACT_INVALID = tr("Not a valid number")
CONTACT_INVALID_WHY = tr("This number could not be read as a phone number; it gets no texts.")
CONTACT_OPTED_OUT_WHY = tr("This number opted out; it gets no texts until it opts back in.")
CONTACT_ARCHIVED = tr("Archived")
CONTACT_TRASHED = tr("In trash")
MESSAGE_CONTACT = tr("Open conversation")
OPT_OUT = tr("Opt out…")
OPT_IN = tr("Opt in…")
ARCHIVE_CONTACT = tr("Archive")
TRASH_CONTACT = tr("Move to trash")
RESTORE_CONTACT = tr("Restore")
CONSENT_HISTORY = tr("Consent history")
CONSENT_NONE = tr("No consent changes recorded for this number.")
CONSENT_REASON = tr("Reason (kept in the consent history)")
CONSENT_REASON_NEEDED = tr("Say why, for the consent history.")
MATTERS = tr("Matters")
ADD_MATTER = tr("Add matter…")
EDIT_MATTER = tr("Edit matter…")
MATTER_NAME = tr("Name")
MATTER_CASE_NUMBER = tr("Case number")
MATTER_ATTORNEY = tr("Attorney")
MATTER_NO_ATTORNEY = tr("No attorney")
MATTER_FORMER_ATTORNEY = tr("(a former user)")
NO_MATTERS = tr("No matters yet.")
COURT_DATES = tr("Court dates")
ADD_EVENT = tr("Add court date…")
MOVE_EVENT = tr("Move…")
CANCEL_EVENT = tr("Cancel court date")
CANCEL_EVENT_CONFIRM = tr("Cancel this court date? Its reminders that have not gone are canceled.")
NO_EVENTS = tr("No court dates.")
NO_UPCOMING = tr("No court dates in the next {days} days.")
EVENT_WHEN = tr("Date and time")
EVENT_LOCATION = tr("Location")
EVENT_CLIENT = tr("Client")
EVENT_WHEN_UNREAD = tr("Type the date and time as 12/11/2026 9:00 AM.")
OPEN_CLIENT = tr("Open client")
EVENT_MATTER = tr("Matter")
EVENT_FLOW = tr("Reminders")
EVENT_STATUS = tr("Status")
EVENT_NO_FLOW = tr("No reminders")
EVENT_NO_MATTER = tr("(none)")
EVENT_ATTORNEY = tr("Attorney")
EVENT_NO_ATTORNEY = tr("No attorney")
# The court date has no attorney of its own: its matter's applies.
EVENT_MATTERS_ATTORNEY = tr("The matter's: {name}")
EVENT_STATUSES = {
    "scheduled": tr("Scheduled"),
    "confirmed": tr("Confirmed"),
    "continued": tr("Continued"),
    "completed": tr("Completed"),
    "canceled": tr("Canceled"),
}
REMINDERS_NONE = tr("No reminders for this court date.")
REMINDERS_LOADING = tr("Loading reminders…")
UPCOMING_TITLE = tr("Upcoming court dates")
UPCOMING_ALL_MATTERS = tr("All matters")
UPCOMING_ALL_CLIENTS = tr("All clients")
UPCOMING_ALL_ATTORNEYS = tr("All attorneys")
UPCOMING_PICK_CLIENT = tr("Pick a client in the filter (or a court date of theirs) first.")
UPCOMING_DAYS = tr("Next {days} days")
SAVE = tr("Save")
ADD = tr("Add")


def event_when_read(when: datetime, zone: str = "") -> str:
    """ "Friday, December 11, 2026 at 9:00 AM Eastern": what the typed time was read as."""
    hour = when.strftime("%I").lstrip("0") or "12"
    text = f"{when:%A, %B} {when.day}, {when.year} at {hour}:{when:%M %p}"
    return f"{text} {zone}".rstrip()


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def event_status(status: str) -> str:
    return EVENT_STATUSES.get(status, status.capitalize())


def client_count(n: int) -> str:
    return tr("1 client") if n == 1 else tr("{n} clients").format(n=f"{n:,}")


def upcoming_count(n: int, days: int) -> str:
    if n == 1:
        return tr("1 court date in the next {days} days").format(days=days)
    return tr("{n} court dates in the next {days} days").format(n=n, days=days)


def pending_reminders(n: int) -> str:
    if n == 0:
        return tr("no reminders to send")
    return tr("1 reminder to send") if n == 1 else tr("{n} reminders to send").format(n=n)


def reminder_meta(status: str, language: str, segments: int, encoding: str, credits: int) -> str:
    """ "Scheduled · Spanish · 2 segments (GSM-7) · 1 credit"."""
    parts = [
        tr(status.capitalize()),
        language_name(language),
        tr("1 segment") if segments == 1 else tr("{n} segments").format(n=segments),
    ]
    parts[-1] += f" ({encoding.upper().replace('GSM7', 'GSM-7').replace('UCS2', 'UCS-2')})"
    parts.append(tr("1 credit") if credits == 1 else tr("{n} credits").format(n=credits))
    return " · ".join(parts)


def reminder_when(theirs: str, zone: str, mine: str | None) -> str:
    """ "Sends Tue Dec 8, 9:00 AM Eastern (8:00 AM Central, your time)"."""
    if mine is None:
        return tr("Sends {when} {zone}").format(when=theirs, zone=zone)
    return tr("Sends {when} {zone} ({mine}, your time)").format(when=theirs, zone=zone, mine=mine)


def consent_line(opted_in: bool, source: str, who: str | None, note: str, when: str) -> str:
    what = tr("Opted in") if opted_in else tr("Opted out")
    by = who or {"keyword": tr("by text"), "carrier": tr("by the carrier")}.get(source, source)
    text = f"{when} — {what} ({by})"
    return f"{text}: {note}" if note else text


def typing_line(names: list[str]) -> str:
    """ "Dana is typing…", "Dana and Marcus are typing…", "3 people are typing…"."""
    if not names:
        return ""
    if len(names) == 1:
        return tr("{name} is typing…").format(name=names[0])
    if len(names) == 2:
        return tr("{a} and {b} are typing…").format(a=names[0], b=names[1])
    return tr("{n} people are typing…").format(n=len(names))


def seen_by_line(names: list[str]) -> str:
    """ "Seen by Dana, Marcus" (colleagues who read the latest inbound text)."""
    return tr("Seen by {names}").format(names=", ".join(names)) if names else ""


def recent_reply_question(name: str, seconds: int) -> str:
    """ "Dana replied 40 s ago: send anyway?" (asked before a send)."""
    if seconds >= 60:
        ago = tr("{m} min {s} s ago").format(m=seconds // 60, s=seconds % 60)
    else:
        ago = tr("{s} s ago").format(s=seconds)
    return tr("{name} replied {ago}: send anyway?").format(name=name, ago=ago)


MENTION_POPUP = tr("Colleagues to mention")
