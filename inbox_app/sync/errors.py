"""Errors the client layer raises: the server's own sentence, or "cannot reach the server"."""

from __future__ import annotations


class ApiError(Exception):
    """A call the server answered with an error; `detail` is its sentence a person can act on."""

    def __init__(
        self,
        status: int,
        detail: str,
        code: str = "error",
        fields: dict[str, str] | None = None,
        info: dict | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        # The request fields the server named ("name: must not be blank"), for forms to show
        # each sentence at its own field.
        self.fields = fields or {}
        # The answer's other values beside detail and code (a 409 recent_reply: sent_by, …).
        self.info = info or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.detail!r}, {self.code!r})"


class Unreachable(ApiError):
    """The server could not be reached (connection refused, timeout, dropped connection)."""

    def __init__(self, detail: str = "The server cannot be reached.") -> None:
        super().__init__(0, detail, "unreachable")
