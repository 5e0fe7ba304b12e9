"""The e2e tests' stand-in for the desktop's web browser (`xdg-open URL`).

The driver puts an `xdg-open` that runs this script first on the app's PATH (tests/e2e/driver.py),
so whatever the app opens through QDesktopServices (Qt runs `xdg-open URL` on X11) comes here:
the process boundary a real browser sits at. No app code knows about it.

Like a browser, it loads the page and follows its redirects (Stripe's card page sends the
cardholder back to the server's "card added" page), but only on 127.0.0.1: tests never reach
anything else. Each URL opened is one JSON line appended to the file named by the environment
variable E2E_BROWSER_LOG: {url, final_url, status, text} (`text` is the last page's
body, without its markup).
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit


def visit(url: str) -> dict:
    record = {"url": url, "final_url": None, "status": None, "text": ""}
    if urlsplit(url).hostname != "127.0.0.1":
        record["text"] = "not loaded: only 127.0.0.1 in tests"
        return record
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # loopback only (visit)
            record["status"], record["final_url"] = response.status, response.url
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        record["status"], record["final_url"] = exc.code, exc.url
        body = exc.read().decode("utf-8", "replace")
    except OSError as exc:
        record["text"] = f"not loaded: {exc}"
        return record
    record["text"] = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return record


def main(argv: list[str]) -> int:
    log = os.environ.get("E2E_BROWSER_LOG")
    for url in argv:
        record = visit(url)
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
