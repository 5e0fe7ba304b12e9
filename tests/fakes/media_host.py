"""A carrier media host on 127.0.0.1: serves registered bytes, asks for auth, fails, redirects."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/octet-stream"
    location: str | None = None
    # (username, password) the request must carry as HTTP basic auth.
    auth: tuple[str, str] | None = None
    # Send without Content-Length, so only counting the bytes can enforce a size cap.
    chunked: bool = False
    # Seconds between single bytes of the body (a host that drips), or None for all at once.
    drip: float | None = None


@dataclass
class Seen:
    path: str
    authorization: str | None


@dataclass
class MediaHost:
    """Start with `with MediaHost() as host:`; `host.url("/a.jpg")` is the link to hand out."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        host = self
        self.closing = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host.requests.append(Seen(self.path, self.headers.get("Authorization")))
                route = host.routes.get(self.path)
                if route is None:
                    self._answer(404, b"not found", "text/plain")
                    return
                if route.auth is not None and self.headers.get("Authorization") != _basic(
                    *route.auth
                ):
                    self._answer(401, b"authenticate", "text/plain")
                    return
                if route.location is not None:
                    self.send_response(route.status)
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.drip is not None:
                    self._drip(route)
                    return
                self._answer(route.status, route.body, route.content_type, route.chunked)

            def _drip(self, route: Route) -> None:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    for n in range(len(route.body)):
                        if host.closing.wait(route.drip):
                            return
                        self.wfile.write(route.body[n : n + 1])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up: what a deadline does

            def _answer(
                self, status: int, body: bytes, content_type: str, chunked: bool = False
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if not chunked:
                        self.wfile.write(body)
                        return
                    for start in range(0, len(body), 256 * 1024):
                        piece = body[start : start + 256 * 1024]
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a size cap does

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> MediaHost:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(self, path: str, body: bytes, content_type: str = "image/jpeg", **kw) -> str:
        self.routes[path] = Route(body=body, content_type=content_type, **kw)
        return self.url(path)

    def fail(self, path: str, status: int) -> str:
        self.routes[path] = Route(status=status, body=b"error", content_type="text/plain")
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = Route(status=status, location=location)
        return self.url(path)

    def paths_requested(self) -> list[str]:
        return [seen.path for seen in self.requests]


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
