"""The dev server's HTTP side: serve the in-memory site, push reloads over Server-Sent Events.

The site is a ``path → bytes`` plan held in one immutable :class:`Snapshot`; a rebuild swaps the
reference and only then wakes the event streams, so a browser told to reload always fetches the
new bytes. Nothing is read from the disk to answer a request: a URL is decoded once, checked
segment by segment, and looked up as a key of the plan, whose keys ``write.check_plan_paths``
already proved safe. ``..``, encoded slashes, backslashes, NUL, absolute paths and symlinks
therefore have nothing to reach; they get a 404 like any other unknown key.

HTML responses get one ``<script src="/__docs-build/livereload.js">`` tag at serve time (the
built site itself never contains it). The script listens on ``/__docs-build/events``: every
event carries the output paths changed since the page's own generation and the current errors,
so it reloads only the pages that changed and shows or clears the error overlay.
"""

from __future__ import annotations

import errno
import json
import mimetypes
import secrets
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from .errors import Problem, UsageError
from .templates import BUILTIN_DIR

PREFIX = "/__docs-build/"
#: Files the dev server adds; never part of the built site.
DEV_ASSETS = {
    "livereload.js": "text/javascript; charset=utf-8",
    "livereload.css": "text/css; charset=utf-8",
}
#: Seconds between keep-alive comments on an idle event stream (also how fast a dead one is noticed).
KEEPALIVE_S = 15.0
#: How many rebuilds a reconnecting page may have missed before it is told to reload anyway.
HISTORY = 512

mimetypes.add_type("text/markdown", ".md")


@dataclass(frozen=True)
class Snapshot:
    """The site being served: last good plan, current errors, and a generation number."""

    plan: Mapping[str, bytes] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    generation: int = 0


class SiteState:
    """Shared between the build thread (which publishes) and request threads (which read)."""

    def __init__(self) -> None:
        self.server_id = secrets.token_hex(6)
        self.snapshot = Snapshot()
        self._history: list[tuple[int, frozenset[str]]] = []
        self._cond = threading.Condition()
        self.closing = False

    def publish(self, plan: Mapping[str, bytes], changed: frozenset[str], problems: list[Problem]) -> None:
        """Swap in a new snapshot, then wake every event stream (the order is the guarantee)."""
        errors = tuple(p for p in problems if p.is_error)
        old = self.snapshot
        if plan is old.plan and not changed and errors == old.problems and old.generation:
            return
        with self._cond:
            generation = old.generation + 1
            self._history.append((generation, changed))
            del self._history[:-HISTORY]
            self.snapshot = Snapshot(plan, errors, generation)
            self._cond.notify_all()

    def changed_since(self, generation: int) -> frozenset[str] | None:
        """Output paths changed after ``generation``; None when that is too old to know."""
        with self._cond:
            if generation > self.snapshot.generation:
                return None
            if generation == self.snapshot.generation:
                return frozenset()
            if not self._history or self._history[0][0] > generation + 1:
                return None
            return frozenset().union(*(paths for gen, paths in self._history if gen > generation))

    def wait_newer(self, generation: int, timeout: float) -> Snapshot | None:
        """The snapshot once it is newer than ``generation``; None on timeout or shutdown."""
        with self._cond:
            self._cond.wait_for(lambda: self.closing or self.snapshot.generation > generation, timeout)
            snap = self.snapshot
        return None if self.closing or snap.generation <= generation else snap

    def close(self) -> None:
        """Release every waiting event stream."""
        with self._cond:
            self.closing = True
            self._cond.notify_all()


def site_key(target: str) -> str | None:
    """The plan key a request target names, or None when it could name nothing safe.

    Rejected before any lookup: targets that are not origin-form (``/...``), backslashes and
    NUL (raw or percent-encoded), undecodable percent-escapes, and empty, ``.`` or ``..``
    segments after decoding (which covers ``%2e%2e``, ``%2f`` and ``//absolute``).
    """
    path = _path_of(target)
    if not path.startswith("/") or "\\" in path or "\0" in path:
        return None
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in decoded or "\0" in decoded:
        return None
    parts = decoded[1:].split("/")
    is_dir = parts[-1] == ""
    if is_dir:
        parts = parts[:-1]
    if any(part in ("", ".", "..") for part in parts):
        return None
    key = "/".join(parts)
    return f"{key}/index.html" if is_dir and key else "index.html" if is_dir else key


def _path_of(target: str) -> str:
    """The path part of a request target; never ``urlsplit``, which reads ``//x/y`` as a host."""
    return target.split("?", 1)[0].split("#", 1)[0]


def inject(html: bytes, state: SiteState, generation: int) -> bytes:
    """Add the live-reload script tag, naming the generation this page was served from."""
    tag = (
        f'<script src="{PREFIX}livereload.js" data-server="{state.server_id}" '
        f'data-generation="{generation}" defer></script>'
    ).encode()
    head = html.find(b"</head>")
    if head == -1:
        return html + tag
    return html[:head] + tag + html[head:]


def problem_json(problem: Problem) -> dict[str, Any]:
    """The overlay's view of a problem: the same text ``build`` prints, plus its parts."""
    return {
        **problem.as_dict(),
        "location": str(problem.location),
        "source_line": problem.source_line,
        "text": problem.format(),
    }


_WAITING_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>docs-build: waiting for a good build</title></head>
<body><h1>No good build yet</h1><p>Fix the errors shown in the terminal; this page reloads itself.</p></body>
</html>
"""


class Handler(BaseHTTPRequestHandler):
    """Answers GET and HEAD from the current snapshot; everything else is 405."""

    server: DevHTTPServer
    server_version = "docs-build"
    disable_nagle_algorithm = True  # headers and body are two writes; no 40 ms delayed-ACK stall
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for build messages; ``--debug`` shows requests."""
        if self.server.debug:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        if self.path.startswith(PREFIX):
            self._dev(head)
            return
        state = self.server.state
        snap = state.snapshot
        key = site_key(self.path)
        if key is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head)
            return
        body = snap.plan.get(key)
        if body is None:
            self._missing(key, snap, head)
            return
        ctype = _content_type(key)
        if ctype.startswith("text/html"):
            body = inject(body, state, snap.generation)
        self._send(HTTPStatus.OK, body, ctype, head)

    def _missing(self, key: str, snap: Snapshot, head: bool) -> None:
        if f"{key}/index.html" in snap.plan:
            location = _path_of(self.path) + "/"
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not snap.plan and key.endswith((".html", "index.html")):
            # No good build yet: a page that shows the overlay and reloads once the site exists.
            page = inject(_WAITING_PAGE, self.server.state, snap.generation)
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, page, "text/html; charset=utf-8", head)
            return
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head)

    def _dev(self, head: bool) -> None:
        name = _path_of(self.path)[len(PREFIX) :]
        if name == "events" and not head:
            self._events(parse_qs(self.path.partition("?")[2]))
            return
        if name in DEV_ASSETS:
            body = (BUILTIN_DIR / "assets" / name).read_bytes()
            self._send(HTTPStatus.OK, body, DEV_ASSETS[name], head)
            return
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head)

    def _send(self, status: HTTPStatus, body: bytes, ctype: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, query: dict[str, list[str]]) -> None:
        """One Server-Sent Events stream; the first event says what changed since the page."""
        state = self.server.state
        since = _int(query.get("since", ["0"])[0])
        same_server = query.get("server", [""])[0] == state.server_id
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        snap = state.snapshot
        changed = state.changed_since(since) if same_server else None
        try:
            self._event(snap, changed)
            while True:
                newer = state.wait_newer(snap.generation, KEEPALIVE_S)
                if state.closing:
                    return
                if newer is None:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    continue
                changed = state.changed_since(snap.generation)
                snap = newer
                self._event(snap, changed)
        except OSError:  # the tab was closed or the connection dropped
            return

    def _event(self, snap: Snapshot, changed: frozenset[str] | None) -> None:
        data = {
            "server": self.server.state.server_id,
            "generation": snap.generation,
            "changed": "*" if changed is None else sorted(changed),
            "problems": [problem_json(p) for p in snap.problems],
        }
        payload = json.dumps(data, ensure_ascii=True)
        self.wfile.write(f"id: {snap.generation}\nevent: build\ndata: {payload}\n\n".encode())
        self.wfile.flush()


def _int(text: str) -> int:
    try:
        return max(int(text), 0)
    except ValueError:
        return 0


def _content_type(key: str) -> str:
    guessed, _enc = mimetypes.guess_type(key, strict=False)
    ctype = guessed or "application/octet-stream"
    if ctype.startswith("text/") or ctype in ("application/json", "application/javascript", "image/svg+xml"):
        ctype += "; charset=utf-8"
    return ctype


class DevHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one address (IPv4 or IPv6) serving a :class:`SiteState`."""

    daemon_threads = True

    def __init__(self, host: str, port: int, state: SiteState, *, debug: bool = False) -> None:
        self.state = state
        self.debug = debug
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            super().__init__((host, port), Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"port {port} on {host} is already in use; pick another with --port (0 picks a free one)"
                ) from None
            raise

    @property
    def url(self) -> str:
        """The address to open: loopback when bound to every interface, brackets for IPv6."""
        raw_host, port = self.server_address[0], self.server_address[1]
        host = raw_host.decode() if isinstance(raw_host, bytes) else raw_host
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def all_interfaces(host: str) -> bool:
    """True when ``host`` makes the server reachable from other machines."""
    return host in ("", "0.0.0.0", "::", "[::]", "*")


def dev_asset_path(name: str) -> Path:
    """Where a dev-only asset lives (for tests and packaging checks)."""
    return BUILTIN_DIR / "assets" / name
