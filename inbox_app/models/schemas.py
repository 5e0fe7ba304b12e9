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
    model_config = ConfigDict(from_attributes=True)


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
    notifications_enabled: bool = True


class UserSettingsIn(Schema):
    """The signed-in user's own preferences (they follow the user to every computer)."""

    model_config = ConfigDict(extra="forbid")

    notifications_enabled: bool


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


class MediaOut(Schema):
    id: int
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    sha256: str | None = None
    status: Literal["stored", "rejected"] = "stored"
    reject_reason: str | None = None


class MessageIn(Schema):
    body: str = Field(default="", max_length=5000)
    send_at: SendAt = None
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64)


class MessagePatch(Schema):
    body: str | None = Field(default=None, max_length=5000)
    send_at: SendAt = None


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: Literal["inbound", "outbound"]
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
    origin: Literal["manual", "flow"] = "manual"
    simulated: bool = False
    event_id: int | None = None
    media: list[MediaOut] = []


class MessagePage(Schema):
    messages: list[MessageOut]
    has_more: bool


class BlockIn(Schema):
    keep_record: bool = False


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


class TopUpIn(Schema):
    bundles: int = Field(ge=1, le=100)
    reference: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64)


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


class FirmSettingsIn(Schema):
    """A partial update: fields left out keep their value; `from_number: null` clears it (the
    server's INBOX_TWILIO_FROM is used). Quiet hours: texts go out between start and end."""

    model_config = ConfigDict(extra="forbid")

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


class CardIn(Schema):
    """The firm's saved card in Stripe, charged off-session for top-ups."""

    customer_id: str = Field(min_length=4, max_length=64, pattern=r"^cus_[A-Za-z0-9_]+$")
    payment_method_id: str = Field(
        min_length=4, max_length=64, pattern=r"^(pm|card|src)_[A-Za-z0-9_]+$"
    )


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


class ClientPatch(Schema):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, min_length=2, max_length=8)


class ContactIn(Schema):
    phone: str = Field(min_length=1, max_length=64)
    type: str = Field(default="cell", max_length=16)
    channel: Literal["text"] = "text"
    consent: bool = True


class ContactPatch(Schema):
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
    message_id: int | None
    note: str
    created_at: datetime


class MatterIn(Schema):
    client_id: DbId
    name: str = Field(min_length=1, max_length=200)
    case_number: str | None = Field(default=None, max_length=100)


class MatterPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    case_number: str | None = Field(default=None, max_length=100)


class MatterOut(Schema):
    id: int
    client_id: int
    name: str
    case_number: str | None = None


class FlowStepIn(Schema):
    offset_days: int = Field(ge=-365, le=365)
    offset_hours: int = Field(default=0, ge=-23, le=23)
    send_time: time | None = None
    templates: dict[str, str]


class FlowIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    simulated: bool = False
    steps: list[FlowStepIn] = Field(min_length=1, max_length=20)


class FlowPatch(Schema):
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


class EventPatch(Schema):
    """Fields left out stay as they are; `matter_id`, `location`, `flow_id` may be cleared."""

    matter_id: DbId | None = None
    starts_at: EventTime = None
    location: str | None = Field(default=None, max_length=300)
    status: str | None = None
    flow_id: DbId | None = None


class EventOut(Schema):
    id: int
    client_id: int
    matter_id: int | None
    starts_at: datetime
    location: str | None
    status: str
    flow_id: int | None


# --- errors and stream --------------------------------------------------------------------------


class ErrorOut(Schema):
    """Every 4xx answer: `detail` is a sentence a person can act on."""

    detail: str
    code: str


StreamKind = Literal[
    "message.created",
    "message.updated",
    "conversation.updated",
    "conversation.deleted",
    "credits.changed",
    "credits.low",
    "credits.top_up_failed",
    "notification",
]
