"""The API's wire schemas (pydantic), shared by the server and the desktop client."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Role = Literal["admin", "staff"]

# Database ids are signed 64-bit: a larger number is a 422 here, not an overflow in the driver.
MAX_ID = 2**63 - 1
DbId = Annotated[int, Ge(1), Le(MAX_ID)]
# Farther ahead than this is a typo (or an attack on date arithmetic), not a reminder.
MAX_SCHEDULE_AHEAD = timedelta(days=400)


def _schedulable(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value  # the server answers a naive time with its own clear message
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if utc - datetime.now(UTC) > MAX_SCHEDULE_AHEAD:
        raise ValueError(f"must be at most {MAX_SCHEDULE_AHEAD.days} days from now")
    return value


SendAt = Annotated[datetime | None, AfterValidator(_schedulable)]

# Hearings are set months or a few years out; a date beyond this is a typo, not a court date.
MAX_EVENT_DISTANCE = timedelta(days=20 * 366)


def _event_time(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value  # the server answers a naive time with its own clear message
    try:
        distance = abs(value.astimezone(UTC) - datetime.now(UTC))
    except OverflowError:
        raise ValueError("is out of range") from None
    if distance > MAX_EVENT_DISTANCE:
        raise ValueError("must be within 20 years of today")
    return value


EventTime = Annotated[datetime | None, AfterValidator(_event_time)]


class Schema(BaseModel):
    # Validators are built on first use: the desktop client uses a handful of these models
    # before its first paint and building all of them cost ~0.3 s of its start. The server
    # builds them all up front (`build_all`), as before.
    model_config = ConfigDict(from_attributes=True, defer_build=True)


# --- auth -------------------------------------------------------------------------------------


class LoginIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: Role
    firm_id: int
    firm_name: str = ""
    # The firm's time zone: the clock court dates are typed and shown in.
    firm_time_zone: str = ""
    notifications_enabled: bool = True


class ColleagueOut(Schema):
    """A user of my firm, as anyone at the firm may see them (mentions, assignment)."""

    id: int
    username: str
    display_name: str


class UserSettingsIn(Schema):
    """The signed-in user's own preferences (they follow the user to every computer)."""

    model_config = ConfigDict(extra="forbid")

    notifications_enabled: bool


class UserAdminOut(Schema):
    """A user as an admin manages them (`/api/v1/users`); never the password or its hash."""

    id: int
    username: str
    display_name: str
    role: Role
    can_text: bool
    is_active: bool
    created_at: datetime


class UserCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=150)
    password: str = Field(description="8 to 1024 characters")
    display_name: str | None = Field(default=None, max_length=200)
    role: Role = "staff"
    can_text: bool = True


class UserPatchIn(Schema):
    """A partial change: fields left out keep their value. `is_active: false` disables the user
    and signs them out everywhere."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    can_text: bool | None = None
    is_active: bool | None = None


class PasswordIn(Schema):
    """A new password (8 to 1024 characters); every session of the user ends."""

    model_config = ConfigDict(extra="forbid")

    password: str


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    user: UserOut


# --- conversations and messages ---------------------------------------------------------------


class ConversationIn(Schema):
    phone: str = Field(min_length=1, max_length=64)
    client_id: DbId | None = None
    matter_id: DbId | None = None


class ConversationFileIn(Schema):
    """File a conversation under a client and matter (null clears)."""

    client_id: DbId | None = None
    matter_id: DbId | None = None


class ConversationOut(Schema):
    id: int
    phone: str
    contact_name: str | None = None
    client_id: int | None = None
    matter_id: int | None = None
    matter: str | None = None
    last_message: str = ""
    last_message_at: datetime | None = None
    unread_count: int = 0
    muted: bool = False
    archived: bool = False
    opted_out: bool = False
    blocked: bool = False
    has_outbound: bool = False
    # I left it: out of my inbox until a new inbound text or my reply brings it back.
    left: bool = False
    # Whether an inbound text here notifies *me*: "following" (I take part with the bell on,
    # or nobody at the firm has texted the number yet), "muted", or "not_following".
    bell: Literal["following", "muted", "not_following"] = "not_following"
    # The latest text the firm sent here failed (or was undelivered) and was not sent again.
    has_failed: bool = False
    # The recipient's IANA time zone as the server reckons it (area code, else the firm's).
    time_zone: str | None = None
    # An internal note here @mentions me and I have not opened the thread since.
    mentioned: bool = False
    # The one colleague it is assigned to (None: nobody), and their name.
    assignee_id: int | None = None
    assignee: str | None = None


class MediaOut(Schema):
    id: int
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    sha256: str | None = None
    # `pending` while an inbound image is being fetched from the carrier.
    status: Literal["stored", "rejected", "pending"] = "stored"
    reject_reason: str | None = None


class MessageIn(Schema):
    body: str = Field(default="", max_length=5000)
    send_at: SendAt = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=64)
    # True: answer 409 `recent_reply` (storing nothing) when a colleague texted this
    # conversation in the last 2 minutes, so the sender can decide; sent again without it, it goes.
    check_recent_reply: bool = False


class Patch(Schema):
    """A partial update: a field it cannot change is a 422 naming it, not silently ignored."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class MessagePatch(Patch):
    body: str | None = Field(default=None, max_length=5000)
    send_at: SendAt = None


class MessageOut(Schema):
    id: int
    conversation_id: int
    # internal: a note or a system line for the firm's staff (never sent, costs nothing).
    direction: Literal["inbound", "outbound", "internal"]
    body: str
    status: str
    segments: int
    encoding: str
    created_at: datetime
    send_at: datetime | None = None
    sent_at: datetime | None = None
    sent_by: str | None = None
    sent_by_id: int | None = None
    carrier_sid: str | None = None
    error: str | None = None
    error_code: str | None = None
    held_reason: str | None = None
    # manual | flow (a reminder) | note | system (internal: a note a user wrote; an assignment
    # line) | auto (the firm's after-hours reply, sent by the server, no user). A plain string,
    # not a closed list: a desktop must still read a thread after a newer server adds a kind
    # (it shows an unknown one as a person's text).
    origin: str = Field(
        "manual",
        description="manual, flow, note, system or auto; clients treat other values as manual",
    )
    simulated: bool = False
    event_id: int | None = None
    media: list[MediaOut] = []
    # Set when the server moved `send_at` out of the recipient's quiet hours: the time asked
    # for, and why ("quiet_hours"). `send_at` is then when the recipient's sending window opens.
    requested_send_at: datetime | None = None
    send_at_reason: Literal["quiet_hours"] | None = None
    # A note changed by its author (within 15 minutes of writing it): when.
    edited_at: datetime | None = None
    # A note: until when its author may still change it (then it is fixed).
    editable_until: datetime | None = None


class AssigneeIn(Schema):
    """Assign the conversation to a user of the firm, or to nobody (null)."""

    model_config = ConfigDict(extra="forbid")

    user_id: DbId | None


class NoteIn(Schema):
    """An internal note: `@username` mentions a colleague (they are notified)."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(max_length=2000)


class NotePatch(Patch):
    body: str = Field(max_length=2000)


class SeenByOut(Schema):
    """A user of the firm who has read the conversation since its latest inbound text."""

    id: int
    name: str


class MessagePage(Schema):
    messages: list[MessageOut]
    # Older messages exist before this page.
    has_more: bool
    # Newer messages exist after this page (pages asked with after=, around= or at=).
    has_more_after: bool = False
    # The message asked for by around=, or the first one at or after at= (None otherwise).
    anchor_id: int | None = None
    # Who has read the thread since its latest inbound text (me included), by name; empty when
    # nobody has or it has none. Kept live by the stream's `conversation.seen`.
    seen_by: list[SeenByOut] = []


# --- quick replies ------------------------------------------------------------------------------

QuickReplyScope = Literal["firm", "personal"]


class QuickReplyIn(Schema):
    """A saved reply: `firm` ones are the whole firm's (admins only), `personal` ones mine."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    body: str = Field(max_length=5000)
    scope: QuickReplyScope = "personal"


class QuickReplyPatch(Patch):
    name: str | None = Field(default=None, max_length=100)
    body: str | None = Field(default=None, max_length=5000)


class QuickReplyOut(Schema):
    id: int
    name: str
    body: str
    scope: QuickReplyScope
    # The merge tags the text uses, in order (`[ClientFirstName]` -> "ClientFirstName").
    tags: list[str] = []
    updated_at: datetime
    # The text may run past the firm's segment limit with long names or places.
    warnings: list[str] = []


class QuickReplyRendered(Schema):
    """A quick reply's text for one conversation's client, as it would be sent."""

    id: int
    conversation_id: int
    body: str
    segments: int
    encoding: str


# --- search -------------------------------------------------------------------------------------

SearchField = Literal["name", "phone", "matter", "case_number", "message"]


class MessageHitOut(Schema):
    """A message whose text matched: where it is, and a snippet with the match marked."""

    id: int
    conversation_id: int
    direction: Literal["inbound", "outbound", "internal"]
    created_at: datetime
    snippet: str
    # [start, end) character offsets (code points) of each match within `snippet`.
    marks: list[tuple[int, int]] = []


class SearchConversationOut(ConversationOut):
    # What matched: the contact's name, the number, a matter name or case number, a message.
    matched: list[SearchField] = []


class SearchOut(Schema):
    q: str
    conversations: list[SearchConversationOut]
    # Every conversation that matched (the list above is its first `limit`).
    conversations_total: int
    messages: list[MessageHitOut]
    # More message hits older than the last one (ask again with before=<its id>).
    has_more_messages: bool


class BlockIn(Schema):
    keep_record: bool = False


class BlockedNumberOut(Schema):
    """A blocked number of the firm and, when the blocker kept one, its read-only record."""

    id: int
    phone: str
    contact_name: str | None = None
    blocked_at: datetime
    blocked_by: str | None = None
    # The kept thread (read it with GET /blocks/{id}/messages); None when it was deleted.
    conversation_id: int | None = None
    message_count: int = 0
    last_message_at: datetime | None = None

    @property
    def has_record(self) -> bool:
        return self.conversation_id is not None


class ExportOut(Schema):
    document: str
    sha256: str


# --- credits ------------------------------------------------------------------------------------


class CreditsOut(Schema):
    balance: int
    auto_top_up: bool
    bundle_size: int
    bundle_price_cents: int
    low_balance_threshold: int
    held_count: int = 0
    payment_mode: Literal["manual", "stripe"] = "manual"
    has_saved_card: bool = False
    # Why the latest top-up failed, while it is the latest: admins see it on the credits page.
    last_top_up_error: str | None = None


class LedgerEntryOut(Schema):
    id: int
    kind: Literal["grant", "purchase", "debit", "refund"]
    amount: int
    balance_after: int
    message_id: int | None = None
    user_id: int | None = None
    reference: str | None = None
    note: str = ""
    created_at: datetime
    # Who and what: the user who sent the text or bought the bundle (none for reminders and
    # automatic top-ups), and the text's conversation, its client and matter.
    user_name: str | None = None
    conversation_id: int | None = None
    phone: str | None = None
    client_name: str | None = None
    matter_name: str | None = None


class TopUpIn(Schema):
    bundles: int = Field(ge=1, le=100)
    reference: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=64)


class TopUpOut(Schema):
    id: int
    bundles: int
    credits: int
    amount_cents: int
    status: Literal["pending", "succeeded", "failed"]
    reference: str | None = None
    error: str | None = None
    balance: int


class CreditSettingsIn(Schema):
    auto_top_up: bool
    bundle_size: int | None = Field(default=None, ge=1, le=1_000_000)
    bundle_price_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    low_balance_threshold: int | None = Field(default=None, ge=0, le=1_000_000_000)


def _iana_zone(value: str | None) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if value is None:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not an IANA time zone; use a name like America/New_York"
        ) from None
    return value


def _e164_or_none(value: str | None) -> str | None:
    from inbox_app.domain import phone

    if value is None:
        return value
    try:
        return phone.normalize(value)
    except phone.InvalidPhoneNumber as exc:
        raise ValueError(exc.reason) from None


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class DayHours(Schema):
    """One day's opening hours in the firm's time zone: open from `open` until `close`."""

    model_config = ConfigDict(extra="forbid")

    open: time
    close: time


class FirmSettingsOut(Schema):
    """The firm's texting settings (admins change them with FirmSettingsIn)."""

    name: str
    time_zone: str
    quiet_start: time
    quiet_end: time
    default_send_delay_seconds: int
    max_segments: int
    help_reply: str
    low_balance_threshold: int
    bundle_size: int
    bundle_price_cents: int
    trash_retention_days: int
    from_number: str | None = None
    # The after-hours reply: when on, a text outside `opening_hours` (every weekday, null:
    # closed all day) gets `after_hours_reply` once per number per closed period.
    after_hours_enabled: bool = False
    opening_hours: dict[Weekday, DayHours | None] = {}
    after_hours_reply: str = ""


class FirmSettingsIn(Schema):
    """A partial update: fields left out keep their value; `from_number: null` clears it (the
    server's INBOX_TWILIO_FROM is used). Quiet hours: texts go out between start and end."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: Annotated[str, AfterValidator(_iana_zone)] | None = Field(
        default=None, min_length=1, max_length=64
    )
    quiet_start: time | None = None
    quiet_end: time | None = None
    default_send_delay_seconds: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    max_segments: int | None = Field(default=None, ge=1, le=10)
    help_reply: str | None = Field(default=None, min_length=1, max_length=640)
    low_balance_threshold: int | None = Field(default=None, ge=0, le=1_000_000_000)
    bundle_size: int | None = Field(default=None, ge=1, le=1_000_000)
    bundle_price_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    trash_retention_days: int | None = Field(default=None, ge=1, le=3650)
    from_number: Annotated[str, AfterValidator(_e164_or_none)] | None = Field(
        default=None, min_length=1, max_length=32
    )
    after_hours_enabled: bool | None = None
    # The whole week at once: a day left out or null is closed all day.
    opening_hours: dict[Weekday, DayHours | None] | None = None
    # Merge tags as in quick replies and flow templates ([ClientFirstName], [FirmName], …).
    after_hours_reply: str | None = Field(default=None, max_length=5000)


class CardIn(Schema):
    """The firm's saved card in Stripe, charged off-session for top-ups."""

    customer_id: str = Field(min_length=4, max_length=64, pattern=r"^cus_[A-Za-z0-9_]+$")
    payment_method_id: str = Field(
        min_length=4, max_length=64, pattern=r"^(pm|card|src)_[A-Za-z0-9_]+$"
    )


class CardOut(Schema):
    """The firm's saved card as Stripe describes it (never the number: Stripe alone holds it)."""

    payment_mode: Literal["manual", "stripe"]
    has_card: bool
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


class CardSetupOut(Schema):
    """A Stripe Checkout page (setup mode) where an admin types the card; finish with its id."""

    session_id: str
    url: str


class UsageRowOut(Schema):
    """Outgoing messages billed to one user, matter or month."""

    key: str
    label: str
    messages: int
    segments: int
    credits: int


class UsageOut(Schema):
    group: Literal["user", "matter", "month"]
    from_date: date | None = None
    to_date: date | None = None
    rows: list[UsageRowOut]
    total: UsageRowOut


# --- records reminders are made from ----------------------------------------------------------


class ClientIn(Schema):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    language: str = Field(default="en", min_length=2, max_length=8)


class ClientPatch(Patch):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, min_length=2, max_length=8)


class ContactIn(Schema):
    phone: str = Field(min_length=1, max_length=64)
    type: str = Field(default="cell", max_length=16)
    channel: Literal["text"] = "text"
    consent: bool = True


class ContactPatch(Patch):
    type: str | None = Field(default=None, max_length=16)
    channel: Literal["text"] | None = None


class ContactOut(Schema):
    id: int
    client_id: int | None
    phone: str
    type: str
    channel: str
    opted_out: bool
    invalid: bool
    # False for a landline, toll-free or premium number, or one the carrier refused as such:
    # shown as "can't receive texts", and it gets no reminders.
    can_receive_texts: bool = True
    archived: bool
    trashed: bool = False


class ClientOut(Schema):
    id: int
    first_name: str
    last_name: str
    language: str
    contacts: list[ContactOut] = []


class ConsentEventOut(Schema):
    id: int
    phone: str
    contact_id: int | None
    opted_in: bool
    source: str
    user_id: int | None
    # The user's display name (their username when they have none); None for the contact's own
    # keyword or the system.
    user_name: str | None = None
    message_id: int | None
    note: str
    created_at: datetime


class ConsentIn(Schema):
    """Why staff opt a number out or in; kept in its consent history."""

    note: str = Field(default="", max_length=500)


class MatterIn(Schema):
    client_id: DbId
    name: str = Field(min_length=1, max_length=200)
    case_number: str | None = Field(default=None, max_length=100)
    # The responsible attorney: an active user of the firm (GET /colleagues lists them).
    attorney_id: DbId | None = None


class MatterPatch(Patch):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    case_number: str | None = Field(default=None, max_length=100)
    attorney_id: DbId | None = None


class MatterOut(Schema):
    id: int
    client_id: int
    name: str
    case_number: str | None = None
    attorney_id: int | None = None


class FlowStepIn(Schema):
    offset_days: int = Field(ge=-365, le=365)
    offset_hours: int = Field(default=0, ge=-23, le=23)
    send_time: time | None = None
    templates: dict[str, str]


class FlowIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    simulated: bool = False
    steps: list[FlowStepIn] = Field(min_length=1, max_length=20)


class FlowPatch(Patch):
    """Steps, when given, replace the flow's steps position by position."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    simulated: bool | None = None
    steps: list[FlowStepIn] | None = Field(default=None, min_length=1, max_length=20)


class FlowStepOut(FlowStepIn):
    id: int


class FlowOut(Schema):
    id: int
    name: str
    simulated: bool
    steps: list[FlowStepOut]
    # Not errors: e.g. a step whose rendering may run past the firm's segment limit.
    warnings: list[str] = []


class EventIn(Schema):
    client_id: DbId
    matter_id: DbId | None = None
    starts_at: Annotated[datetime, AfterValidator(_event_time)]
    location: str | None = Field(default=None, max_length=300)
    status: str = "scheduled"
    flow_id: DbId | None = None
    # The court date's own attorney (an active user of the firm); without one, its matter's.
    attorney_id: DbId | None = None


class EventPatch(Patch):
    """Fields left out stay as they are; `matter_id`, `location`, `flow_id`, `attorney_id` may
    be cleared."""

    matter_id: DbId | None = None
    starts_at: EventTime = None
    location: str | None = Field(default=None, max_length=300)
    status: str | None = None
    flow_id: DbId | None = None
    attorney_id: DbId | None = None


class EventOut(Schema):
    id: int
    client_id: int
    matter_id: int | None
    starts_at: datetime
    location: str | None
    status: str
    flow_id: int | None
    # The court date's own attorney (null: none of its own; the agenda then shows its matter's).
    attorney_id: int | None = None


class AgendaEventOut(EventOut):
    """An event as the agenda lists it: with its client's, matter's and flow's names."""

    client_name: str
    client_language: str
    matter_name: str | None = None
    case_number: str | None = None
    # The attorney who applies: the court date's own, else its matter's (`attorney_source`
    # says which: "event", "matter", or null when neither has one).
    attorney_id: int | None = None
    attorney_name: str | None = None
    attorney_source: Literal["event", "matter"] | None = None
    flow_name: str | None = None
    # Its reminders that have not gone yet (scheduled, queued or held).
    pending_reminders: int = 0
    # The firm's (the court's) time zone: the clock the event's time and its reminders use.
    time_zone: str = "America/New_York"


class ReminderOut(MessageOut):
    """A reminder text as its recipient gets it: to which number, in which language and zone."""

    phone: str
    language: str
    # The recipient's time zone (from the number; the firm's when it tells none).
    time_zone: str
    # Prepaid credits the text takes: one per text sent, however many segments.
    credits: int = 1


# --- import -----------------------------------------------------------------------------------

ImportField = Literal[
    "client_id",
    "first_name",
    "last_name",
    "full_name",
    "phone",
    "language",
    "matter_name",
    "case_number",
    "event_id",
    "event_date",
    "event_time",
    "location",
    "flow",
    "attorney",
]


class ImportIn(Schema):
    """A file's mapped cells: `columns` names the field of each cell in every row."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["clio", "mycase", "csv"] = "csv"
    file_name: str = Field(default="", max_length=300)
    columns: list[ImportField] = Field(min_length=1, max_length=13)
    # Each cell at most 300 characters (the longest field, a location), 20,000 rows a file.
    rows: list[list[Annotated[str, Field(max_length=300)]]] = Field(max_length=20_000)
    # Events with no flow cell (or an empty one) get this flow.
    flow_id: DbId | None = None
    # Line of the first row in the file (after the header), so the report names file lines.
    first_line: int = Field(default=2, ge=1)
    dry_run: bool = False


class ImportCellError(Schema):
    field: str
    message: str


class ImportRowOut(Schema):
    line: int
    # created | updated | unchanged | none (the row had no client or no event) | rejected
    client: str
    event: str
    errors: list[ImportCellError] = []


class ImportReport(Schema):
    dry_run: bool
    rows: int
    imported: int
    rejected: int
    clients_created: int
    clients_updated: int
    events_created: int
    events_updated: int
    # Events whose reminders were resynced (created, moved or changed; none in a dry run), in
    # the import's own transaction.
    events_resynced: int
    # Events whose reminders are made right after the import (a file of more than one chunk
    # of court dates): they appear over the stream within seconds.
    events_pending: int = 0
    results: list[ImportRowOut]


# --- flow preview -----------------------------------------------------------------------------


class FlowPreviewIn(Schema):
    """A template (not yet saved) rendered for one client's event, as its reminder would read."""

    template: str = Field(max_length=5000)
    language: str = Field(default="en", min_length=2, max_length=8)
    event_id: DbId | None = None
    client_id: DbId | None = None


class FlowPreviewOut(Schema):
    body: str
    segments: int
    encoding: str
    characters: int
    max_segments: int
    too_long: bool
    # The tags the template uses, canonically spelled.
    tags: list[str]
    # Sample values when no event was given (a made-up client and a hearing a week out).
    is_sample: bool


# --- errors and stream --------------------------------------------------------------------------


class ErrorOut(Schema):
    """Every 4xx answer: `detail` is a sentence a person can act on."""

    detail: str
    code: str


StreamKind = Literal[
    "message.created",
    "message.updated",
    # Internal notes and system lines (status `internal`): never sent as message.*.
    "note.created",
    "note.updated",
    "conversation.updated",
    "conversation.deleted",
    "credits.changed",
    "credits.low",
    "credits.top_up_failed",
    "notification",
    "quick_reply.changed",
    "quick_reply.deleted",
    # Records changed (another desktop, a resync, an import): {id, client_id}.
    "client.updated",
    "client.deleted",
    "contact.updated",
    "matter.updated",
    "matter.deleted",
    "event.updated",
    "event.deleted",
]


def build_all() -> None:
    """Build every schema now and stop deferring (the server, as before `defer_build`).

    Switching `defer_build` off matters too: FastAPI's TypeAdapters around these models take
    it from their config and would otherwise be built at the first request, not at startup.
    """
    for value in list(globals().values()):
        if isinstance(value, type) and issubclass(value, Schema):
            value.model_config["defer_build"] = False
            if not value.__pydantic_complete__:
                value.model_rebuild()
