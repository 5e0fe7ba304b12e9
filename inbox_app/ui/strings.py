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
TOP_UP = tr("Buy credits…")


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
    "NEW_NOT_MOBILE": "This number is a landline or toll-free line and cannot receive texts.",
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
    "TOPUP_REFERENCE_HINT": "Invoice or purchase-order number",
    "TOPUP_BUY": "Buy",
    "TOPUP_CARD": "Charged to the firm's saved card.",
    "TOPUP_NO_CARD": "No card is saved yet: an account owner adds one before buying by card.",
    "TOPUP_BUSY": "Buying…",
    "TOPUP_AUTO": "Top up automatically when credits run low",
    "TOPUP_LEDGER": "History",
    "TOPUP_KIND": "Kind",
    "TOPUP_AMOUNT": "Amount",
    "TOPUP_BALANCE_AFTER": "Balance after",
    "TOPUP_REF_COL": "Reference",
    "TOPUP_WHEN": "When",
    "TOPUP_STAFF_NOTE": "Only an account admin can buy messages. Ask your admin to top up.",
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
    "PRINT_THE_FIRM": "The firm",
    "PRINT_IMAGE_MISSING": "[Image could not be loaded]",
    "PRINT_SCHEDULED_FOR": "Scheduled for",
    "PRINT_NO_MESSAGES": "This conversation has no messages.",
    "PRINT_VERIFY_HEADING": "Verifying this copy",
    "PRINT_EMPTY_BODY": "(no text)",
    "PRINT_DIALOG_TITLE": "Print conversation",
    # errors
    "ERROR_UNREACHABLE": "Inbox could not reach the server.",
    "ERROR_CHECK_CONNECTION": "Check the address and your network connection, then try again.",
    "ERROR_UNKNOWN": "Something went wrong. Please try again.",
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


def print_verify(conversation_id: int) -> str:
    return tr(
        "This value identifies the exact content printed above. To check this copy against the "
        "firm's records, download the export of conversation {id} from the Inbox server "
        "(GET /api/v1/conversations/{id}/export) and compute the SHA-256 of its document, for "
        "example with sha256sum. The two values are equal only if no message has changed since "
        "this copy was printed."
    ).format(id=conversation_id)


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


def utc_time(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
