"""Errors the client layer raises: the server's own sentence, or "cannot reach the server"."""

from __future__ import annotations


class ApiError(Exception):
    """A call the server answered with an error; `detail` is its sentence a person can act on."""

    def __init__(self, status: int, detail: str, code: str = "error") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.detail!r}, {self.code!r})"


class Unreachable(ApiError):
    """The server could not be reached (connection refused, timeout, dropped connection)."""

    def __init__(self, detail: str = "The server cannot be reached.") -> None:
        super().__init__(0, detail, "unreachable")
