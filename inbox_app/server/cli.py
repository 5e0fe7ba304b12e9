"""`inbox-server`: serve, migrate, check, add firms and users, play the carrier, back up."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

log = logging.getLogger("inbox.server")

# Seconds open requests (the desktops' live streams) get to finish when the server stops.
SHUTDOWN_GRACE_SECONDS = 5


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from inbox_app.server import http_guard, logs, startup
    from inbox_app.server.app import create_app
    from inbox_app.server.config import get_settings

    settings = get_settings()
    logs.redact(secrets_of(settings))
    startup.prepare(settings)
    log.info(
        "starting inbox-server",
        extra={
            "host": args.host,
            "port": args.port,
            "send_mode": settings.send_mode.value,
            "database": settings.effective_database_url.split(":", 1)[0],
        },
    )
    # log_config=None: uvicorn's records go to our handler, in our format. No access log: URLs
    # may carry ?access_token= (the stream, for browsers).
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=None,
        access_log=False,
        # On stop (SIGTERM from systemd, Ctrl+C), open requests get this long; then they are
        # cancelled and the app's own shutdown runs (the dispatcher gives back what it claimed).
        # Without it uvicorn waits for every desktop's live stream to close, and systemd kills
        # the process before the app shuts down.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        **settings.proxy_options(),
        **http_guard.uvicorn_options(),
    )
    return 0


def secrets_of(settings) -> list[str]:
    """Every secret the server knows, for the log formatter to blank."""
    values = [settings.webhook_token]
    for secret in (
        settings.twilio_auth_token,
        settings.stripe_api_key,
        settings.secret_key,
        settings.metrics_token,
    ):
        if secret is not None:
            values.append(secret.get_secret_value())
    return values


def _cmd_init_db(_args: argparse.Namespace) -> int:
    from inbox_app.server import startup
    from inbox_app.server.config import get_settings
    from inbox_app.server.migrate import current

    settings = get_settings()
    startup.prepare(settings)
    print(f"Database is at revision {current(settings.effective_database_url)}.")
    return 0


def _cmd_create_user(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from inbox_app.models import tables as t
    from inbox_app.server.config import get_settings
    from inbox_app.server.services.auth import create_user

    password = args.password
    if password == "-":
        password = sys.stdin.readline().rstrip("\n")
    elif password is None:
        password = getpass.getpass(f"Password for {args.name}: ")

    default_number = get_settings().default_number

    def run(session) -> str:
        had_firms = bool(session.scalar(select(func.count()).select_from(t.Firm)))
        session.rollback()
        user = create_user(
            session,
            args.name,
            password,
            is_admin=args.admin,
            firm_name=args.firm,
            display_name=args.display_name or "",
            create_missing_firm=False,
            default_number=default_number,
        )
        created = f"Created {user.role} {user.username!r} (id {user.id}) in {user.firm.name!r}."
        if not had_firms:
            created += (
                f"\nThere was no firm yet, so firm {user.firm.name!r} (id {user.firm_id}) was "
                "created; an admin renames it in the firm settings "
                '(PUT /api/v1/firm/settings {"name": ...}).'
            )
        if user.firm.from_number and user.firm.from_number == default_number:
            created += f"\nIt texts from the server's number {default_number}."
        return created

    return _with_session(run)


def _cmd_set_password(args: argparse.Namespace) -> int:
    from inbox_app.server.services import users

    password = args.password
    if password == "-":
        password = sys.stdin.readline().rstrip("\n")
    elif password is None:
        password = getpass.getpass(f"New password for {args.name}: ")

    def action(session) -> str:
        user = users.set_password_by_name(session, args.name, password)
        return f"Password of {user.username!r} changed; every session of theirs is signed out."

    return _with_session(action)


def _cmd_set_active(args: argparse.Namespace) -> int:
    from inbox_app.server.services import users

    def action(session) -> str:
        user = users.set_active_by_name(session, args.name, args.active)
        if args.active:
            return f"{user.username!r} can sign in again."
        return f"{user.username!r} is disabled and signed out everywhere."

    return _with_session(action)


def _cmd_set_firm_number(args: argparse.Namespace) -> int:
    from inbox_app.server.config import get_settings
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.errors import InboxError
    from inbox_app.server.migrate import upgrade
    from inbox_app.server.services.inbound import set_firm_number

    number = None if args.number.strip().lower() in ("", "none") else args.number
    url = get_settings().effective_database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            firm = set_firm_number(session, args.firm, number)
    except InboxError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if firm.from_number:
        print(f"Texts to {firm.from_number} now go to {firm.name!r} (id {firm.id}).")
    else:
        print(f"{firm.name!r} (id {firm.id}) has no number of its own now.")
    return 0


def _cmd_simulate_inbound(args: argparse.Namespace) -> int:
    from inbox_app.server.simulate import simulate_inbound

    return simulate_inbound(args)


def _cmd_create_firm(args: argparse.Namespace) -> int:
    from inbox_app.server.config import get_settings
    from inbox_app.server.services import firms

    default_number = get_settings().default_number

    def run(session) -> str:
        firm = firms.create_named_firm(session, args.name, default_number)
        return f"Created firm {firm.name!r} (id {firm.id}) with {firms.FREE_GRANT} free messages."

    return _with_session(run)


def _cmd_list_firms(_args: argparse.Namespace) -> int:
    from inbox_app.server.services import firms

    def run(session) -> str:
        rows = firms.all_firms(session)
        if not rows:
            return "No firms yet (add one with `inbox-server create-firm NAME`)."
        return "\n".join(f"{firm.id}\t{firm.name}\t{firm.from_number or '-'}" for firm in rows)

    return _with_session(run)


def _with_session(run) -> int:
    """Migrate, open a session, print what `run` returns; a service error exits 2."""
    from inbox_app.server.config import get_settings
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.errors import InboxError
    from inbox_app.server.migrate import upgrade

    url = get_settings().effective_database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            print(run(session))
    except InboxError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


def _cmd_check(_args: argparse.Namespace) -> int:
    from inbox_app.server.ops.check import run_checks

    return run_checks()


def _cmd_backup(args: argparse.Namespace) -> int:
    from inbox_app.server.ops.backup import backup_command

    return backup_command(args.directory)


def _cmd_restore(args: argparse.Namespace) -> int:
    from inbox_app.server.ops.backup import restore_command

    return restore_command(args.directory)


class _HelpFormatter(argparse.HelpFormatter):
    """One line per option where it fits; defaults are written into each help text."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=36, width=100)


COMMANDS = (
    "serve",
    "init-db",
    "check",
    "create-firm",
    "list-firms",
    "create-user",
    "set-firm-number",
    "simulate-inbound",
    "backup",
    "restore",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox-server",
        description="Inbox shared backend. Settings come from INBOX_* environment variables "
        "(docs/settings.md). With no command, serves (as `serve`).",
        formatter_class=_HelpFormatter,
    )
    from inbox_app import __version__

    parser.add_argument("--version", action="version", version=f"inbox-server {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, func) -> argparse.ArgumentParser:
        cmd = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=_HelpFormatter
        )
        cmd.set_defaults(func=func)
        return cmd

    password = command(
        "set-password", "change a user's password (signs them out everywhere)", _cmd_set_password
    )
    password.add_argument("name", help="the sign-in name")
    password.add_argument(
        "--password", help="the password, or - to read it from standard input (default: ask)"
    )
    disable = command(
        "disable-user", "stop a user signing in (and sign them out everywhere)", _cmd_set_active
    )
    disable.add_argument("name", help="the sign-in name")
    disable.set_defaults(active=False)
    enable = command("enable-user", "let a disabled user sign in again", _cmd_set_active)
    enable.add_argument("name", help="the sign-in name")
    enable.set_defaults(active=True)

    serve = command("serve", "run the backend (migrates the database first)", _cmd_serve)
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="TCP port to listen on (default: %(default)s)"
    )

    command("init-db", "create or migrate the database, then exit", _cmd_init_db)
    command(
        "check",
        "check the settings, database, media store and carrier; one line each, exit 1 on a fault",
        _cmd_check,
    )

    firm = command("create-firm", "add a firm (it starts with its free messages)", _cmd_create_firm)
    firm.add_argument("name", help="the firm's name, as its users see it")
    command("list-firms", "print every firm: id, name, number", _cmd_list_firms)

    create = command("create-user", "add a user to a firm", _cmd_create_user)
    create.add_argument("name", help="the sign-in name")
    create.add_argument(
        "--password", help="the password, or - to read it from standard input (default: ask)"
    )
    create.add_argument("--admin", action="store_true", help="an account admin (default: staff)")
    create.add_argument(
        "--firm", help="the firm's name or id (needed when there are several firms)"
    )
    create.add_argument("--display-name", help="the name others see (default: the sign-in name)")

    number = command(
        "set-firm-number",
        "route texts to a number to a firm (and send from it)",
        _cmd_set_firm_number,
    )
    number.add_argument("firm", help="the firm's name or id")
    number.add_argument("number", help="its carrier number (E.164), or none to give it up")

    sim = command("simulate-inbound", "post a signed inbound webhook", _cmd_simulate_inbound)
    sim.add_argument("--from", dest="from_", required=True, help="sender number")
    sim.add_argument("--to", default=None, help="the firm's number (default: INBOX_TWILIO_FROM)")
    sim.add_argument("--body", default="", help="the text (default: empty)")
    sim.add_argument(
        "--media", action="append", default=[], help="an image file to attach (repeatable)"
    )
    sim.add_argument("--server", default=None, help="server URL (default: INBOX_PUBLIC_URL)")

    backup = command(
        "backup",
        "copy the database and media into a new directory, with a SHA-256 manifest",
        _cmd_backup,
    )
    backup.add_argument("directory", help="where to write the backup (must not exist or be empty)")
    restore = command(
        "restore",
        "load a backup into the configured (empty) database and media store",
        _cmd_restore,
    )
    restore.add_argument("directory", help="a directory written by `inbox-server backup`")
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    """`inbox-server [--host H] [--port P]` (no command) means `inbox-server serve ...`."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["serve", *argv]
    return argv


def main(argv: list[str] | None = None) -> int:
    from inbox_app.server import logs

    logs.configure(logging.INFO)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(_with_default_command(argv))
    if args.command not in ("serve", "init-db"):
        # Every command migrates first; its progress lines would bury the one line that matters.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
