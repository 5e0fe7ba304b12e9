"""`inbox-app`: the desktop client; `--demo` also runs a private backend with a demo firm.

The only module that composes the server and the window.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inbox-app", description="Inbox desktop client.")
    parser.add_argument("--server", help="the firm's Inbox server, e.g. https://inbox.example.com")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a private backend with a demo firm (simulated carrier) and sign in to it",
    )
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        help="with --demo: save a PNG of the main window once data has loaded, then exit",
    )
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    return parser


async def _wait_for(condition, timeout: float) -> bool:
    import asyncio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


class ScreenshotFailed(Exception):
    """The window's data did not load in time; no (empty) screenshot was saved."""


async def save_screenshot(
    window, path: Path, conversation_id: int | None, timeout: float = 20.0
) -> None:
    """Open a thread (with images when given), wait for messages and thumbnails, save a PNG.

    Raises ScreenshotFailed, writing nothing, when any of those waits times out.
    """
    window.resize(1280, 800)
    if not await _wait_for(lambda: window.list_model.rowCount() > 0, timeout):
        raise ScreenshotFailed(f"the conversation list was still empty after {timeout:g} s")
    if conversation_id is not None and window.list_model.row_of(conversation_id) >= 0:
        window.select_conversation(conversation_id)
    else:
        window.step_thread(1)
    model = window.thread_model
    if not await _wait_for(
        lambda: model.rowCount() > 0 and model.conversation_id is not None, timeout
    ):
        raise ScreenshotFailed(f"the thread's messages did not load within {timeout:g} s")

    # The images in view: which ones depends on the hour (a thread that spans midnight has one
    # more day header, and an early image may sit above the viewport).
    if not await _wait_for(window.message_view.shown_thumbnails_loaded, timeout):
        raise ScreenshotFailed(f"the thread's images did not load within {timeout:g} s")
    import asyncio

    await asyncio.sleep(0.3)  # one more paint with the last thumbnail
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        raise ScreenshotFailed(f"could not write {path}")


def configure_logging() -> None:
    """Warnings from libraries; our own INFO lines too ("signed in as NAME", "main window
    shown", "message sent ID", "notification shown ID"): the e2e tests wait for them."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    for name in ("inbox", "inbox_app"):
        logging.getLogger(name).setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    if args.screenshot and not args.demo:
        print("--screenshot needs --demo", file=sys.stderr)
        return 2
    if args.screenshot and "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from inbox_app.ui.application import make_application, paint_cached_start

    app = make_application([sys.argv[0]])
    # A start with a cached inbox paints it first, before the session, the network and the
    # heavier imports below (issue 15; bench/cold_start.py); the session comes to that window.
    first = None if args.demo else paint_cached_start(args.server)

    from inbox_app.sync.session import SyncClient
    from inbox_app.ui import errors
    from inbox_app.ui.app import Lifecycle, make_loop

    loop = make_loop(app)
    errors.install(loop)
    demo = None
    server_url = args.server
    cache_dir = None
    if args.demo:
        from inbox_app.server.demo import DemoServer

        demo = DemoServer(
            Path(args.data_dir) if args.data_dir else None, play_carrier=not args.screenshot
        )
        demo.start()
        server_url = demo.base_url
        cache_dir = demo.data_dir / "client"
    # The demo never touches the keyring: a real sign-in on this desktop stays as it was.
    sync = SyncClient(server_url, cache_dir=cache_dir, remember=demo is None)

    if os.environ.get("INBOX_E2E") == "1":
        from inbox_app.ui import e2e

        e2e.install(sync)

    async def run() -> int:
        if demo is not None:
            await sync.sign_in(demo.username, demo.password)
        lifecycle = Lifecycle(sync)
        window = await lifecycle.start(first)
        if window is None:
            await sync.close()
            return 0
        if args.screenshot:
            try:
                await save_screenshot(window, Path(args.screenshot), demo.showcase_conversation_id)
            except ScreenshotFailed as exc:
                print(f"inbox-app: no screenshot saved: {exc}", file=sys.stderr)
                return 1
            finally:
                await sync.close()
            return 0
        return await lifecycle.wait()

    try:
        with loop:
            return loop.run_until_complete(run())
    finally:
        if demo is not None:
            demo.stop()


if __name__ == "__main__":
    sys.exit(main())
