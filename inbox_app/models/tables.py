"""The backend's database tables (SQLAlchemy 2, typed). Only the server imports this module."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit id.
BigId = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on every backend (SQLite forgets offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not UTC:
            # (Most values are UTC already: a bulk write binds 10^5 of them.)
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), time: Time()}


DEFAULT_AFTER_HOURS_REPLY = (
    "Thanks for your text. [FirmName] is closed right now; we will reply when we open."
)


class Firm(Base):
    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    # The carrier number the firm owns: it texts from it and inbound texts to it are its own.
    # Unique: a number belongs to at most one firm (INBOX_TWILIO_FROM too, once given to one).
    from_number: Mapped[str | None] = mapped_column(String(32))
    # simulate | live; None follows the server's INBOX_SEND_MODE.
    send_mode: Mapped[str | None] = mapped_column(String(16))
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    quiet_start: Mapped[time] = mapped_column(default=time(8, 0))
    quiet_end: Mapped[time] = mapped_column(default=time(21, 0))
    default_send_delay_seconds: Mapped[int] = mapped_column(Integer, default=0)
    max_segments: Mapped[int] = mapped_column(Integer, default=10)
    help_reply: Mapped[str] = mapped_column(
        Text,
        default="{firm}: for help call {phone}. Reply STOP to opt out.",
    )
    bundle_size: Mapped[int] = mapped_column(Integer, default=1000)
    bundle_price_cents: Mapped[int] = mapped_column(Integer, default=2000)
    auto_top_up: Mapped[bool] = mapped_column(Boolean, default=False)
    low_balance_threshold: Mapped[int] = mapped_column(Integer, default=50)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    trash_retention_days: Mapped[int] = mapped_column(Integer, default=30)
    # The after-hours reply (services/after_hours.py): texted once per number per closed period
    # when on. Hours in `time_zone`: {"mon": ["09:00", "17:00"], ..., "sun": null}; None is
    # Monday to Friday, 9:00 to 17:00.
    after_hours_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    opening_hours: Mapped[dict | None] = mapped_column(JSON)
    after_hours_reply: Mapped[str] = mapped_column(Text, default=DEFAULT_AFTER_HOURS_REPLY)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("max_segments BETWEEN 1 AND 10", name="max_segments_range"),
        CheckConstraint("bundle_size > 0", name="bundle_size_positive"),
        CheckConstraint("bundle_price_cents >= 0", name="bundle_price_nonnegative"),
        CheckConstraint("send_mode IN ('simulate', 'live')", name="send_mode_known"),
        Index("ix_firms_from_number", "from_number", unique=True),
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    can_text: Mapped[bool] = mapped_column(Boolean, default=True)
    notifications_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    firm: Mapped[Firm] = relationship()

    __table_args__ = (CheckConstraint("role IN ('admin', 'staff')", name="role_known"),)


class AuthToken(Base):
    """Opaque bearer tokens, stored hashed so a database leak gives no sessions away."""

    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    # "clio:1234": the record's id in the system it was imported from (re-imports update it).
    external_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_clients_firm_external_id", "firm_id", "external_id", unique=True),)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    # E.164 when valid; the text as typed when `invalid` (kept and badged, never texted).
    phone: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(16), default="cell")
    channel: Mapped[str] = mapped_column(String(16), default="text")
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    # A landline, toll-free or premium number (checked as compose checks it), or one the carrier
    # said cannot receive texts (21211, 21614, 30006): badged, never sent reminders.
    cannot_receive_texts: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    trashed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConsentEvent(Base):
    """Every change of a number's consent, with how and by whom: evidence for a TCPA question."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(64), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    opted_in: Mapped[bool] = mapped_column(Boolean)
    # keyword | staff | created
    source: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Matter(Base):
    __tablename__ = "matters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    case_number: Mapped[str | None] = mapped_column(String(100))
    # The firm's user responsible for the matter (the agenda filters by it). No foreign key, as
    # for conversations.assignee_id: users are disabled, never deleted.
    attorney_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    # E.164, or a short code / alphanumeric sender exactly as the carrier gave it.
    phone: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id", ondelete="SET NULL"))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Blocked with keep_record: read-only and hidden from every inbox.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # True once the firm has sent anything: decides who is notified of an inbound text.
    has_outbound: Mapped[bool] = mapped_column(Boolean, default=False)
    last_message_at: Mapped[datetime | None]
    last_message_preview: Mapped[str] = mapped_column(Text, default="")
    # Inbound texts ever stored here; a user's unread count is this minus their read_inbound_count.
    inbound_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The one user the conversation is assigned to (None: nobody). No foreign key: users are
    # disabled, never deleted, and SQLite could add one only by rebuilding the table.
    assignee_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("firm_id", "phone"),
        Index("ix_conversations_firm_activity", "firm_id", "last_message_at"),
    )


class ConversationState(Base):
    """One user's view of one conversation: part of it, bell, left, what was read."""

    __tablename__ = "conversation_states"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_participant: Mapped[bool] = mapped_column(Boolean, default=False)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    left: Mapped[bool] = mapped_column(Boolean, default=False)
    last_read_message_id: Mapped[int] = mapped_column(BigId, default=0)
    # The conversation's inbound_count when the user last read it.
    read_inbound_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    marked_unread: Mapped[bool] = mapped_column(Boolean, default=False)
    # The newest internal note that @mentions the user and that they have not opened yet:
    # the conversation is in their Mentions filter until they read it.
    unseen_mention_id: Mapped[int | None] = mapped_column(BigId)


# Search objects made by migration 0014 outside this metadata (an FTS5 table on SQLite, a trigram
# index on PostgreSQL); schema comparisons leave them out.
SEARCH_OBJECTS = frozenset(
    {
        "messages_fts",
        "messages_fts_config",
        "messages_fts_data",
        "messages_fts_docsize",
        "messages_fts_idx",
        "ix_messages_body_trgm",
    }
)


def is_mapped_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object`: everything but the search objects."""
    return name not in SEARCH_OBJECTS


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    segments: Mapped[int] = mapped_column(Integer, default=0)
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    from_number: Mapped[str] = mapped_column(String(64), default="")
    to_number: Mapped[str] = mapped_column(String(64), default="")
    send_at: Mapped[datetime | None]
    # When quiet hours moved `send_at`: the time asked for, and why ("quiet_hours").
    requested_send_at: Mapped[datetime | None]
    send_at_reason: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    carrier_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_text: Mapped[str | None] = mapped_column(Text)
    held_reason: Mapped[str | None] = mapped_column(String(200))
    # manual | flow | auto (the after-hours reply); for direction internal: note | system
    origin: Mapped[str] = mapped_column(String(8), default="manual")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    # A live reply typed by a user is never moved by quiet hours.
    respects_quiet_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    is_debited: Mapped[bool] = mapped_column(Boolean, default=False)
    # Dispatcher lease: who claimed it and until when; an expired lease is reclaimed.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    # Set (committed) right before each carrier call; with no carrier_sid yet it means the
    # carrier may have the text, so it is looked up there before any new attempt.
    carrier_attempted_at: Mapped[datetime | None]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    flow_step_id: Mapped[int | None] = mapped_column(
        ForeignKey("flow_steps.id", ondelete="SET NULL")
    )
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id", ondelete="SET NULL"))

    media: Mapped[list[Media]] = relationship(
        back_populates="message", order_by="Media.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("firm_id", "idempotency_key"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_due", "status", "send_at"),
        # internal: a note or a system line (an assignment) for the firm's staff, never sent.
        CheckConstraint("direction IN ('inbound', 'outbound', 'internal')", name="direction_known"),
        CheckConstraint(
            "status IN ('scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered',"
            " 'failed', 'received', 'canceled', 'held', 'internal')",
            name="status_known",
        ),
    )


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # Paths relative to INBOX_MEDIA_DIR.
    path: Mapped[str | None] = mapped_column(String(255))
    thumbnail_path: Mapped[str | None] = mapped_column(String(255))
    # stored | rejected
    status: Mapped[str] = mapped_column(String(16), default="stored")
    reject_reason: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    # The carrier's link to an outbound image: a random token of its own (never derived from
    # the id), valid until `public_until`.
    public_token: Mapped[str | None] = mapped_column(String(64))
    public_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[Message] = relationship(back_populates="media")


class BlockedNumber(Base):
    __tablename__ = "blocked_numbers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(64))
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kept_record: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("firm_id", "phone"),)


class CreditBalance(Base):
    """The running balance, debited by a conditional update; always equals the ledger's sum."""

    __tablename__ = "credit_balances"

    firm_id: Mapped[int] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("balance >= 0", name="balance_nonnegative"),)


class SenderSlot(Base):
    """The next moment a sender number may hand a message to the carrier, shared by every
    server process, so several dispatchers together keep the per-number rate."""

    __tablename__ = "sender_slots"

    from_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Seconds since the epoch (wall clock): compared across processes, not within one.
    next_send_at: Mapped[float] = mapped_column(Float, default=0.0)


class LoginCounter(Base):
    """Sign-in attempts per key (`user:NAME`, `addr:IP`) in the current window, shared by every
    server process; bumped by one atomic upsert before a password is checked."""

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds since the epoch (wall clock): compared across processes.
    window_start: Mapped[float] = mapped_column(Float, default=0.0, index=True)


class CreditEntry(Base):
    """Append-only ledger: grant, purchase, debit, refund."""

    __tablename__ = "credit_ledger"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('grant', 'purchase', 'debit', 'refund')", name="kind_known"),
    )


class TopUp(Base):
    """One attempt to buy bundles; its idempotency key makes a retried request charge once."""

    __tablename__ = "top_ups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    bundles: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    # pending | succeeded | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    is_automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Flow(Base):
    __tablename__ = "flows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    steps: Mapped[list[FlowStep]] = relationship(
        back_populates="flow", order_by="FlowStep.position", cascade="all, delete-orphan"
    )


class FlowStep(Base):
    __tablename__ = "flow_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    offset_hours: Mapped[int] = mapped_column(Integer, default=0)
    send_time: Mapped[time | None]

    flow: Mapped[Flow] = relationship(back_populates="steps")
    templates: Mapped[list[Template]] = relationship(
        back_populates="step", cascade="all, delete-orphan"
    )


class Template(Base):
    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow_step_id: Mapped[int] = mapped_column(ForeignKey("flow_steps.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)

    step: Mapped[FlowStep] = relationship(back_populates="templates")

    __table_args__ = (UniqueConstraint("flow_step_id", "language"),)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id", ondelete="SET NULL"))
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("flows.id", ondelete="SET NULL"))
    # The court date's own attorney, a user of the firm: it wins over the matter's (the agenda
    # shows and filters by whichever applies). No foreign key, as for matters.attorney_id.
    attorney_id: Mapped[int | None] = mapped_column(BigId, index=True)
    starts_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(300))
    # scheduled | canceled | ...
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # As on clients: "mycase:88", the calendar entry's id in the system it came from.
    external_id: Mapped[str | None] = mapped_column(String(120))
    # Its reminders are still to be made: an import of many court dates commits them with this
    # set, and the dispatcher's pass resyncs them right after (services/reminders.resync_pending).
    reminders_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_events_firm_external_id", "firm_id", "external_id", unique=True),
        Index(
            "ix_events_reminders_pending",
            "id",
            sqlite_where=text("reminders_pending"),
            postgresql_where=text("reminders_pending"),
        ),
    )


class QuickReply(Base):
    """A saved reply with merge tags: the firm's (owner_id None, admins manage) or one user's."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StreamEvent(Base):
    """Realtime events, kept so a client reconnecting with Last-Event-ID gets what it missed."""

    __tablename__ = "stream_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    # None: every user of the firm; otherwise only this user (e.g. their read state).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_stream_events_firm_id_id", "firm_id", "id"),)


# Ids the outside sees never come back: SQLite without AUTOINCREMENT hands a deleted highest id
# out again (migration 0015_autoincrement rebuilds the existing tables the same way).
for _table in Base.metadata.tables.values():
    if list(_table.primary_key.columns.keys()) == ["id"]:
        _table.dialect_kwargs["sqlite_autoincrement"] = True
