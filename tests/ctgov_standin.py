"""A loopback stand-in for the ClinicalTrials.gov API v2 study search, with faults.

Tests start it so the real HTTP stack (requests, urllib3, sockets) is exercised end to end::

    with CtgovStandIn(studies, match=lambda params, study: ...) as ctgov:
        client = CtgovClient(ctgov.base_url, ...)
        ctgov.inject("ok", "500", "truncated")   # request 2 gets a 500, request 3 is cut short
        ...
        assert ctgov.max_requests_in_window(1.0) <= 1

It serves ``GET /api/v2/studies``; every other path is a 404 and every other method a 405. It
binds to 127.0.0.1 and runs ``http.server.ThreadingHTTPServer`` in a daemon thread, one thread
per connection, HTTP/1.1 with keep-alive, like ``tests/standin.py`` (the E-utilities stand-in),
whose fault names it shares where they mean the same thing.

What is copied from ClinicalTrials.gov, and from where:

* Paging, from the API's OpenAPI description ("ClinicalTrials.gov REST API" 2.0.5, operation
  ``listStudies``, as published in public copies of ``ctg-oas-v2.yaml`` and in clients
  generated from it, e.g. everygene/clinicaltrials-python ``docs/StudiesApi.md`` and
  ``docs/PagedStudies.md``): the answer is ``{"totalCount", "studies", "nextPageToken"}``;
  ``totalCount`` only "with first page, if" ``countTotal=true`` and "ignored for the subsequent
  pages"; "the last page will not contain `nextPageToken`. A page may have empty `studies`
  array"; "request for each subsequent page **must** have the same parameters as for the first
  page, except `countTotal`, `pageSize`, and `pageToken`"; ``pageSize`` "if not specified or set
  to 0, the default value [10] will be used. It will be coerced down to 1,000, if greater".
  ``format`` is ``json`` (default) or ``csv``.
* When a token is minted: the service "mints one whenever a page fills to `pageSize`, without
  look-ahead", so a result that fills its last page exactly ends with an empty page (observed
  live and reported in cyanheads/clinicaltrialsgov-mcp-server issue #122). ``lookahead=True``
  serves the other behaviour.
* Rejections are HTTP 400 with a ``text/plain`` message (the spec's ``errorMessage``); query
  errors start ``Error parsing query in ...`` (the prefix third-party clients match on,
  cyanheads/clinicaltrialsgov-mcp-server ``clinical-trials-service.ts``).

Invented here (no recording found; ``shared/fixtures/ctgov`` holds study objects only, and its
PROVENANCE.md lists a real page envelope as looked for and not found): the page tokens (random
opaque strings), the wording of the 400s for a bad ``pageSize``, ``countTotal`` or
``pageToken`` and for a token reused with other parameters, the 400 for ``format=csv`` (a
stand-in restriction: the project's client must ask for JSON), the 429 body (plain text) and
its ``Retry-After``, the HTML bodies of the 5xx and ``html200`` faults, and the 404/405 pages.
The ``Content-Type`` of a page is ``application/json``.

Faults (:meth:`CtgovStandIn.inject`), one per request, in order: ``429``, ``429-retry-after``
(with ``Retry-After: 1``), ``500``, ``502``, ``503``, ``html200`` (an HTML page with status
200), ``truncated`` (the JSON page cut in half), ``no-studies`` (a 200 JSON object without
``studies``), ``reset`` (the TCP connection aborted before any answer), ``slow:SECONDS`` (the
answer delayed), and ``ok`` (served normally: a placeholder so a fault can hit a later page).
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FAULTS", "CtgovStandIn", "RecordedRequest", "StandInQueryError"]

STUDIES_PATH = "/api/v2/studies"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
#: Parameters that may change between the pages of one search (all others must not).
PAGING_PARAMS = frozenset({"countTotal", "pageSize", "pageToken"})
#: Fault names accepted by :meth:`CtgovStandIn.inject` (plus ``"slow:SECONDS"``).
FAULTS = frozenset(
    {
        "ok",
        "429",
        "429-retry-after",
        "500",
        "502",
        "503",
        "html200",
        "truncated",
        "no-studies",
        "reset",
    }
)

_JSON = "application/json"
_HTML = "text/html; charset=UTF-8"
_TEXT = "text/plain; charset=UTF-8"
_STATUS_PAGES = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}
_HTML200_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    b"<title>ClinicalTrials.gov</title></head>\n<body>\n<h1>Maintenance</h1>\n"
    b"<p>ClinicalTrials.gov is temporarily unavailable. Please try again later.</p>\n"
    b"</body></html>\n"
)

Match = Callable[[Mapping[str, str], Mapping], bool]


class StandInQueryError(Exception):
    """Raised by the ``match`` callable to make the search answer 400 with this message."""


@dataclass
class RecordedRequest:
    """One request the stand-in received (recorded on arrival, before it is answered)."""

    time: float  # time.monotonic() when the request line and headers had arrived
    method: str
    path: str
    params: dict[str, str]  # query string; repeated keys joined by ","
    fault: str | None = None  # the injected fault served, if any ("rate-limit" if enforced)
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # set once answered; stays None for "reset"


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = _JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Cursor:
    signature: tuple[tuple[str, str], ...]  # the search's parameters, paging ones left out
    offset: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ctgov-standin"
    timeout = 30  # an idle keep-alive connection's thread ends after this many seconds
    server: _Server
    _arrival: float

    def setup(self) -> None:
        super().setup()
        self.server.standin._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track(self.connection, add=False)

    def parse_request(self) -> bool:
        self._arrival = time.monotonic()
        return super().parse_request()

    def do_GET(self) -> None:
        self.server.standin._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.standin._handle(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], standin: CtgovStandIn) -> None:
        self.standin = standin
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # the client went away (timeouts, resets): expected
            return
        self.standin.errors.append(traceback.format_exc())


class CtgovStandIn:
    """A loopback ``/api/v2/studies`` answering from given API v2 study objects.

    ``studies`` are served in the order given (the API does not sort unless asked); each
    request filters them again with ``match(params, study)`` (default: every study), so a test
    may change ``self.studies`` between pages as the registry can. ``params`` are the request's
    query parameters (``query.cond``, ``query.intr``, ...); ``match`` may raise
    :class:`StandInQueryError` to answer 400. ``total_delta`` is added to the ``totalCount``
    reported (to test a client's count check). ``max_per_second`` answers 429 when more than
    that many requests arrive within one second. Exceptions raised by ``match`` other than
    :class:`StandInQueryError` become HTTP 500 and are kept in :attr:`errors`.
    """

    def __init__(
        self,
        studies: Sequence[Mapping],
        *,
        match: Match | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        lookahead: bool = False,
        total_delta: int = 0,
        max_per_second: int | None = None,
    ) -> None:
        self.studies: list[Mapping] = list(studies)
        self._match = match
        self._host = host
        self._port = port
        self.lookahead = lookahead
        self.total_delta = total_delta
        self.max_per_second = max_per_second
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []  # tracebacks of unexpected exceptions inside the stand-in
        self._lock = threading.Lock()
        self._faults: deque[str] = deque()
        self._cursors: dict[str, _Cursor] = {}
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> CtgovStandIn:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        self._server = _Server((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ctgov-standin",
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

    def __enter__(self) -> CtgovStandIn:
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
        return f"http://{self._host}:{self.port}/api/v2/"

    # -- test controls ---------------------------------------------------------------------

    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests to ``/api/v2/studies``, one per request."""
        for fault in faults:
            _check_fault(fault)
        with self._lock:
            self._faults.extend(faults)

    def pending_faults(self) -> list[str]:
        with self._lock:
            return list(self._faults)

    def reset(self) -> None:
        """Forget recorded requests, queued faults and errors (page tokens are kept)."""
        with self._lock:
            self.requests.clear()
            self.errors.clear()
            self._faults.clear()

    def recorded(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self.requests)

    def max_requests_in_window(self, window: float = 1.0) -> int:
        """The most requests whose arrival times fall within any half-open window of that length.

        Requests exactly ``window`` apart are in different windows.
        """
        times = sorted(r.time for r in self.recorded())
        best = start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    # -- request handling ------------------------------------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _handle(self, handler: _Handler, method: str) -> None:
        url = urlsplit(handler.path)
        params: dict[str, str] = {}
        for key, value in parse_qsl(url.query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        length = int(handler.headers.get("Content-Length") or 0)
        if length > 0:
            handler.rfile.read(length)
        is_search = url.path == STUDIES_PATH and method == "GET"
        record = RecordedRequest(
            time=handler._arrival,
            method=method,
            path=handler.path,
            params=params,
            headers=dict(handler.headers.items()),
        )
        with self._lock:
            if is_search and self._faults:
                record.fault = self._faults.popleft()
            recent = sum(1 for r in self.requests if record.time - r.time < 1.0)
            self.requests.append(record)
        fault = record.fault
        if fault == "reset":
            _reset_connection(handler)
            return
        if fault is not None and fault.startswith("slow:"):
            self._stopping.wait(float(fault.split(":", 1)[1]))
        if fault in (None, "ok") and self.max_per_second is not None and is_search:
            if recent >= self.max_per_second:
                record.fault = fault = "rate-limit"
        try:
            reply = self._answer(url.path, method, params, fault)
        except Exception:
            self.errors.append(traceback.format_exc())
            reply = _Reply(500, b"stand-in error: see CtgovStandIn.errors\n", _TEXT)
        record.status = reply.status
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(reply.body)

    def _answer(self, path: str, method: str, params: dict[str, str], fault: str | None) -> _Reply:
        if path != STUDIES_PATH:
            return _Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>\n", _HTML)
        if method != "GET":
            return _Reply(405, b"stand-in: /api/v2/studies answers GET only\n", _TEXT)
        if fault in ("429", "429-retry-after", "rate-limit"):
            headers = {"Retry-After": "1"} if fault != "429" else {}
            return _Reply(429, b"Too Many Requests\n", _TEXT, headers)
        if fault in ("500", "502", "503"):
            return _status_page(int(fault))
        if fault == "html200":
            return _Reply(200, _HTML200_PAGE, _HTML)
        reply = self._studies(params)
        if fault == "no-studies" and reply.status == 200:
            page = json.loads(reply.body)
            page.pop("studies")
            reply.body = json.dumps(page).encode()
        if fault == "truncated":
            reply.body = reply.body[: len(reply.body) // 2]
        return reply

    def _studies(self, params: dict[str, str]) -> _Reply:
        fmt = params.get("format", "json")
        if fmt != "json":
            return _bad_request(f"stand-in serves format=json only, not {fmt!r}")
        raw_size = params.get("pageSize", "")
        if raw_size and not raw_size.isdigit():
            return _bad_request(f"Invalid value in parameter `pageSize`: `{raw_size}`")
        size = int(raw_size or 0) or DEFAULT_PAGE_SIZE
        size = min(size, MAX_PAGE_SIZE)
        count_total = params.get("countTotal", "false").lower()
        if count_total not in ("true", "false"):
            return _bad_request(f"Invalid value in parameter `countTotal`: `{count_total}`")
        signature = tuple(sorted((k, v) for k, v in params.items() if k not in PAGING_PARAMS))
        token = params.get("pageToken")
        offset = 0
        if token is not None:
            with self._lock:
                cursor = self._cursors.get(token)
            if cursor is None:
                return _bad_request(f"stand-in: unknown pageToken `{token}`")
            if cursor.signature != signature:
                return _bad_request(
                    "stand-in: a page must be asked with the first page's parameters "
                    "(only countTotal, pageSize and pageToken may change)"
                )
            offset = cursor.offset
        try:
            matching = [s for s in list(self.studies) if self._matches(params, s)]
        except StandInQueryError as exc:
            return _bad_request(str(exc))
        page = matching[offset : offset + size]
        end = offset + len(page)
        answer: dict[str, Any] = {}
        if token is None and count_total == "true":
            answer["totalCount"] = len(matching) + self.total_delta
        answer["studies"] = page
        more = end < len(matching) if self.lookahead else len(page) == size
        if more:
            next_token = secrets.token_urlsafe(12)
            with self._lock:
                self._cursors[next_token] = _Cursor(signature, end)
            answer["nextPageToken"] = next_token
        return _Reply(200, json.dumps(answer, ensure_ascii=False).encode())

    def _matches(self, params: Mapping[str, str], study: Mapping) -> bool:
        return True if self._match is None else bool(self._match(params, study))


def _check_fault(fault: str) -> None:
    if fault.startswith("slow:"):
        try:
            seconds = float(fault.split(":", 1)[1])
        except ValueError:
            seconds = -1.0
        if not seconds >= 0:
            raise ValueError(f"bad fault {fault!r}: want 'slow:SECONDS'")
    elif fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; known: {sorted(FAULTS)} and 'slow:SECONDS'")


def _bad_request(message: str) -> _Reply:
    return _Reply(400, message.encode(), _TEXT)


def _status_page(status: int) -> _Reply:
    title = _STATUS_PAGES[status]
    html = (
        f"<html>\n<head><title>{title}</title></head>\n<body>\n"
        f"<center><h1>{title}</h1></center>\n</body>\n</html>\n"
    )
    return _Reply(status, html.encode(), _HTML)


def _reset_connection(handler: _Handler) -> None:
    """Abort the TCP connection: SO_LINGER 0 makes close() send RST instead of FIN."""
    conn = handler.connection
    handler.close_connection = True
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.rfile.close()  # drop the makefile reference so close() really closes the fd
        conn.close()
    except OSError:
        pass
