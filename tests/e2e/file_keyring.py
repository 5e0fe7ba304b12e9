"""A keyring for the end-to-end app processes: a JSON file in the process's HOME.

The e2e display has no Secret Service, so the real app remembers no session there. A test
that restarts the app signed in (the start from the cache) runs it with
`PYTHON_KEYRING_BACKEND=tests.e2e.file_keyring.FileKeyring` (`AppProcess(..., keyring=True)`),
which keyring loads in place of the system's backend. Test-only: it keeps the token in clear.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    @property
    def path(self) -> Path:
        return Path(os.environ["HOME"]) / "e2e-keyring.json"

    def _entries(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._entries()
        entries[f"{service}/{username}"] = password
        self.path.write_text(json.dumps(entries))

    def delete_password(self, service: str, username: str) -> None:
        entries = self._entries()
        if entries.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self.path.write_text(json.dumps(entries))
