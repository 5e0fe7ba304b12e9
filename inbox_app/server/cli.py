"""`inbox-server`: run the backend, migrate the database, add users, play the carrier."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

log = logging.getLogger("inbox.server")


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from inbox_app.server import logs
    from inbox_app.server.app import create_app
    from inbox_app.server.config import get_settings
    from inbox_app.server.migrate import upgrade

    settings = get_settings()
    logs.redact(secrets_of(settings))
    upgrade(settings.effective_database_url)
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
    )
    return 0


def secrets_of(settings) -> list[str]:
    """Every secret the server knows, for the log formatter to blank."""
    values = [settings.webhook_token]
    for secret in (settings.twilio_auth_token, settings.stripe_api_key, settings.secret_key):
        if secret is not None:
            values.append(secret.get_secret_value())
    return values


def _cmd_init_db(_args: argparse.Namespace) -> int:
    from inbox_app.server.config import get_settings
    from inbox_app.server.migrate import current, upgrade

    url = get_settings().effective_database_url
    upgrade(url)
    print(f"Database is at revision {current(url)}.")
    return 0


def _cmd_create_user(args: argparse.Namespace) -> int:
    from inbox_app.server.config import get_settings
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.errors import InboxError
    from inbox_app.server.migrate import upgrade
    from inbox_app.server.services.auth import create_user

    password = args.password
    if password == "-":
        password = sys.stdin.readline().rstrip("\n")
    elif password is None:
        password = getpass.getpass(f"Password for {args.name}: ")
    url = get_settings().effective_database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            user = create_user(
                session,
                args.name,
                password,
                is_admin=args.admin,
                firm_name=args.firm,
                display_name=args.display_name or "",
            )
            print(f"Created {user.role} {user.username!r} (id {user.id}).")
    except InboxError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inbox-server", description="Inbox shared backend.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.set_defaults(func=_cmd_serve)
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("init-db", help="create or migrate the database").set_defaults(func=_cmd_init_db)

    create = sub.add_parser("create-user", help="add a user")
    create.add_argument("name")
    create.add_argument("--password", help="the password, or - to read it from standard input")
    create.add_argument("--admin", action="store_true", help="an account admin")
    create.add_argument("--firm", help="the firm's name (needed when there are several)")
    create.add_argument("--display-name")
    create.set_defaults(func=_cmd_create_user)

    number = sub.add_parser(
        "set-firm-number", help="route texts to a number to a firm (and send from it)"
    )
    number.add_argument("firm", help="the firm's name or id")
    number.add_argument("number", help="its carrier number (E.164), or none to give it up")
    number.set_defaults(func=_cmd_set_firm_number)

    sim = sub.add_parser("simulate-inbound", help="post a signed inbound webhook")
    sim.add_argument("--from", dest="from_", required=True, help="sender number")
    sim.add_argument("--to", default=None, help="the firm's number (default INBOX_TWILIO_FROM)")
    sim.add_argument("--body", default="")
    sim.add_argument("--media", action="append", default=[], help="an image file to attach")
    sim.add_argument("--server", default=None, help="server URL (default INBOX_PUBLIC_URL)")
    sim.set_defaults(func=_cmd_simulate_inbound)
    return parser


def main(argv: list[str] | None = None) -> int:
    from inbox_app.server import logs

    logs.configure(logging.INFO)
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
