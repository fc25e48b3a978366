"""A loopback stand-in for the ClinicalTrials.gov API v2 study search, with faults.

Tests start it so the real HTTP stack (requests, urllib3, sockets) is exercised end to end::

    with CtgovStandIn(studies, match=lambda params, study: ...) as ctgov:
        client = CtgovClient(ctgov.base_url, ...)
        ctgov.inject("ok", "500", "truncated")   # request 2 gets a 500, request 3 is cut short
        ...
        assert ctgov.max_requests_in_window(1.0) <= 1

It serves ``GET /api/v2/studies``; every other path is a 404 and every other method a 405. It
binds to 127.0.0.1 and runs ``http.server.ThreadingHTTPServer`` in a daemon thread, one thread
per connection, HTTP/1.1 with keep-alive, like ``tests/support/standin.py`` (the E-utilities
stand-in), whose fault names it shares where they mean the same thing; the server, the
request record and those faults live in ``tests/support/loopback.py``.

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
answer delayed), ``bad-nct-id`` (the page's first study carries the ``nctId``
:data:`BAD_NCT_ID`, a spreadsheet formula: invented, a hostile answer, not one the registry is
known to send), and ``ok`` (served normally: a placeholder so a fault can hit a later page).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support import loopback

__all__ = ["BAD_NCT_ID", "FAULTS", "CtgovStandIn", "RecordedRequest", "StandInQueryError"]

STUDIES_PATH = "/api/v2/studies"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
#: Parameters that may change between the pages of one search (all others must not).
PAGING_PARAMS = frozenset({"countTotal", "pageSize", "pageToken"})
_QUEUE = "studies"  # the one fault queue: faults hit GET /api/v2/studies only
#: Fault names accepted by :meth:`CtgovStandIn.inject` (plus ``"slow:SECONDS"``).
FAULTS = loopback.COMMON_FAULTS | {"ok", "no-studies", "bad-nct-id"}
#: The ``nctId`` the ``bad-nct-id`` fault serves.
BAD_NCT_ID = '=HYPERLINK("NCT04077437")'

_JSON = "application/json"


def _status_page(title: str) -> bytes:
    return (
        f"<html>\n<head><title>{title}</title></head>\n<body>\n"
        f"<center><h1>{title}</h1></center>\n</body>\n</html>\n"
    ).encode()


_STATUS_PAGES = {
    500: _status_page("500 Internal Server Error"),
    502: _status_page("502 Bad Gateway"),
    503: _status_page("503 Service Temporarily Unavailable"),
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
class _Reply(loopback.Reply):
    content_type: str = _JSON


@dataclass
class _Cursor:
    signature: tuple[tuple[str, str], ...]  # the search's parameters, paging ones left out
    offset: int


class CtgovStandIn(loopback.LoopbackServer[RecordedRequest]):
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

    name = "ctgov-standin"
    base_path = "/api/v2/"
    known_faults = FAULTS
    status_pages = _STATUS_PAGES
    html200_page = _HTML200_PAGE

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
        super().__init__(host, port, queues=[_QUEUE])
        self.studies: list[Mapping] = list(studies)
        self._match = match
        self.lookahead = lookahead
        self.total_delta = total_delta
        self.max_per_second = max_per_second
        self._cursors: dict[str, _Cursor] = {}

    # -- test controls ---------------------------------------------------------------------

    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests to ``/api/v2/studies``, one per request."""
        self._enqueue(_QUEUE, faults)

    def pending_faults(self) -> list[str]:
        return self._pending(_QUEUE)

    def reset(self) -> None:
        """Forget recorded requests, queued faults and errors (page tokens are kept)."""
        super().reset()

    # -- request handling ------------------------------------------------------------------

    def _handle(self, handler: loopback.Handler, method: str) -> None:
        url = urlsplit(handler.path)
        params = loopback.merge_params(parse_qsl(url.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        if length > 0:
            handler.rfile.read(length)
        is_search = url.path == STUDIES_PATH and method == "GET"
        record = RecordedRequest(
            time=handler.arrival,
            method=method,
            path=handler.path,
            params=params,
            headers=dict(handler.headers.items()),
        )
        self._admit(
            handler,
            record,
            lambda served: self._answer(url.path, method, params, served),
            fault_queue=_QUEUE if is_search else None,
            max_per_second=self.max_per_second if is_search else None,
        )

    def _answer(
        self, path: str, method: str, params: dict[str, str], fault: str | None
    ) -> loopback.Reply:
        if path != STUDIES_PATH:
            return _Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>\n", loopback.HTML)
        if method != "GET":
            return _Reply(405, b"stand-in: /api/v2/studies answers GET only\n", loopback.TEXT)
        if fault in ("429", "429-retry-after", "rate-limit"):
            headers = {"Retry-After": "1"} if fault != "429" else {}
            return _Reply(429, b"Too Many Requests\n", loopback.TEXT, headers)
        canned = self._page_fault(fault)
        if canned is not None:
            return canned
        reply = self._studies(params)
        if fault == "no-studies" and reply.status == 200:
            page = json.loads(reply.body)
            page.pop("studies")
            reply.body = json.dumps(page).encode()
        if fault == "bad-nct-id" and reply.status == 200:
            reply.body = _with_bad_nct_id(reply.body)
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


def _with_bad_nct_id(body: bytes) -> bytes:
    """The page with its first study's ``nctId`` replaced by :data:`BAD_NCT_ID`."""
    page = json.loads(body)
    if page.get("studies"):
        page["studies"][0]["protocolSection"]["identificationModule"]["nctId"] = BAD_NCT_ID
    return json.dumps(page, ensure_ascii=False).encode()


def _bad_request(message: str) -> _Reply:
    return _Reply(400, message.encode(), loopback.TEXT)
