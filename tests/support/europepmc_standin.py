"""A loopback stand-in for the Europe PMC REST ``search``, with cursor paging and faults.

Tests start it so the real HTTP stack is exercised end to end::

    with EuropePmcStandIn(results, match=lambda query, result: ...) as epmc:
        client = EuropePmcClient(epmc.base_url, ...)
        epmc.inject("ok", "500", "repeat-cursor")
        ...

It serves ``GET /europepmc/webservices/rest/search``; any other path is a 404, any other
method a 405. Server, request record and common faults: ``tests/support/loopback.py``.

What is copied from Europe PMC, and from where (the RESTful web service reference and the
answers public clients record and parse, e.g. the ``europepmc`` R package and Kotlin/Python
clients quoting live ``core`` results): the answer ``{"version", "hitCount",
"nextCursorMark", "request": {"queryString", "resultType", "cursorMark", "pageSize", "sort",
"synonym"}, "resultList": {"result": [...]}}``; ``cursorMark=*`` for the first page;
``pageSize`` 1-1000, default 25; ``format`` ``json`` (``xml`` is the service's default, refused
here: the client must ask for JSON); a ``nextCursorMark`` on every page, which on the page
after the last result repeats the cursor sent (Solr cursor semantics), so a result set that
fills its last page exactly is followed by an empty page.

Invented here (no recording found): the cursor strings (random), the 400 for an unknown
cursor and for a non-JSON ``format``, the JSON ``errMsg`` answer to a query the ``match``
callable refuses (raise :class:`StandInQueryError`), the 429 body and ``Retry-After``, and
the HTML bodies of the 5xx and ``html200`` faults.

Faults (:meth:`EuropePmcStandIn.inject`), one per search request, in order: the common
``429``, ``429-retry-after``, ``500``, ``502``, ``503``, ``html200``, ``truncated``,
``reset``, ``slow:SECONDS``; and ``repeat-cursor`` (the page's ``nextCursorMark`` is the
cursor sent, as if the results had ended), ``no-cursor`` (no ``nextCursorMark``),
``wrong-type`` (``hitCount`` as a string), ``bad-id`` (the first result's ``id`` is
:data:`BAD_ID`, a spreadsheet formula: a hostile answer Europe PMC is not known to send),
``no-results`` (no ``resultList``), and ``ok`` (served normally).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support import loopback

__all__ = ["BAD_ID", "FAULTS", "EuropePmcStandIn", "RecordedRequest", "StandInQueryError"]

SEARCH_PATH = "/europepmc/webservices/rest/search"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
_QUEUE = "search"
FAULTS = loopback.COMMON_FAULTS | {
    "ok",
    "repeat-cursor",
    "no-cursor",
    "wrong-type",
    "bad-id",
    "no-results",
}
BAD_ID = '=HYPERLINK("http://example.invalid")'
_JSON = "application/json;charset=UTF-8"


def _page(title: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n".encode()
    )


Match = Callable[[str, Mapping], bool]


class StandInQueryError(Exception):
    """Raised by ``match``: the search answers 200 with this ``errMsg``."""


@dataclass
class RecordedRequest:
    time: float
    method: str
    path: str  # the request target as sent (path and query string)
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None
    status: int | None = None


@dataclass
class _Reply(loopback.Reply):
    content_type: str = _JSON


class EuropePmcStandIn(loopback.LoopbackServer[RecordedRequest]):
    """A loopback Europe PMC ``search`` answering from given ``core`` result objects.

    ``match(query, result)`` decides which results a query finds (default: all), in the order
    given; a test may change :attr:`results` between pages. ``hit_delta`` is added to the
    ``hitCount`` reported; ``max_per_second`` answers 429 past that many requests a second.
    """

    name = "europepmc-standin"
    base_path = "/europepmc/webservices/rest/"
    known_faults = FAULTS
    status_pages = {
        500: _page("500 Internal Server Error"),
        502: _page("502 Bad Gateway"),
        503: _page("503 Service Unavailable"),
    }
    html200_page = _page("Europe PMC is undergoing maintenance")

    def __init__(
        self,
        results: Sequence[Mapping],
        *,
        match: Match | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        hit_delta: int = 0,
        max_per_second: int | None = None,
    ) -> None:
        super().__init__(host, port, queues=[_QUEUE])
        self.results: list[Mapping] = list(results)
        self._match = match
        self.hit_delta = hit_delta
        self.max_per_second = max_per_second
        self._cursors: dict[str, tuple[str, int]] = {}  # cursor -> (query, offset)

    def inject(self, *faults: str) -> None:
        self._enqueue(_QUEUE, faults)

    def pending_faults(self) -> list[str]:
        return self._pending(_QUEUE)

    def _handle(self, handler: loopback.Handler, method: str) -> None:
        url = urlsplit(handler.path)
        params = loopback.merge_params(parse_qsl(url.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        is_search = url.path == SEARCH_PATH and method == "GET"
        record = RecordedRequest(
            handler.arrival, method, handler.path, params, dict(handler.headers.items()), body
        )
        self._admit(
            handler,
            record,
            lambda fault: self._answer(url.path, method, params, fault),
            fault_queue=_QUEUE if is_search else None,
            max_per_second=self.max_per_second if is_search else None,
        )

    def _answer(self, path: str, method: str, params: dict, fault: str | None) -> loopback.Reply:
        if path != SEARCH_PATH:
            return _Reply(404, _page("404 Not Found"), loopback.HTML)
        if method != "GET":
            return _Reply(405, b"stand-in: search answers GET only\n", loopback.TEXT)
        if fault in ("429", "429-retry-after", "rate-limit"):
            headers = {"Retry-After": "1"} if fault != "429" else {}
            return _Reply(429, b"Too Many Requests\n", loopback.TEXT, headers)
        canned = self._page_fault(fault)
        if canned is not None:
            return canned
        reply = self._search(params, fault)
        if fault == "truncated":
            reply.body = reply.body[: len(reply.body) // 2]
        return reply

    def _search(self, params: dict, fault: str | None) -> _Reply:
        if params.get("format", "xml") != "json":
            return _Reply(400, b"stand-in serves format=json only\n", loopback.TEXT)
        size_text = params.get("pageSize", "")
        if size_text and not size_text.isdigit():
            return _Reply(400, b"pageSize must be a number\n", loopback.TEXT)
        size = min(int(size_text or DEFAULT_PAGE_SIZE) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        query = params.get("query", "")
        cursor = params.get("cursorMark", "*")
        offset = 0
        if cursor != "*":
            with self._lock:
                known = self._cursors.get(cursor)
            if known is None or known[0] != query:
                return _Reply(400, b"stand-in: unknown cursorMark for this query\n", loopback.TEXT)
            offset = known[1]
        request = {
            "queryString": query,
            "resultType": params.get("resultType", "lite"),
            "cursorMark": cursor,
            "pageSize": size,
            "sort": "",
            "synonym": params.get("synonym", "false") == "true",
        }
        try:
            matching = [r for r in list(self.results) if self._matches(query, r)]
        except StandInQueryError as exc:
            answer = {"version": "6.9", "hitCount": 0, "request": request, "errMsg": str(exc)}
            return _Reply(200, json.dumps(answer).encode())
        page = [dict(r) for r in matching[offset : offset + size]]
        next_cursor = cursor
        if page:  # Solr: a new cursor after every non-empty page, the same one after the end
            next_cursor = secrets.token_urlsafe(12)
            with self._lock:
                self._cursors[next_cursor] = (query, offset + len(page))
        answer: dict[str, Any] = {
            "version": "6.9",
            "hitCount": len(matching) + self.hit_delta,
            "nextCursorMark": next_cursor,
            "request": request,
            "resultList": {"result": page},
        }
        if fault == "repeat-cursor":
            answer["nextCursorMark"] = cursor
        if fault == "no-cursor":
            answer.pop("nextCursorMark")
        if fault == "wrong-type":
            answer["hitCount"] = str(answer["hitCount"])
        if fault == "no-results":
            answer.pop("resultList")
        if fault == "bad-id" and page:
            page[0]["id"] = BAD_ID
        return _Reply(200, json.dumps(answer, ensure_ascii=False).encode())

    def _matches(self, query: str, result: Mapping) -> bool:
        return True if self._match is None else bool(self._match(query, result))


def core_result(record: Mapping, **extra: Any) -> dict:
    """A ``core`` result for a bundled snapshot record, in the shape Europe PMC serves a MED
    record (field names and nesting as public clients record them; values from the record)."""
    pub_date = str(record.get("pub_date") or "")
    year, _, rest = pub_date.partition("-")
    month = rest.partition("-")[0]
    result: dict[str, Any] = {
        "id": record["pmid"],
        "source": "MED",
        "pmid": record["pmid"],
        "title": record.get("title") or "",
        "authorString": ", ".join(record.get("authors") or []) + ".",
        "authorList": {
            "author": [
                {"fullName": name, "lastName": name.rpartition(" ")[0] or name,
                 "initials": name.rpartition(" ")[2] if " " in name else ""}
                for name in record.get("authors") or []
            ]
        },
        "journalInfo": {
            "yearOfPublication": int(year) if year.isdigit() else None,
            "monthOfPublication": int(month) if month.isdigit() else 0,
            "journal": {"title": record.get("journal") or "",
                        "medlineAbbreviation": record.get("journal") or ""},
        },
        "pubYear": year,
        "abstractText": record.get("summary") or "",
        "pubTypeList": {"pubType": list(record.get("publication_types") or [])},
        "firstPublicationDate": pub_date if len(pub_date) == 10 else f"{year}-01-01",
    }  # fmt: skip
    if record.get("doi"):
        result["doi"] = record["doi"]
    if record.get("pmcid"):
        result["pmcid"] = record["pmcid"]
    result.update(extra)
    return result


def preprint_result(ppr_id: str, title: str, *, published_pmid: str | None = None, **extra):
    """A ``core`` preprint (source PPR) as Europe PMC serves one, with its "Preprint of" link
    to the journal version when ``published_pmid`` is given."""
    result: dict[str, Any] = {
        "id": ppr_id,
        "source": "PPR",
        "doi": f"10.1101/2021.01.{ppr_id[3:]}",
        "title": title,
        "authorString": "Doe J, Roe R.",
        "authorList": {"author": [{"fullName": "Doe J", "lastName": "Doe", "initials": "J"},
                                  {"fullName": "Roe R", "lastName": "Roe", "initials": "R"}]},
        "pubYear": "2021",
        "abstractText": "<h4>Background</h4>MDMA-assisted therapy for PTSD. "
                        "<b>Methods</b>: a trial.",
        "pubTypeList": {"pubType": ["Preprint"]},
        "bookOrReportDetails": {"publisher": "medRxiv", "yearOfPublication": 2021},
        "firstPublicationDate": "2021-03-04",
    }  # fmt: skip
    if published_pmid:
        result["commentCorrectionList"] = {
            "commentCorrection": [
                {"id": published_pmid, "source": "MED", "reference": "J Example. 2022;1:1",
                 "type": "Preprint of", "note": "Link created based on a title-first author match",
                 "orderIn": 10001}
            ]
        }  # fmt: skip
    result.update(extra)
    return result
