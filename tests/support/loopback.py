"""What the loopback stand-ins share: a threaded HTTP/1.1 server on 127.0.0.1, with faults.

``tests/support/standin.py`` (NCBI E-utilities) and ``tests/support/ctgov_standin.py``
(ClinicalTrials.gov API v2) subclass :class:`LoopbackServer`, which runs
``http.server.ThreadingHTTPServer`` in a daemon thread, one thread per connection, speaking
HTTP/1.1 with keep-alive so a client's connection pool is exercised too. It owns everything that
does not depend on the service imitated:

* the lifecycle: :meth:`~LoopbackServer.start`, :meth:`~LoopbackServer.stop` (which also wakes
  handler threads idling on keep-alive connections and requests delayed by a ``slow`` fault),
  use as a context manager, :attr:`~LoopbackServer.port` and :attr:`~LoopbackServer.base_url`;
* the record of requests (:attr:`~LoopbackServer.requests`, :meth:`~LoopbackServer.recorded`,
  :meth:`~LoopbackServer.max_requests_in_window`, :meth:`~LoopbackServer.reset`) and of
  unexpected exceptions inside the stand-in (:attr:`~LoopbackServer.errors`);
* named fault queues, their validation, and the faults served the same way everywhere:
  ``reset`` (the TCP connection aborted, RST, before any answer), ``slow:SECONDS`` (the answer
  delayed), ``drip:SECONDS`` (the headers at once, then the body one byte every SECONDS),
  ``drip-head:SECONDS`` (the status line, then the headers one byte every SECONDS),
  ``redirect:STATUS:URL`` (a 301/302/303/307/308 to URL instead of the answer),
  ``500``/``502``/``503``/``html200`` (the subclass's HTML pages) and a rate limit;
* sending a reply, an exception while answering becoming HTTP 500;
* :class:`PlainServer`, a stand-in for no service at all: it records every request and
  answers ``ok``, for tests of the HTTP client itself (deadlines, redirects, rate limits).

A subclass sets :attr:`~LoopbackServer.name`, :attr:`~LoopbackServer.base_path`,
:attr:`~LoopbackServer.known_faults`, :attr:`~LoopbackServer.status_pages` and
:attr:`~LoopbackServer.html200_page`, and implements ``_handle(handler, method)``: parse the
request, record it with a fault taken from a queue, then :meth:`~LoopbackServer._serve` it.
Nothing here imitates a real service: what is copied from NCBI or ClinicalTrials.gov, and what
is invented, is told in each stand-in's docstring.
"""

from __future__ import annotations

import re
import socket
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

__all__ = [
    "COMMON_FAULTS",
    "HTML",
    "TEXT",
    "Handler",
    "LoopbackServer",
    "PlainServer",
    "Reply",
    "max_in_window",
    "merge_params",
]

HTML = "text/html; charset=UTF-8"
TEXT = "text/plain; charset=UTF-8"
#: Fault names every stand-in accepts, meaning the same thing in each: ``429`` (rate limited),
#: ``429-retry-after`` (with ``Retry-After: 1``), ``500``, ``502`` and ``503`` (an HTML error
#: page), ``html200`` (an HTML page with status 200), ``truncated`` (the body cut short) and
#: ``reset`` (the TCP connection aborted before any answer). ``slow:SECONDS``,
#: ``drip:SECONDS``, ``drip-head:SECONDS`` and ``redirect:STATUS:URL`` are accepted too.
COMMON_FAULTS = frozenset(
    {"429", "429-retry-after", "500", "502", "503", "html200", "truncated", "reset"}
)


@dataclass
class Reply:
    """What a stand-in answers: status, body, ``Content-Type`` and other headers."""

    status: int
    body: bytes
    content_type: str = TEXT
    headers: dict[str, str] = field(default_factory=dict)


class Record(Protocol):
    """What the server needs of a stand-in's recorded request."""

    time: float  # time.monotonic() when the request line and headers had arrived
    fault: str | None
    status: int | None


R = TypeVar("R", bound=Record)


class Handler(BaseHTTPRequestHandler):
    """One connection: notes each request's arrival time and hands it to the stand-in."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection's thread ends after this many seconds
    server: Server
    arrival: float

    def setup(self) -> None:
        super().setup()
        self.server_version = self.server.standin.name
        self.server.standin._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track(self.connection, add=False)

    def parse_request(self) -> bool:
        self.arrival = time.monotonic()
        return super().parse_request()

    def do_GET(self) -> None:
        self.server.standin._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.standin._handle(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], standin: LoopbackServer[Any]) -> None:
        self.standin = standin
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # the client went away (timeouts, resets): expected
            return
        self.standin.errors.append(traceback.format_exc())


class LoopbackServer(Generic[R]):
    """A stand-in HTTP server on a loopback address, with fault queues named ``queues``.

    :attr:`requests` holds every request received, recorded on arrival (before it is answered);
    :attr:`errors` holds the tracebacks of unexpected exceptions inside the stand-in.
    """

    #: The server thread's name and the ``Server`` header's product.
    name: ClassVar[str] = "loopback-standin"
    #: The path :attr:`base_url` ends with.
    base_path: ClassVar[str] = "/"
    #: The fault names the queues accept (besides ``"slow:SECONDS"``).
    known_faults: ClassVar[frozenset[str]] = frozenset()
    #: The HTML bodies of the ``500``, ``502`` and ``503`` faults, by status.
    status_pages: ClassVar[Mapping[int, bytes]] = {}
    #: The HTML body of the ``html200`` fault.
    html200_page: ClassVar[bytes] = b""

    def __init__(self, host: str, port: int, queues: Iterable[str]) -> None:
        self._host = host
        self._port = port
        self.requests: list[R] = []
        self.errors: list[str] = []  # tracebacks of unexpected exceptions inside the stand-in
        self._lock = threading.RLock()
        self._faults: dict[str, deque[str]] = {queue: deque() for queue in queues}
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        self._server = Server((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes "slow" handlers
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # wake handler threads waiting on idle keep-alive connections
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}{self.base_path}"

    # -- test controls ---------------------------------------------------------------------

    def reset(self) -> None:
        """Forget recorded requests, queued faults and errors."""
        with self._lock:
            self.requests.clear()
            self.errors.clear()
            for queue in self._faults.values():
                queue.clear()

    def recorded(self) -> list[R]:
        """A snapshot of the recorded requests."""
        with self._lock:
            return list(self.requests)

    def max_requests_in_window(self, window: float = 1.0) -> int:
        """The most requests whose arrival times fall within any half-open window of that length.

        Requests exactly ``window`` apart are in different windows.
        """
        return max_in_window((r.time for r in self.recorded()), window)

    # -- fault queues ----------------------------------------------------------------------

    def _check_fault(self, queue: str, fault: str) -> None:
        """Raise ValueError unless ``fault`` may be queued on ``queue``."""
        kind = fault.split(":", 1)[0]
        if kind in _TIMED_FAULTS:
            if _seconds_of(fault) < 0:
                raise ValueError(f"bad fault {fault!r}: want '{kind}:SECONDS'")
        elif kind == "redirect":
            if not _REDIRECT.fullmatch(fault):
                raise ValueError(f"bad fault {fault!r}: want 'redirect:STATUS:URL', STATUS 30x")
        elif fault not in self.known_faults:
            known = sorted(self.known_faults)
            raise ValueError(f"unknown fault {fault!r}; known: {known} and {_PATTERNS}")

    def _enqueue(self, queue: str, faults: Iterable[str]) -> None:
        """Check every fault, then append them all to ``queue``."""
        faults = list(faults)
        for fault in faults:
            self._check_fault(queue, fault)
        with self._lock:
            self._faults[queue].extend(faults)

    def _pending(self, queue: str) -> list[str]:
        with self._lock:
            return list(self._faults[queue])

    def _take_fault(self, *queues: str) -> str | None:
        """The next fault of the first of ``queues`` that has one, taken off it; else None."""
        with self._lock:
            for queue in queues:
                if self._faults[queue]:
                    return self._faults[queue].popleft()
        return None

    # -- request handling ------------------------------------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _handle(self, handler: Handler, method: str) -> None:
        """Parse, record and answer one request (a subclass's job)."""
        raise NotImplementedError

    def _admit(
        self,
        handler: Handler,
        record: R,
        answer: Callable[[str | None], Reply],
        *,
        fault_queue: str | None,
        max_per_second: int | None,
    ) -> None:
        """Record a request (its fault taken from ``fault_queue``, when given), then serve it;
        past ``max_per_second`` requests in the last second it is answered as rate-limited."""
        with self._lock:
            if fault_queue is not None:
                record.fault = self._take_fault(fault_queue)
            recent = sum(1 for r in self.requests if record.time - r.time < 1.0)
            self.requests.append(record)
        over = max_per_second is not None and recent >= max_per_second
        self._serve(handler, record, answer, over_limit=over)

    def _serve(
        self,
        handler: Handler,
        record: R,
        answer: Callable[[str | None], Reply],
        *,
        over_limit: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Serve a recorded request: its ``reset`` or ``slow`` fault, then ``answer(fault)``.

        ``over_limit`` (the caller's rate limit is exceeded) turns a request without a fault (or
        with ``ok``) into one with the ``rate-limit`` fault. ``headers`` are added to the reply
        where it lacks them. An exception raised by ``answer`` is kept in :attr:`errors` and
        answered with a 500.
        """
        fault = record.fault
        if fault == "reset":
            _reset_connection(handler)
            return
        if fault is not None and fault.startswith("slow:"):
            self._stopping.wait(_seconds_of(fault))
        if over_limit and fault in (None, "ok"):
            record.fault = fault = "rate-limit"
        reply = _redirect_reply(fault) or self._answer_safely(answer, fault)
        for name, value in (headers or {}).items():
            reply.headers.setdefault(name, value)
        record.status = reply.status
        self._send(handler, reply, fault)

    def _send(self, handler: Handler, reply: Reply, fault: str | None) -> None:
        """Send ``reply`` whole, or dripping its head or body for a ``drip`` fault."""
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        kind, _, seconds = (fault or "").partition(":")
        if kind == "drip-head":
            head = _buffered_head(handler)
            self._drip(handler, head + reply.body, float(seconds), start=head.index(b"\r\n") + 2)
            return
        handler.end_headers()
        if kind == "drip":
            self._drip(handler, reply.body, float(seconds))
        else:
            handler.wfile.write(reply.body)

    def _answer_safely(self, answer: Callable[[str | None], Reply], fault: str | None) -> Reply:
        """``answer(fault)``; an exception in it kept in :attr:`errors` and answered 500."""
        try:
            return answer(fault)
        except Exception:
            self.errors.append(traceback.format_exc())
            message = f"stand-in error: see {type(self).__name__}.errors\n"
            return Reply(500, message.encode(), TEXT)

    def _drip(self, handler: Handler, data: bytes, seconds: float, start: int = 0) -> None:
        """Send ``data[:start]`` at once, then a byte every ``seconds`` until the client leaves.

        Every byte comes well within any per-read timeout, so only a deadline on the whole
        request ends it. A client that gives up makes the next write fail (an OSError the
        server ignores); :meth:`stop` ends the drip too.
        """
        handler.close_connection = True
        handler.wfile.write(data[:start])
        for offset in range(start, len(data)):
            if self._stopping.wait(seconds):
                return
            handler.wfile.write(data[offset : offset + 1])

    def _page_fault(self, fault: str | None) -> Reply | None:
        """The reply to a ``500``, ``502``, ``503`` or ``html200`` fault; None for any other."""
        if fault in ("500", "502", "503"):
            return Reply(int(fault), self.status_pages[int(fault)], HTML)
        if fault == "html200":
            return Reply(200, self.html200_page, HTML)
        return None


# -- a stand-in for no service in particular ------------------------------------------------


@dataclass
class PlainRequest:
    """One request :class:`PlainServer` received, recorded on arrival."""

    time: float  # time.monotonic() when the request line and headers had arrived
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    fault: str | None = None
    status: int | None = None


class PlainServer(LoopbackServer[PlainRequest]):
    """Records every request (method, path, body, headers) and answers ``body``, status 200.

    Faults go on the one queue ``"*"`` (:meth:`inject`); besides the patterned ones
    (``slow:``, ``drip:``, ``drip-head:``, ``redirect:``) it knows ``reset``, ``500``, ``502``,
    ``503`` and ``html200``, served as invented, minimal pages.
    """

    name = "plain-standin"
    known_faults = frozenset({"reset", "500", "502", "503", "html200"})
    status_pages = {
        status: f"<html><body><h1>{status}</h1></body></html>\n".encode()
        for status in (500, 502, 503)
    }
    html200_page = b"<html><body><h1>Maintenance</h1></body></html>\n"

    def __init__(self, body: bytes = b"ok\n", host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port, queues=["*"])
        self.body = body

    def inject(self, *faults: str) -> None:
        """Serve these faults to the next requests, one each, in order."""
        self._enqueue("*", faults)

    def _handle(self, handler: Handler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        record = PlainRequest(
            time=handler.arrival,
            method=method,
            path=handler.path,
            body=handler.rfile.read(length) if length > 0 else b"",
            headers=dict(handler.headers.items()),
            fault=self._take_fault("*"),
        )
        with self._lock:
            self.requests.append(record)
        self._serve(handler, record, self._answer)

    def _answer(self, fault: str | None) -> Reply:
        return self._page_fault(fault) or Reply(200, self.body, TEXT)


# -- helpers ---------------------------------------------------------------------------------


def merge_params(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Request parameters as a dict; a repeated key's values are joined by ","."""
    params: dict[str, str] = {}
    for key, value in pairs:
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def max_in_window(times: Iterable[float], window: float) -> int:
    """The most of ``times`` that fall within any half-open window of length ``window``."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


_TIMED_FAULTS = frozenset({"slow", "drip", "drip-head"})
_PATTERNS = "'slow:SECONDS', 'drip:SECONDS', 'drip-head:SECONDS', 'redirect:STATUS:URL'"
_REDIRECT = re.compile(r"redirect:(301|302|303|307|308):(\S+)")


def _seconds_of(fault: str) -> float:
    """The SECONDS of a ``kind:SECONDS`` fault; -1 when it is not a number."""
    try:
        seconds = float(fault.split(":", 1)[1])
    except (IndexError, ValueError):
        return -1.0
    return seconds if seconds >= 0 else -1.0


def _redirect_reply(fault: str | None) -> Reply | None:
    """The reply to a ``redirect:STATUS:URL`` fault (Location: URL, no body); else None."""
    match = _REDIRECT.fullmatch(fault or "")
    if match is None:
        return None
    return Reply(int(match[1]), b"", TEXT, {"Location": match[2]})


def _buffered_head(handler: Handler) -> bytes:
    """The status line and headers ``send_response``/``send_header`` buffered, taken unsent.

    ``BaseHTTPRequestHandler`` keeps them in ``_headers_buffer`` until ``end_headers``; a
    ``drip-head`` fault sends them itself, a byte at a time.
    """
    head = b"".join(handler._headers_buffer) + b"\r\n"
    handler._headers_buffer = []
    return head


def _reset_connection(handler: Handler) -> None:
    """Abort the TCP connection: SO_LINGER 0 makes close() send RST instead of FIN."""
    conn = handler.connection
    handler.close_connection = True
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.rfile.close()  # drop the makefile reference so close() really closes the fd
        conn.close()
    except OSError:
        pass
