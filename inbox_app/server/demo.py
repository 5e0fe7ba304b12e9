"""`inbox-app --demo`: a private backend in a thread, a demo firm seeded through the services,
and a carrier that now and then texts in (signed webhooks to itself) so notifications show."""

from __future__ import annotations

import io
import logging
import random
import secrets
import shutil
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from inbox_app.models import tables as t
from inbox_app.models.schemas import (
    ClientIn,
    ContactIn,
    ConversationIn,
    EventIn,
    FlowIn,
    FlowStepIn,
    MatterIn,
    MessageIn,
)
from inbox_app.server.config import Settings

log = logging.getLogger("inbox.demo")

DEMO_USER = "dana"
DEMO_PASSWORD = "demo-password"
FIRM = "Whitfield & Ortiz LLP"
FIRM_NUMBER = "+12025550143"

# (first, last, mobile, matter, case number, language)
CLIENTS = [
    ("Maria", "Alvarez", "+12025550111", "Alvarez v. Metro Transit", "CV-2025-0412", "es"),
    ("James", "Okafor", "+12025550112", "Okafor — Immigration (I-130)", "IMM-88231", "en"),
    ("Linda", "Chen", "+12025550113", "Chen Estate Planning", None, "en"),
    ("Robert", "Fitzgerald", "+12025550114", "State v. Fitzgerald", "CR-2025-1187", "en"),
    ("Aisha", "Rahman", "+12025550115", "Rahman v. Lakeside Apartments", "LT-2025-0093", "en"),
    ("Daniel", "Kowalski", "+12025550116", "Kowalski Divorce", "FAM-2025-0771", "en"),
    ("Sofia", "Moreno", "+12025550117", "Moreno Workers' Comp", "WC-55102", "es"),
    ("Tyrone", "Banks", "+12025550118", "Banks DUI Defense", "TR-2025-3320", "en"),
    ("Emily", "Nguyen", "+12025550119", "Nguyen Bankruptcy (Ch. 7)", "BK-25-10442", "en"),
    ("Harold", "Simmons", "+12025550120", "Simmons Will Contest", "PR-2025-0218", "en"),
    ("Priya", "Patel", "+12025550121", "Patel LLC Formation", None, "en"),
    ("Marcus", "Green", "+12025550122", "Green v. Allied Insurance", "CV-2025-0950", "en"),
]

IN, OUT = "in", "out"

# Scripted threads: client index -> [(direction, minutes ago, text, images)]; images name
# generated pictures. The first one is the showcase the screenshot opens.
THREADS: dict[int, list[tuple[str, int, str, tuple[str, ...]]]] = {
    0: [
        (
            OUT,
            60 * 27,
            "Hi Maria, this is Dana from Whitfield & Ortiz. Could you send photos of "
            "the bus stop where you fell, and of your knee?",
            (),
        ),
        (IN, 60 * 26, "Yes of course. I took these the day after.", ("sidewalk", "knee")),
        (IN, 60 * 26 - 2, "The crack in the sidewalk is still there, nobody fixed it.", ()),
        (
            OUT,
            60 * 25,
            "Thank you, these are very helpful. Do you still have the clinic receipt?",
            (),
        ),
        (IN, 42, "Here is the receipt from the urgent care clinic.", ("receipt",)),
        (OUT, 38, "Got it. We will add it to the demand letter. Talk soon!", ()),
        (IN, 6, "Thank you! Do I need to bring anything to Thursday's meeting?", ()),
    ],
    1: [
        (
            OUT,
            60 * 50,
            "James, your biometrics appointment notice arrived. It's on the 14th at "
            "9:30 AM at the Alexandria ASC.",
            (),
        ),
        (IN, 60 * 49, "Great, thanks. Should I bring my passport?", ()),
        (
            OUT,
            60 * 49 - 5,
            "Yes: passport, the appointment notice and your green card receipt.",
            (),
        ),
        (IN, 14, "Will do. Any update on the interview date?", ()),
    ],
    2: [
        (
            OUT,
            60 * 24 * 3,
            "Hi Linda, the draft trust is ready for your review. I've emailed it to you.",
            (),
        ),
        (IN, 60 * 24 * 3 - 30, "Received, I'll read it this weekend.", ()),
        (IN, 60 * 24 * 2, "One question: can my sister be the successor trustee?", ()),
        (OUT, 60 * 24 * 2 - 20, "Absolutely. We'll update section 4.2 and send a new draft.", ()),
    ],
    3: [
        (
            OUT,
            60 * 5,
            "Robert, reminder: arraignment tomorrow 9:00 AM, Courtroom 4B. Please arrive by 8:30.",
            (),
        ),
        (IN, 60 * 4, "I'll be there. Dress code?", ()),
        (OUT, 60 * 4 - 3, "Business attire please: a collared shirt and slacks are fine.", ()),
    ],
    4: [
        (IN, 60 * 30, "The mold in the bathroom came back after they painted over it.", ("mold",)),
        (OUT, 60 * 29, "I'm sorry to hear that. Please keep taking dated photos every week.", ()),
        (IN, 120, "New photo from this morning.", ("mold",)),
    ],
    5: [
        (OUT, 60 * 24 * 6, "Daniel, the mediation is confirmed for next Tuesday at 1 PM.", ()),
        (IN, 60 * 24 * 6 - 10, "Ok. Will my ex's lawyer be there?", ()),
        (
            OUT,
            60 * 24 * 6 - 15,
            "Yes, both attorneys attend. The mediator meets each side separately too.",
            (),
        ),
    ],
    6: [
        (IN, 60 * 24 * 2, "Hola, ¿ya recibieron el informe del médico?", ()),
        (
            OUT,
            60 * 24 * 2 - 40,
            "Sí, lo recibimos ayer. Lo enviaremos a la aseguradora esta semana.",
            (),
        ),
        (IN, 60 * 24 * 2 - 45, "¡Muchas gracias!", ()),
    ],
    7: [
        (
            OUT,
            60 * 24 * 8,
            "Tyrone, the DMV hearing request was filed. Keep the confirmation letter.",
            (),
        ),
        (IN, 60 * 24 * 8 - 60, "Thanks. Can I still drive to work?", ()),
        (OUT, 60 * 24 * 8 - 70, "Yes, until the hearing decision. Carry the temporary permit.", ()),
    ],
    8: [
        (OUT, 60 * 24 * 4, "Emily, please send the last 6 months of pay stubs when you can.", ()),
        (IN, 60 * 24 * 4 - 90, "Sending the first two now", ("paystub",)),
    ],
    9: [
        (IN, 60 * 24 * 12, "Did the court set a hearing on the objection?", ()),
        (OUT, 60 * 24 * 12 - 25, "Not yet. We expect a date within two weeks.", ()),
    ],
    10: [
        (OUT, 60 * 24 * 15, "Priya, your LLC was approved! The certificate is in your portal.", ()),
        (IN, 60 * 24 * 15 - 5, "Amazing news, thank you!!", ()),
    ],
    11: [
        (OUT, 60 * 24 * 1, "Marcus, the insurer made an offer. Can we talk today at 4?", ()),
        (IN, 60 * 24 * 1 - 12, "4 works. Call my cell.", ()),
        (OUT, 60 * 24 * 1 - 14, "Perfect, talk then.", ()),
    ],
}

UNREAD = {0, 1, 4}
MUTED = {9}
SCHEDULED = (3, "Robert, your next court date is confirmed. Bring your ID and the bail receipt.")
FAILED = (
    7,
    "Tyrone, please call the office to confirm your hearing date.",
    "30003: Unreachable destination handset",
)

CARRIER_LINES = [
    "Thanks, got it!",
    "Can you call me when you have a minute?",
    "I'm running 10 minutes late, sorry.",
    "Is Thursday still ok?",
    "I sent the documents by email just now.",
    "Ok, see you then.",
    "Quick question about the bill, whenever you're free.",
    "Perfect, thank you so much.",
]


# --- pictures ----------------------------------------------------------------------------------


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=86)
    return buffer.getvalue()


def make_picture(kind: str, seed: int = 0) -> bytes:
    """A plausible phone photo drawn with Pillow (sidewalk, knee, receipt, mold, pay stub)."""
    rng = random.Random(f"{kind}-{seed}")
    w, h = (900, 1200) if kind in ("receipt", "paystub") else (1200, 900)
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    if kind == "sidewalk":
        for y in range(h):
            shade = 150 + int(40 * y / h)
            draw.line([(0, y), (w, y)], fill=(shade, shade - 4, shade - 10))
        for _ in range(2500):
            x, y = rng.randrange(w), rng.randrange(h)
            g = rng.randrange(110, 200)
            draw.point((x, y), fill=(g, g, g - 8))
        for x in range(0, w, 300):
            draw.line([(x + 40, 0), (x - 40, h)], fill=(110, 108, 100), width=6)
        points = [(200, 520)]
        for _ in range(14):
            px, py = points[-1]
            points.append((px + rng.randrange(40, 70), py + rng.randrange(-30, 30)))
        draw.line(points, fill=(40, 38, 36), width=9)
        draw.rectangle([0, 0, w, 120], fill=(96, 132, 72))
    elif kind == "knee":
        draw.rectangle([0, 0, w, h], fill=(70, 86, 112))
        draw.ellipse([250, 150, 950, 850], fill=(224, 178, 150))
        draw.ellipse([520, 380, 720, 560], fill=(150, 80, 110))
        draw.ellipse([560, 420, 680, 520], fill=(120, 60, 95))
    elif kind == "mold":
        draw.rectangle([0, 0, w, h], fill=(232, 230, 222))
        for _ in range(420):
            x, y = rng.gauss(w * 0.55, 180), rng.gauss(h * 0.4, 140)
            r = rng.randrange(6, 26)
            g = rng.randrange(40, 90)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(g, g + 10, g - 10))
        draw.rectangle([0, h - 180, w, h], fill=(250, 250, 250))
        for x in range(0, w, 150):
            draw.line([(x, h - 180), (x, h)], fill=(210, 210, 210), width=3)
    else:  # receipt / paystub: paper on a table
        draw.rectangle([0, 0, w, h], fill=(120, 84, 56))
        for y in range(0, h, 18):
            draw.line([(0, y), (w, y + rng.randrange(-6, 6))], fill=(110, 76, 50), width=3)
        paper = [140, 90, w - 140, h - 90]
        draw.rectangle(paper, fill=(248, 247, 242))
        draw.rectangle(
            [paper[0] + 40, paper[1] + 40, paper[2] - 40, paper[1] + 90],
            fill=(60, 90, 150) if kind == "paystub" else (40, 40, 40),
        )
        y = paper[1] + 130
        while y < paper[3] - 60:
            length = rng.randrange(200, paper[2] - paper[0] - 120)
            draw.line([(paper[0] + 40, y), (paper[0] + 40 + length, y)], fill=(90, 90, 90), width=7)
            draw.line([(paper[2] - 160, y), (paper[2] - 50, y)], fill=(60, 60, 60), width=7)
            y += 42
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    return _jpeg(img)


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class SeedResult:
    showcase_conversation_id: int
    conversation_ids: list[int] = field(default_factory=list)


def _inbound(
    session: Session, settings: Settings, phone: str, body: str, pictures: tuple[str, ...] = ()
) -> str:
    """Store an inbound text the way the webhook does; returns its MessageSid."""
    from inbox_app.server.services import inbound, media
    from inbox_app.server.simulate import build_params

    urls = []
    for i, name in enumerate(pictures):
        data = make_picture(name, i + len(body))
        url = media.save_simulator_upload(
            settings, data, "image/jpeg", media.simulator_signature(settings, data)
        )
        urls.append((url, "image/jpeg"))
    params = build_params(phone, FIRM_NUMBER, body, urls, settings.twilio_account_sid or "")
    inbound.receive(session, settings, params)
    return params["MessageSid"]


def _user(session: Session, user_id: int) -> t.User:
    """The user for service calls, with the read transaction closed (as the routes do)."""
    user = session.get(t.User, user_id)
    session.commit()
    return user


def _settle_activity(session: Session, conversation_ids: list[int]) -> None:
    """Each thread's last activity and preview from its newest sent or received message."""
    for conversation_id in conversation_ids:
        last = session.scalars(
            select(t.Message)
            .where(t.Message.conversation_id == conversation_id, t.Message.status != "scheduled")
            .order_by(t.Message.created_at.desc())
            .limit(1)
        ).first()
        if last is not None:
            session.execute(
                update(t.Conversation)
                .where(t.Conversation.id == conversation_id)
                .values(
                    last_message_at=last.created_at,
                    last_message_preview=(last.body or "[image]")[:200],
                )
            )


def seed(factory: sessionmaker[Session], settings: Settings) -> SeedResult:
    """Create the demo firm: users, a dozen clients with matters, threads with photos,
    a scheduled message, a failed one, and a court-date reminder flow."""
    from inbox_app.server.services import (
        auth,
        clients,
        contacts,
        conversations,
        credits,
        firms,
        flows,
        matters,
        messages,
        reminders,
    )

    with factory() as session:
        firm = firms.create_firm(session, FIRM, from_number=FIRM_NUMBER, phone="+12025550100")
        firm_id = firm.id
    with factory() as session:
        user_id = auth.create_user(
            session,
            DEMO_USER,
            DEMO_PASSWORD,
            is_admin=True,
            firm_name=FIRM,
            display_name="Dana Whitfield",
        ).id
    with factory() as session:
        auth.create_user(
            session, "paula", DEMO_PASSWORD, firm_name=FIRM, display_name="Paula Reyes"
        )
    with factory() as session, session.begin():
        credits.add_in(
            session, firm_id, 900, "purchase", reference="DEMO-INVOICE-001", note="Demo bundle"
        )

    now = datetime.now(UTC)
    result: SeedResult | None = None
    stamps: list[tuple[str, object, datetime]] = []
    for index, (first, last, phone, matter_name, case_number, language) in enumerate(CLIENTS):
        with factory() as session:
            user = _user(session, user_id)
            client = clients.create_client(
                session, user, ClientIn(first_name=first, last_name=last, language=language)
            )
            contacts.create_contact(session, user, client.id, ContactIn(phone=phone))
            matter = matters.create_matter(
                session,
                user,
                MatterIn(client_id=client.id, name=matter_name, case_number=case_number),
            )
            conversation, _ = conversations.compose(
                session, user, ConversationIn(phone=phone, client_id=client.id, matter_id=matter.id)
            )
            for direction, minutes_ago, body, pictures in THREADS.get(index, []):
                when = now - timedelta(minutes=minutes_ago)
                if direction == IN:
                    sid = _inbound(session, settings, phone, body, pictures)
                    stamps.append(("sid", sid, when))
                else:
                    out, _ = messages.send(
                        session, settings, user, conversation.id, MessageIn(body=body)
                    )
                    stamps.append(("id", out.id, when))
            if result is None:
                result = SeedResult(showcase_conversation_id=conversation.id)
            result.conversation_ids.append(conversation.id)

    with factory() as session, session.begin():
        # History happened in the past: give each message its scripted time and final status.
        for kind, key, when in stamps:
            column = t.Message.carrier_sid if kind == "sid" else t.Message.id
            values = {"created_at": when, "sent_at": when}
            if kind == "id":
                values |= {
                    "status": "delivered",
                    "carrier_sid": "SMdemo" + uuid.uuid4().hex,
                    "simulated": True,
                }
            session.execute(update(t.Message).where(column == key).values(**values))
    with factory() as session:
        user = _user(session, user_id)
        for index, conversation_id in enumerate(result.conversation_ids):
            if index not in UNREAD:
                conversations.apply_action(session, user, conversation_id, "read")
            if index in MUTED:
                conversations.apply_action(session, user, conversation_id, "mute")
        # A scheduled reply and a failed one, to show those states.
        index, body = SCHEDULED
        messages.send(
            session,
            settings,
            user,
            result.conversation_ids[index],
            MessageIn(body=body, send_at=now + timedelta(days=2, hours=1)),
        )
        index, body, error = FAILED
        failed, _ = messages.send(
            session, settings, user, result.conversation_ids[index], MessageIn(body=body)
        )
    with factory() as session, session.begin():
        code, text = error.split(": ", 1)
        when = now - timedelta(days=7)
        session.execute(
            update(t.Message)
            .where(t.Message.id == failed.id)
            .values(
                status="failed",
                error_code=code,
                error_text=text,
                created_at=when,
                sent_at=when,
                carrier_sid="SMdemo" + uuid.uuid4().hex,
            )
        )
        _settle_activity(session, result.conversation_ids)

    # A court-date reminder flow for Robert's arraignment; the flow engine schedules the texts.
    with factory() as session:
        user = _user(session, user_id)
        try:
            flow = flows.create_flow(
                session,
                user,
                FlowIn(
                    name="Court date reminders",
                    steps=[
                        FlowStepIn(
                            offset_days=-3,
                            templates={
                                "en": "Reminder from [FirmName]: court on [EventDate] at"
                                " [EventTime], [EventLocation].",
                                "es": "Recordatorio de [FirmName]: corte el [EventDate] a las"
                                " [EventTime], [EventLocation].",
                            },
                        ),
                        FlowStepIn(
                            offset_days=-1,
                            templates={
                                "en": "Tomorrow: court at [EventTime], [EventLocation]."
                                " Call us with questions.",
                            },
                        ),
                    ],
                ),
            )
            robert = session.scalar(select(t.Client).where(t.Client.first_name == "Robert"))
            session.commit()
            court = (now + timedelta(days=9)).astimezone(ZoneInfo("America/New_York"))
            reminders.create_event(
                session,
                user,
                EventIn(
                    client_id=robert.id,
                    starts_at=court.replace(hour=9, minute=0, second=0, microsecond=0),
                    location="Courtroom 4B, 500 Indiana Ave NW",
                    flow_id=flow.id,
                ),
            )
        except Exception:  # the reminder engine is optional for the demo to run
            log.exception("could not seed the reminder flow")
    return result


# --- the private server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoServer:
    """The backend in a background thread on a free loopback port, with a fresh demo firm."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        play_carrier: bool = True,
        interval: tuple[float, float] = (20.0, 40.0),
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="inbox-demo-"))
        self.play_carrier = play_carrier
        self.interval = interval
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.username = DEMO_USER
        self.password = DEMO_PASSWORD
        self.showcase_conversation_id: int | None = None
        self.settings = Settings(
            database_url=f"sqlite:///{self.data_dir / 'demo.db'}",
            media_dir=self.data_dir / "media",
            public_url=self.base_url,
            send_mode="simulate",
            twilio_auth_token="demo-" + secrets.token_hex(16),
            twilio_account_sid="AC" + secrets.token_hex(16),
            twilio_from=FIRM_NUMBER,
            simulate_failure_rate=0.0,
            simulate_status_delay=0.8,
        )
        self._server = None
        self._thread: threading.Thread | None = None
        self._carrier: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> DemoServer:
        import uvicorn

        from inbox_app.server.app import create_app
        from inbox_app.server.migrate import upgrade

        self.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(self.settings.effective_database_url)
        app = create_app(self.settings)
        seeded = seed(app.state.sessionmaker, self.settings)
        self.showcase_conversation_id = seeded.showcase_conversation_id
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="inbox-demo-server", daemon=True
        )
        self._thread.start()
        self._wait_until_up()
        if self.play_carrier:
            self._carrier = threading.Thread(
                target=self._play, name="inbox-demo-carrier", daemon=True
            )
            self._carrier.start()
        return self

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError("the demo server did not start")

    def text_in(self, phone: str, body: str) -> int:
        """Play the carrier: post a signed inbound webhook; returns the HTTP status."""
        from twilio.request_validator import RequestValidator

        from inbox_app.server.services.inbound import MESSAGES_PATH
        from inbox_app.server.simulate import build_params

        params = build_params(phone, FIRM_NUMBER, body, [], self.settings.twilio_account_sid)
        signature = RequestValidator(self.settings.webhook_token).compute_signature(
            self.settings.public_url + MESSAGES_PATH, params
        )
        response = httpx.post(
            self.base_url + MESSAGES_PATH,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=10,
        )
        return response.status_code

    def _play(self) -> None:
        rng = random.Random()
        while not self._stop.wait(rng.uniform(*self.interval)):
            _first, _last, phone, *_ = rng.choice(CLIENTS)
            try:
                self.text_in(phone, rng.choice(CARRIER_LINES))
            except httpx.HTTPError:
                log.warning("the demo carrier could not reach the server")

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
