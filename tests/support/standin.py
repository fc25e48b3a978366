"""A loopback stand-in for NCBI E-utilities (PubMed esearch, efetch, ecitmatch), with faults.

Tests start it so the real HTTP stack (requests, urllib3, sockets) is exercised end to end::

    with EutilsStandIn(search, articles) as eutils:
        client = EutilsClient(base_url=eutils.base_url, ...)
        eutils.inject("efetch", "429", "truncated")   # the next two efetch requests fail
        ...
        assert eutils.max_requests_in_window(1.0) <= 3

It serves ``/entrez/eutils/esearch.fcgi``, ``/entrez/eutils/efetch.fcgi`` and
``/entrez/eutils/ecitmatch.cgi`` (GET, or POST with an ``application/x-www-form-urlencoded``
body); everything else is a 404 (``ecitmatch.fcgi`` too: NCBI documents ``.cgi``). It binds to
127.0.0.1 and runs ``http.server.ThreadingHTTPServer`` in a daemon thread, one thread per
connection, speaking HTTP/1.1 with keep-alive as NCBI does, so a client's connection pool is
exercised too. That server, the request record and the faults that mean the same thing here as
in ``tests/support/ctgov_standin.py`` live in ``tests/support/loopback.py``.

What is copied from NCBI, and from where (the fixtures are under ``shared/fixtures/ncbi``):

* eSearchResult layout, prolog, ``<IdList>`` line breaks, ``<TranslationSet/>``, and the
  zero-count answer (``ErrorList`` + ``WarningList/OutputMessage`` "No items found."): the
  recorded responses ``biopython/esearch1.xml``, ``esearch2.xml``, ``esearch8.xml``; element
  order from ``biopython/dtd/esearch.dtd``.
* PubmedArticleSet prolog: ``biopython/pubmed1.xml``.
* The retrieval cap. PubMed serves only the first 9,999 records of a set (``retstart`` 0..9998).
  Published live measurements (third-party code and notes, 2025-26) agree that esearch with
  ``retstart`` > 9998 answers HTTP 200 with an in-band ``<ERROR>Search Backend failed:
  Exception: 'retstart' cannot be larger than 9998. ...</ERROR>``, while a window that starts
  inside the cap and crosses it is clamped, with ``<OutputMessage>Restrictions achieved. start
  and count adjusted to S, N</OutputMessage>``; efetch through the history server answers
  ``retstart`` > 9998 with HTTP 400 and clamps a crossing page silently. ``strict_cap=True``
  replaces the clamp by the error (any window past record 9,999 of a larger set is refused).
* The transient backend failures ("esearch-error", "efetch-error"): bodies captured live during
  a 2026 PubMed outage and published in third-party audit code.
* The 429 body ``{"error":"API rate limit exceeded","api-key":..,"count":..,"limit":..}``: quoted
  in many third-party logs (no recorded response file exists, see PROVENANCE.md); the
  ``api-key`` field carries the caller's key when one is sent, else its address.

Invented here (no recording found): the HTML bodies of the 5xx and "html200" faults, the
errors for a bad ``db``/unknown WebEnv, efetch's default ``retmax`` of 20 for history
requests, and the 400 for ``retmode=json``/non-XML efetch (a stand-in restriction: the
project's client must speak XML).

Modification dates and PMID lists (what the fetch step's change check asks). NCBI documents
``datetype`` ``mdat`` (modification date) with ``mindate``/``maxdate``, which "must be used
together", as ``YYYY/MM/DD``, ``YYYY/MM`` or ``YYYY`` (NBK25499, ESearch); ``[uid]`` and
``[pmid]`` search PMIDs, several joined by ``OR`` (PubMed Help). The stand-in holds one
modification date per article (:data:`DEFAULT_MDAT` until :meth:`EutilsStandIn.update_article`
sets another) and answers:

* a term made only of ``N[uid]``/``N[pmid]`` joined by ``OR`` (optionally in parentheses)
  from its own articles: the listed PMIDs it holds, unknown ones left out silently;
* ``datetype=mdat`` with both dates (any term) by filtering on those dates, inclusively,
  a partial bound covering its whole month or year; the ``search`` callable then gets no
  dates (its windows are publication dates).

Invented for these: the in-band ``<ERROR>`` for a date it cannot read; the 400 for a PMID
list limited by any date type other than ``mdat`` (not modelled); and the ``foreign-id``
fault, an esearch answer listing one PMID more than matched (for a PMID list, one not
asked about), with ``Count`` grown to match.

Hostile answers (invented: what a compromised mirror, a proxy or a man in the middle could
send with status 200; NCBI is not known to send any of them). Each is well-formed XML that a
client checking only "is it XML, is every PMID there" would accept:

* ``xxe`` (efetch): the prolog declares an external entity,
  ``<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>``, and every
  ``<ArticleTitle>`` starts with ``&xxe;``;
* ``foreign-article`` (efetch): the answer adds an article not asked for, a copy of the
  lowest-numbered article held that was not asked for, retitled :data:`FORGED_TITLE` (so a
  client that stores what it is sent overwrites a record it already holds);
* ``duplicate-article`` (efetch): the first article comes twice, the second copy retitled
  :data:`FORGED_TITLE`;
* ``bad-id`` (esearch: one more ``<Id>`` after the others, :data:`BAD_ID`, with ``Count``
  grown to match; ecitmatch: the first line's result is :data:`BAD_ID`).

:meth:`EutilsStandIn.persist` serves one fault to every request to an endpoint (after any
queued ones) until :meth:`EutilsStandIn.reset`, so a client's retries meet it too.

ECitMatch (``ecitmatch.cgi``). ``shared/fixtures`` holds no ecitmatch answer (PROVENANCE.md
lists it as looked for and not found), so this part rests on NCBI's documentation (read through
copies of the pages published in public repositories), one recording in Biopython's
repository history, and what third-party clients report seeing live:

* The request: ``db=pubmed``, ``retmode=xml``, ``bdata`` = citation strings
  ``journal_title|year|volume|first_page|author_name|your_key|`` separated by carriage returns
  (``%0D``), spaces as ``+``, each ending in a final ``|``: Entrez Programming Utilities Help,
  "E-utilities Quick Start" (NBK25500) and "The E-utilities In-Depth: Parameters, Syntax and
  More" (NBK25499, ECitMatch). The In-Depth parameter list calls it ``rettype``, but its example
  URL, the Quick Start, Biopython (``Bio.Entrez.ecitmatch`` always adds ``retmode=xml``: "XML is
  the only supported value, and it actually returns TXT"), rentrez and reutils send ``retmode``.
* The answer is plain text whatever ``retmode`` says (rentrez's ``entrez_citmatch`` docs: "the
  API only returns plain text"): one line per citation, the six fields echoed, then ``|`` and
  the result. NBK25500's sample output for its two-citation example URL, verbatim::

      proc natl acad sci u s a|1991|88|3248|mann bj|Art1|2014248
      science|1987|235|182|palmenberg ac|Art2|3026048

  Biopython's recorded response (biopython/biopython ``Tests/Entrez/ecitmatch.txt`` at
  211e8f63, used by its offline tests) is ``proc natl acad sci u s a|1991|88|3248|mann bj|
  citation_1|2014248`` and one LF: lines end in LF, the last one too. Biopython joins the six
  fields with ``|`` and sends *no* final ``|``, yet the answer has exactly one ``|`` between
  key and PMID: the echo is field by field (six fields, each followed by ``|``), not the raw
  line.
* Fields are echoed as sent, after URL decoding: ``+`` comes back as a space, case is kept,
  empty fields stay empty. A third-party test (apaschold's ``WebHandlerTests.java``) sends
  ``Proceedings+of+the+National+Academy+of+Sciences+of+the+United+States+of+America|1991||
  3248|mann|Art1|`` and expects ``Proceedings of the National Academy of Sciences of the United
  States of America|1991||3248|mann|Art1|2014248``.
* A miss is ``NOT_FOUND`` (metapub's ``tests/data/example_citation_lookup_results.txt``),
  sometimes with a reason after a semicolon, ``NOT_FOUND;INVALID_JOURNAL`` (metapub's
  ``tests/test_pmids_for_citation.py``). The ``citmatch`` callable may return such a string;
  it is served verbatim.
* Ambiguity. The answer observed live in 2026 lists the candidates after one space, comma
  separated, no spaces: ``nature|2020|||zhang f|ref1|AMBIGUOUS 33057196,32076266,32025019``
  (cyanheads/pubmed-mcp-server issue #25, its ``eCitMatch`` parser and tests). Older answers
  (2015-16) gave a count instead: ``PNAS|2008|||An|metapub|AMBIGUOUS (5 citations)`` (metapub's
  tests), ``AMBIGUOUS (7 citations)`` (metapub's example results), and EDirect's ``ecitmatch``
  man page prints "(n citations)". The stand-in serves the current list form only; a client
  should still read a bare or counted ``AMBIGUOUS`` as ambiguous.
* Reported but not modelled (third-party notes, 2026): NCBI blanking the echoed author when it
  does not match the paper found, and answers that stop early, with no rows from the first
  journal-less miss on (cyanheads/pubmed-mcp-server issues #54, #193). The stand-in echoes
  every field and answers every line; the ``short`` fault drops the last line instead.

Invented for ecitmatch: the ``Content-Type`` (``text/plain; charset=UTF-8``); the 400s for a
missing or other ``db``, a ``retmode`` other than ``xml``, an empty ``bdata`` and an LF in
``bdata`` (stand-in restrictions: NCBI's behaviour there is unknown, and the project's client
must send what NCBI documents); skipping empty lines (a trailing CR); padding a line of fewer
than six fields with empty ones and ignoring fields past the sixth; a one-PMID list answered
as found; candidates listed in the callable's order; and where ``truncated`` cuts (the line at
the body's middle, at that line's middle, so the body ends inside a line, without its result
or final LF).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from tests.support import loopback

__all__ = [
    "BAD_ID",
    "DEFAULT_MDAT",
    "FAULTS",
    "FORGED_TITLE",
    "RETRIEVAL_CAP",
    "EutilsStandIn",
    "RecordedRequest",
    "StandInQueryError",
    "retracted_version",
    "split_pubmed_articles",
]

ESEARCH_PATH = "/entrez/eutils/esearch.fcgi"
EFETCH_PATH = "/entrez/eutils/efetch.fcgi"
ECITMATCH_PATH = "/entrez/eutils/ecitmatch.cgi"
_PATHS = {ESEARCH_PATH: "esearch", EFETCH_PATH: "efetch", ECITMATCH_PATH: "ecitmatch"}

#: PubMed serves the first 9,999 records of a set: ``retstart`` may go up to 9998.
RETRIEVAL_CAP = 9999
#: EFetch's documented maximum ``retmax``.
EFETCH_MAX_RETMAX = 10000

#: Fault names accepted by :meth:`EutilsStandIn.inject` (plus ``"slow:SECONDS"``).
FAULTS = loopback.COMMON_FAULTS | {
    "short",
    "esearch-error",
    "efetch-error",
    "foreign-id",
    "xxe",
    "foreign-article",
    "duplicate-article",
    "bad-id",
}
#: Faults that only make sense for some endpoints (and so cannot be queued under ``"*"``):
#: "short" drops efetch's last article or ecitmatch's last line.
_ENDPOINT_ONLY = {
    "short": ("efetch", "ecitmatch"),
    "esearch-error": ("esearch",),
    "efetch-error": ("efetch",),
    "foreign-id": ("esearch",),
    "xxe": ("efetch",),
    "foreign-article": ("efetch",),
    "duplicate-article": ("efetch",),
    "bad-id": ("esearch", "ecitmatch"),
}
#: The id the ``bad-id`` fault serves: a spreadsheet formula where a PMID belongs.
BAD_ID = "=HYPERLINK(1)"
#: The title of the forged copies the ``foreign-article`` and ``duplicate-article`` serve.
FORGED_TITLE = "Forged title served by the stand-in"
XXE_PROLOG = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
)
_ARTICLE_TITLE = re.compile(rb"(<ArticleTitle(?:\s[^>]*)?>)(.*?)(</ArticleTitle>)", re.DOTALL)
#: Every article's modification date until :meth:`EutilsStandIn.update_article` changes it.
DEFAULT_MDAT = dt.date(2020, 1, 1)
_UID_TERM = re.compile(r"\s*(\d+)\s*\[(?:uid|pmid)\]\s*", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})(?:/(\d{1,2})(?:/(\d{1,2}))?)?")
_ENDPOINTS = ("esearch", "efetch", "ecitmatch")
#: The fields of one ecitmatch citation string, in order, as passed to ``citmatch``.
CITMATCH_FIELDS = ("journal", "year", "volume", "first_page", "author", "key")

ESEARCH_PROLOG = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_PROLOG = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
EFETCH_ERROR_PROLOG = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eEfetchResult PUBLIC "-//NLM//DTD efetch 20131226//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
)

RETSTART_CAP_MESSAGE = (
    "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed, "
    "ESearch can only retrieve the first 9,999 records matching the query. To obtain more than "
    "9,999 PubMed records, consider using EDirect that contains additional logic to batch "
    "PubMed search results automatically so that an arbitrary number can be retrieved. For "
    "details see https://www.ncbi.nlm.nih.gov/books/NBK25499/"
)
HISTORY_CAP_MESSAGE = (
    "Search backend cannot retrieve history data. Reason: Exception: "
    "'retstart' cannot be larger than 9998."
)
ESEARCH_BACKEND_ERROR = (
    ESEARCH_PROLOG + "<eSearchResult>\n\t<ERROR>Search Backend failed: Pubmed 2.0 search API: "
    "HTTP request returned 502 status.</ERROR>\n</eSearchResult>\n"
).encode()
EFETCH_BACKEND_ERROR = (
    EFETCH_ERROR_PROLOG + "<eFetchResult>\n\t<ERROR> Error: CEFetchPApplication::proxy_stream(): "
    "&#xa;&lt;html&gt;&lt;head&gt;&#xa;&lt;meta http-equiv=&quot;content-type&quot; "
    "content=&quot;text/html;charset=utf-8&quot;&gt;&#xa;&lt;title&gt;502 Server Error"
    "&lt;/title&gt;&#xa;&lt;/head&gt;&#xa;&lt;body text=#000000 bgcolor=#ffffff&gt;&#xa;"
    "&lt;h1&gt;Error: Server Error&lt;/h1&gt;&#xa;&lt;h2&gt;The server encountered a temporary "
    "error and could not complete your request.&lt;p&gt;Please try again in 30 seconds."
    "&lt;/h2&gt;&#xa;&lt;h2&gt;&lt;/h2&gt;&#xa;&lt;/body&gt;&lt;/html&gt;</ERROR>\n"
    "</eFetchResult>\n"
).encode()


def _status_page(title: str, text: str) -> bytes:
    return (
        f'<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n"
        f"<h1>Error: {title.split(' ', 1)[1]}</h1>\n<h2>{text}</h2>\n</body></html>\n"
    ).encode()


_STATUS_PAGES = {
    500: _status_page("500 Internal Server Error", "The server encountered an internal error."),
    502: _status_page(
        "502 Server Error",
        "The server encountered a temporary error and could not complete your request."
        "<p>Please try again in 30 seconds.",
    ),
    503: _status_page("503 Service Unavailable", "The service is temporarily unavailable."),
}
_HTML200_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    b"<title>Service unavailable - NCBI</title></head>\n<body>\n"
    b"<h1>Service unavailable</h1>\n<p>The E-utilities backend is temporarily unavailable. "
    b"Please try again later.</p>\n</body></html>\n"
)

_WARNING_ORDER = ("PhraseIgnored", "QuotedPhraseNotFound", "OutputMessage")  # esearch.dtd
_DATE_FIELDS = {"pdat": "Date - Publication", "edat": "Date - Entry", "mdat": "Date - Modification"}
_XML = "text/xml; charset=UTF-8"


class StandInQueryError(Exception):
    """Raised by the ``search`` callable to make esearch answer a zero-count ``<ErrorList>``.

    ``kind`` is ``"PhraseNotFound"`` or ``"FieldNotFound"``; ``phrase`` is the element's text.
    """

    KINDS = ("PhraseNotFound", "FieldNotFound")  # order inside <ErrorList>, per esearch.dtd

    def __init__(self, kind: str, phrase: str) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, not {kind!r}")
        super().__init__(f"{kind}: {phrase}")
        self.kind = kind
        self.phrase = phrase


@dataclass
class RecordedRequest:
    """One request the stand-in received (recorded on arrival, before it is answered)."""

    time: float  # time.monotonic() when the request line and headers had arrived
    endpoint: str  # "esearch", "efetch", "ecitmatch" or "other"
    method: str
    params: dict[str, str]  # query string and urlencoded body merged; repeats joined by ","
    fault: str | None = None  # the injected fault served, if any ("rate-limit" if enforced)
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # set once answered; stays None for "reset"


@dataclass
class _Reply(loopback.Reply):
    content_type: str = _XML


class EutilsStandIn(loopback.LoopbackServer[RecordedRequest]):
    """A loopback E-utilities server answering from a ``search`` callable and stored articles.

    ``search(term, mindate, maxdate)`` returns the matching PMIDs (the stand-in sorts them by
    descending PMID, as a stand-in for PubMed's most-recent-first order); ``mindate``/``maxdate``
    are passed exactly as sent (``"YYYY/MM/DD"`` or None), so the callable does the date
    filtering. It may raise :class:`StandInQueryError`. ``articles`` maps a PMID to the bytes of
    one ``<PubmedArticle>`` element. ``translation(term)`` gives ``<QueryTranslation>`` (default:
    the term itself; a date range is appended as NCBI does). ``warnings(term)`` gives
    ``(kind, text)`` pairs for ``<WarningList>`` (kinds PhraseIgnored, QuotedPhraseNotFound,
    OutputMessage). ``enforce_rate_limit`` answers 429 when more than 3 requests (10 with an
    ``api_key``) arrive within one second, as NCBI does.

    ``citmatch(citation)`` answers ecitmatch, once per citation string: ``citation`` has the keys
    of :data:`CITMATCH_FIELDS` (``journal``, ``year``, ``volume``, ``first_page``, ``author``,
    ``key``), URL-decoded, as sent. It returns a PMID string (found), a list of two or more PMIDs
    (``AMBIGUOUS`` with those candidates), a one-PMID list (found), ``None`` or ``[]``
    (``NOT_FOUND``), or a string starting with ``NOT_FOUND`` (served verbatim, e.g.
    ``"NOT_FOUND;INVALID_JOURNAL"``). Without it every citation is ``NOT_FOUND``.

    Exceptions raised by the callables become HTTP 500 and are kept in :attr:`errors`, as does a
    ``citmatch`` answer of any other shape.

    ``articles`` is copied: :meth:`update_article` changes a record upstream (its XML and
    modification date) for this server only.
    """

    name = "eutils-standin"
    base_path = "/entrez/eutils/"
    known_faults = FAULTS
    status_pages = _STATUS_PAGES
    html200_page = _HTML200_PAGE

    def __init__(
        self,
        search: Callable[[str, str | None, str | None], list[str]],
        articles: Mapping[str, bytes],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        translation: Callable[[str], str] | None = None,
        warnings: Callable[[str], list[tuple[str, str]]] | None = None,
        strict_cap: bool = False,
        enforce_rate_limit: bool = False,
        citmatch: Callable[[dict[str, str]], str | list[str] | None] | None = None,
    ) -> None:
        super().__init__(host, port, queues=(*_ENDPOINTS, "*"))
        self._search = search
        self._citmatch = citmatch
        self._articles = dict(articles)
        self._modified: dict[str, dt.date] = {}  # PMID -> modification date, if not the default
        self._translation = translation
        self._warnings = warnings
        self.strict_cap = strict_cap
        self.enforce_rate_limit = enforce_rate_limit
        self._history: dict[str, list[list[str]]] = {}  # WebEnv -> sets, query_key = index + 1
        self._persistent: dict[str, str] = {}  # endpoint -> the fault every request gets

    # -- test controls ---------------------------------------------------------------------

    def inject(self, endpoint: str, *faults: str) -> None:
        """Queue faults for the next requests to ``endpoint`` ("esearch", "efetch", "ecitmatch"
        or "*").

        Each request takes one fault, in order: first from its endpoint's own queue, else from
        the ``"*"`` queue (which serves esearch, efetch and ecitmatch, never a 404 path).
        """
        if endpoint not in (*_ENDPOINTS, "*"):
            raise ValueError(
                f"endpoint must be 'esearch', 'efetch', 'ecitmatch' or '*', not {endpoint!r}"
            )
        self._enqueue(endpoint, faults)

    def persist(self, endpoint: str, fault: str) -> None:
        """Serve ``fault`` to every request to ``endpoint`` ("esearch", "efetch", "ecitmatch"
        or "*") once its queues are empty, until :meth:`reset`: a fault retries cannot
        outlast, as from a mirror that always answers the same."""
        if endpoint not in (*_ENDPOINTS, "*"):
            raise ValueError(
                f"endpoint must be 'esearch', 'efetch', 'ecitmatch' or '*', not {endpoint!r}"
            )
        self._check_fault(endpoint, fault)
        with self._lock:
            self._persistent[endpoint] = fault

    def update_article(self, pmid: str, xml: bytes, mdat: dt.date | str) -> None:
        """Change a record upstream: efetch serves ``xml`` for ``pmid`` from now on, and its
        modification date (``datetype=mdat``) becomes ``mdat`` (a date or "YYYY/MM/DD")."""
        with self._lock:
            self._articles[pmid] = xml
            self._modified[pmid] = mdat if isinstance(mdat, dt.date) else _date_span(mdat)[0]

    def modification_date(self, pmid: str) -> dt.date:
        with self._lock:
            return self._modified.get(pmid, DEFAULT_MDAT)

    def pending_faults(self, endpoint: str) -> list[str]:
        return self._pending(endpoint)

    def reset(self) -> None:
        """Forget recorded requests, queued and persistent faults and errors (history
        sessions are kept)."""
        super().reset()
        with self._lock:
            self._persistent.clear()

    def recorded(self, endpoint: str | None = None) -> list[RecordedRequest]:
        """A snapshot of the recorded requests, optionally to one endpoint only."""
        with self._lock:
            return [r for r in self.requests if endpoint is None or r.endpoint == endpoint]

    def max_requests_in_window(self, window: float = 1.0, endpoint: str | None = None) -> int:
        """The most requests whose arrival times fall within any half-open window of that length.

        Requests exactly ``window`` apart are in different windows, so a client spacing
        requests 1/3 s apart scores 3 for ``window=1.0``.
        """
        return loopback.max_in_window((r.time for r in self.recorded(endpoint)), window)

    # -- request handling ------------------------------------------------------------------

    def _take_fault(self, *queues: str) -> str | None:
        """A queued fault first; else the persistent fault of the first queue that has one."""
        fault = super()._take_fault(*queues)
        if fault is not None:
            return fault
        with self._lock:
            return next((self._persistent[q] for q in queues if q in self._persistent), None)

    def _check_fault(self, queue: str, fault: str) -> None:
        super()._check_fault(queue, fault)
        only = _ENDPOINT_ONLY.get(fault)
        if only is not None and queue not in only:
            raise ValueError(f"fault {fault!r} applies to {' and '.join(only)} only, not {queue!r}")

    def _handle(self, handler: loopback.Handler, method: str) -> None:
        url = urlsplit(handler.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        bad_body = False
        if body:
            if handler.headers.get_content_type() == "application/x-www-form-urlencoded":
                pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            else:
                bad_body = True
        params = loopback.merge_params(pairs)
        endpoint = _PATHS.get(url.path, "other")
        fault = self._take_fault(endpoint, "*") if endpoint != "other" else None
        record = RecordedRequest(
            time=handler.arrival,
            endpoint=endpoint,
            method=method,
            params=params,
            fault=fault,
            path=handler.path,
            headers=dict(handler.headers.items()),
        )
        with self._lock:
            self.requests.append(record)
            limit, recent = self._rate_state(record)
        self._serve(
            handler,
            record,
            lambda served: self._answer(endpoint, params, served, bad_body, handler, limit, recent),
            over_limit=self.enforce_rate_limit and recent > limit and endpoint != "other",
            headers={
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(max(0, limit - recent)),
            },
        )

    def _rate_state(self, record: RecordedRequest) -> tuple[int, int]:
        """(limit, requests from the same caller in the last second); caller holds the lock."""
        key = record.params.get("api_key")
        limit = 10 if key else 3
        recent = 0
        for other in reversed(self.requests):
            if record.time - other.time >= 1.0:
                break
            if other.params.get("api_key") == key:
                recent += 1
        return limit, recent

    def _answer(
        self,
        endpoint: str,
        params: dict[str, str],
        fault: str | None,
        bad_body: bool,
        handler: loopback.Handler,
        limit: int,
        recent: int,
    ) -> loopback.Reply:
        if fault in ("429", "429-retry-after", "rate-limit"):
            payload = {
                "error": "API rate limit exceeded",
                "api-key": params.get("api_key") or handler.client_address[0],
                "count": str(max(recent, limit + 1)),
                "limit": str(limit),
            }
            headers = {"Retry-After": "1"} if fault != "429" else {}
            body = json.dumps(payload, separators=(",", ":")).encode()
            return _Reply(429, body, "application/json", headers)
        canned = self._page_fault(fault)
        if canned is not None:
            return canned
        if fault == "esearch-error":
            return _Reply(200, ESEARCH_BACKEND_ERROR)
        if fault == "efetch-error":
            return _Reply(200, EFETCH_BACKEND_ERROR)

        if endpoint == "other":
            return _Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>\n", loopback.HTML)
        if bad_body:
            return _Reply(
                400, b"POST bodies must be application/x-www-form-urlencoded\n", loopback.TEXT
            )
        if endpoint == "esearch":
            reply = self._esearch(params, foreign=fault == "foreign-id", bad_id=fault == "bad-id")
        elif endpoint == "efetch":
            reply = self._efetch(params, drop_last=fault == "short", crafted=fault)
        else:
            reply = self._ecitmatch(params, drop_last=fault == "short", bad_id=fault == "bad-id")
        if fault == "truncated":
            if endpoint == "ecitmatch":
                reply.body = _cut_mid_line(reply.body)
            else:
                reply.body = reply.body[: len(reply.body) // 2]
        return reply

    # -- esearch ---------------------------------------------------------------------------

    def _esearch(
        self, params: dict[str, str], *, foreign: bool = False, bad_id: bool = False
    ) -> _Reply:
        retmode = params.get("retmode", "xml").lower()
        if retmode != "xml":
            return _not_xml(retmode)
        db = params.get("db") or "pubmed"
        if db != "pubmed":
            return _esearch_error(f"Invalid db name specified: {db}")
        term = params.get("term", "").strip()
        if not term:
            return _esearch_error("Empty term and query_key - nothing todo")
        try:
            retmax = _nonnegative(params, "retmax", 20)
            retstart = _nonnegative(params, "retstart", 0)
        except ValueError as exc:
            return _esearch_error(str(exc))
        mindate, maxdate = params.get("mindate") or None, params.get("maxdate") or None
        query = self._translation(term) if self._translation is not None else term
        if mindate and maxdate:
            datefield = _DATE_FIELDS.get(params.get("datetype", "pdat"), "Date - Publication")
            query = f"{query} AND {mindate}:{maxdate}[{datefield}]"
        warnings = list(self._warnings(term)) if self._warnings is not None else []
        errors: list[StandInQueryError] = []
        datetype = params.get("datetype", "pdat")
        uids = _uid_list(term)
        if uids is not None and mindate and maxdate and datetype != "mdat":
            return _stand_in_400(f"a PMID list limited by {datetype} is not modelled")
        try:
            found = self._matching(term, uids, mindate, maxdate, datetype)
        except StandInQueryError as exc:
            errors.append(exc)
            found = []
        except ValueError as exc:  # a date it cannot read
            return _esearch_error(str(exc))
        if foreign:
            found.append(_not_among([*found, *(uids or [])]))
        ids = sorted(set(found), key=int, reverse=True) + ([BAD_ID] if bad_id else [])
        if retstart > RETRIEVAL_CAP - 1:
            return _esearch_error(RETSTART_CAP_MESSAGE)
        end = retstart + retmax
        if len(ids) > RETRIEVAL_CAP and end > RETRIEVAL_CAP:
            if self.strict_cap:
                return _esearch_error(RETSTART_CAP_MESSAGE)
            end = RETRIEVAL_CAP
            warnings.append(
                (
                    "OutputMessage",
                    f"Restrictions achieved. start and count adjusted to {retstart}, "
                    f"{end - retstart}",
                )
            )
        if not ids:
            warnings.append(("OutputMessage", "No items found."))
        history = ""
        if params.get("usehistory", "").lower() == "y":
            webenv, query_key = self._store(params.get("WebEnv"), ids)
            history = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>"
        page = ids[retstart:end]
        id_list = "<IdList>\n" + "".join(f"<Id>{i}</Id>\n" for i in page) + "</IdList>"
        xml = (
            f"{ESEARCH_PROLOG}<eSearchResult><Count>{len(ids)}</Count>"
            f"<RetMax>{len(page)}</RetMax><RetStart>{retstart}</RetStart>"
            f"{history}{id_list if page else '<IdList/>'}<TranslationSet/>"
            f"<QueryTranslation>{escape(query)}</QueryTranslation>"
            f"{_error_list(errors)}{_warning_list(warnings)}</eSearchResult>\n"
        )
        return _Reply(200, xml.encode())

    def _matching(
        self,
        term: str,
        uids: list[str] | None,
        mindate: str | None,
        maxdate: str | None,
        datetype: str,
    ) -> list[str]:
        """The PMIDs ``term`` finds: a PMID list from the articles held, anything else from
        the ``search`` callable; a modification-date window filtered here."""
        by_mdat = datetype == "mdat" and bool(mindate and maxdate)
        if uids is not None:
            with self._lock:
                found = [pmid for pmid in dict.fromkeys(uids) if pmid in self._articles]
        elif by_mdat:
            found = list(self._search(term, None, None))
        else:
            found = list(self._search(term, mindate, maxdate))
        if not by_mdat:
            return found
        low, high = _date_span(mindate)[0], _date_span(maxdate)[1]
        return [pmid for pmid in found if low <= self.modification_date(pmid) <= high]

    def _store(self, webenv: str | None, ids: list[str]) -> tuple[str, int]:
        with self._lock:
            if webenv is None or webenv not in self._history:
                webenv = "MCID_" + secrets.token_hex(12)
                self._history[webenv] = []
            self._history[webenv].append(list(ids))
            return webenv, len(self._history[webenv])

    # -- efetch ----------------------------------------------------------------------------

    def _efetch(
        self, params: dict[str, str], *, drop_last: bool, crafted: str | None = None
    ) -> _Reply:
        db = params.get("db") or "pubmed"
        if db != "pubmed":
            return _efetch_error(f"Invalid db name specified: {db}")
        retmode = params.get("retmode")
        if retmode is not None and retmode.lower() != "xml":
            return _not_xml(retmode)
        if params.get("id", "").strip():
            wanted = [p.strip() for p in params["id"].split(",") if p.strip()]
            pmids = list(dict.fromkeys(wanted))
        elif params.get("WebEnv") and params.get("query_key"):
            try:
                retmax = min(_nonnegative(params, "retmax", 20), EFETCH_MAX_RETMAX)
                retstart = _nonnegative(params, "retstart", 0)
            except ValueError as exc:
                return _efetch_error(str(exc))
            stored = self._lookup(params["WebEnv"], params["query_key"])
            if stored is None:
                return _efetch_error(
                    f"Cannot retrieve history data: query_key {params['query_key']} "
                    f"of WebEnv {params['WebEnv']} is not valid"
                )
            if retstart > RETRIEVAL_CAP - 1:
                return _efetch_error(HISTORY_CAP_MESSAGE)
            pmids = stored[retstart : min(retstart + retmax, RETRIEVAL_CAP)]
        else:
            return _efetch_error("Empty id list - nothing todo")
        found = [self._articles[p] for p in pmids if p in self._articles]
        if drop_last and found:
            found.pop()
        found = self._hostile(found, pmids, crafted)
        if retmode is None:  # NCBI answers an HTML-wrapped ASN.1 page (fixture pubmed3.html)
            entries = "".join(f"Pubmed-entry ::= {{\n  pmid {p}\n}}\n" for p in pmids)
            page = f"<html><head><title>PmFetch response</title></head><body>\n<pre>\n{entries}"
            return _Reply(200, (page + "</pre>\n</body></html>\n").encode(), loopback.HTML)
        prolog = XXE_PROLOG if crafted == "xxe" else EFETCH_PROLOG
        body = prolog.encode() + b"<PubmedArticleSet>\n"
        body += b"".join(a.strip() for a in found) + b"</PubmedArticleSet>"
        return _Reply(200, body)

    def _hostile(self, found: list[bytes], asked: list[str], fault: str | None) -> list[bytes]:
        """The articles as the ``xxe``, ``foreign-article`` or ``duplicate-article`` fault
        serves them (unchanged for any other)."""
        if fault == "xxe":
            return [_retitled(a, lambda title: b"&xxe; " + title) for a in found]
        if fault == "duplicate-article" and found:
            return [*found, _retitled(found[0], lambda _: FORGED_TITLE.encode())]
        if fault == "foreign-article":
            return [*found, self._foreign_article(asked)]
        return found

    def _foreign_article(self, asked: list[str]) -> bytes:
        """A forged copy of the lowest-numbered article held that was not asked for."""
        with self._lock:
            others = sorted((p for p in self._articles if p not in set(asked)), key=int)
            article = self._articles[others[0]] if others else None
        if article is None:
            raise ValueError("foreign-article needs an article held that was not asked for")
        return _retitled(article, lambda _: FORGED_TITLE.encode())

    # -- ecitmatch -------------------------------------------------------------------------

    def _ecitmatch(
        self, params: dict[str, str], *, drop_last: bool, bad_id: bool = False
    ) -> _Reply:
        db = params.get("db")
        if db != "pubmed":
            return _stand_in_400(f"ecitmatch needs db=pubmed, not {db!r}")
        retmode = params.get("retmode")
        if retmode is None or retmode.lower() != "xml":
            return _stand_in_400(f"ecitmatch needs retmode=xml (it answers text), not {retmode!r}")
        bdata = params.get("bdata", "")
        if "\n" in bdata:
            return _stand_in_400("ecitmatch citation strings are separated by CR (%0D), not LF")
        lines = [line for line in bdata.split("\r") if line.strip()]
        if not lines:
            return _stand_in_400("ecitmatch needs bdata (citation strings)")
        answers = []
        for line in lines:
            fields = line[:-1] if line.endswith("|") else line
            values = (fields.split("|") + [""] * len(CITMATCH_FIELDS))[: len(CITMATCH_FIELDS)]
            citation = dict(zip(CITMATCH_FIELDS, values, strict=True))
            result = self._citmatch(citation) if self._citmatch is not None else None
            served = BAD_ID if bad_id and not answers else _citmatch_result(result)
            answers.append("".join(f"{v}|" for v in values) + served + "\n")
        if drop_last:
            answers.pop()
        return _Reply(200, "".join(answers).encode(), loopback.TEXT)

    def _lookup(self, webenv: str, query_key: str) -> list[str] | None:
        with self._lock:
            sets = self._history.get(webenv)
            if sets is None or not query_key.isdigit() or not 1 <= int(query_key) <= len(sets):
                return None
            return sets[int(query_key) - 1]


# -- helpers ---------------------------------------------------------------------------------


def split_pubmed_articles(data: bytes) -> dict[str, bytes]:
    """PMID -> ``<PubmedArticle>`` bytes, from an efetch PubmedArticleSet (e.g. a fixture file)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    articles: dict[str, bytes] = {}
    for article in root.iter("PubmedArticle"):
        pmid = article.findtext("MedlineCitation/PMID")
        if pmid:
            articles[pmid.strip()] = etree.tostring(article, with_tail=False)
    return articles


def _uid_list(term: str) -> list[str] | None:
    """The PMIDs of a term made only of ``N[uid]``/``N[pmid]`` joined by OR; else None."""
    inner = term.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    matches = [_UID_TERM.fullmatch(part) for part in inner.split(" OR ")]
    if not all(matches):
        return None
    return [match.group(1) for match in matches if match]


def _date_span(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of an esearch date, "YYYY", "YYYY/MM" or "YYYY/MM/DD"."""
    match = _DATE.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(g) if g else None for g in match.groups())
        if month is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return dt.date(year, month, 1), dt.date(year, month, last)
        return dt.date(year, month, day), dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"Invalid date: {text} (use YYYY/MM/DD, YYYY/MM or YYYY)") from None


def _retitled(article: bytes, title: Callable[[bytes], bytes]) -> bytes:
    """``article`` with its first ``<ArticleTitle>`` content replaced by ``title(content)``."""
    return _ARTICLE_TITLE.sub(
        lambda m: m.group(1) + title(m.group(2)) + m.group(3), article, count=1
    )


def _not_among(pmids: list[str]) -> str:
    """The smallest PMID that is not one of ``pmids`` (for the foreign-id fault)."""
    taken = set(pmids)
    candidate = 1
    while str(candidate) in taken:
        candidate += 1
    return str(candidate)


#: MedlineCitation's children that follow CommentsCorrectionsList (pubmed_250101.dtd).
_AFTER_COMMENTS_CORRECTIONS = {
    "GeneSymbolList", "MeshHeadingList", "NumberOfReferences", "PersonalNameSubjectList",
    "OtherID", "OtherAbstract", "KeywordList", "CoiStatement", "SpaceFlightMission",
    "InvestigatorList", "GeneralNote",
}  # fmt: skip


def retracted_version(article: bytes, title: str, notice_pmid: str = "99999999") -> bytes:
    """``article`` as PubMed shows it once retracted: retitled, with the publication type
    "Retracted Publication" and a ``RetractionIn`` link to the notice (PubMed's shapes, as in
    the records of retracted papers), for :meth:`EutilsStandIn.update_article`."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(article, parser)
    citation = root.find("MedlineCitation")
    citation.find("Article/ArticleTitle").text = title
    types = citation.find("Article/PublicationTypeList")
    if types is None:
        types = etree.SubElement(citation.find("Article"), "PublicationTypeList")
    etree.SubElement(types, "PublicationType", UI="D016441").text = "Retracted Publication"
    notices = citation.find("CommentsCorrectionsList")
    if notices is None:
        notices = etree.Element("CommentsCorrectionsList")
        later = [child for child in citation if child.tag in _AFTER_COMMENTS_CORRECTIONS]
        if later:
            later[0].addprevious(notices)
        else:
            citation.append(notices)
    notice = etree.SubElement(notices, "CommentsCorrections", RefType="RetractionIn")
    etree.SubElement(notice, "RefSource").text = "Retraction notice. 2026"
    etree.SubElement(notice, "PMID", Version="1").text = notice_pmid
    return etree.tostring(root, encoding="UTF-8")


def _nonnegative(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit():
        raise ValueError(f"Invalid {name} value: {raw}")
    return int(raw)


def _esearch_error(message: str) -> _Reply:
    xml = f"{ESEARCH_PROLOG}<eSearchResult><ERROR>{escape(message)}</ERROR></eSearchResult>\n"
    return _Reply(200, xml.encode())


def _efetch_error(message: str) -> _Reply:
    error = f"<eFetchResult>\n\t<ERROR>{escape(message)}</ERROR>\n</eFetchResult>\n"
    return _Reply(400, (EFETCH_ERROR_PROLOG + error).encode())


def _citmatch_result(result: object) -> str:
    """The last field of an ecitmatch line, for what the ``citmatch`` callable returned."""
    if result is None:
        return "NOT_FOUND"
    if isinstance(result, str):
        if result.isdigit() or result.startswith("NOT_FOUND"):
            return result
        raise ValueError(f"citmatch returned {result!r}: want a PMID or 'NOT_FOUND...'")
    if isinstance(result, list | tuple):
        pmids = [str(p) for p in result]
        bad = [p for p in pmids if not p.isdigit()]
        if bad:
            raise ValueError(f"citmatch returned non-PMIDs {bad!r}")
        if not pmids:
            return "NOT_FOUND"
        if len(pmids) == 1:
            return pmids[0]
        return "AMBIGUOUS " + ",".join(pmids)
    raise TypeError(f"citmatch returned {type(result).__name__}: want str, list or None")


def _cut_mid_line(body: bytes) -> bytes:
    """Cut a text body inside the line at its middle, half-way along that line."""
    middle = len(body) // 2
    start = body.rfind(b"\n", 0, middle) + 1
    end = body.find(b"\n", middle)
    end = len(body) if end < 0 else end
    return body[: start + max(1, (end - start) // 2)]


def _stand_in_400(message: str) -> _Reply:
    """A stand-in restriction (what NCBI answers here is unknown): a plain-text 400."""
    return _Reply(400, f"stand-in: {message}\n".encode(), loopback.TEXT)


def _not_xml(retmode: str) -> _Reply:
    """A stand-in restriction (NCBI would answer): the project's client must ask for XML."""
    return _Reply(
        400, f"stand-in serves retmode=xml only, not {retmode!r}\n".encode(), loopback.TEXT
    )


def _error_list(errors: Iterable[StandInQueryError]) -> str:
    items = sorted(errors, key=lambda e: StandInQueryError.KINDS.index(e.kind))
    if not items:
        return ""
    inner = "".join(f"<{e.kind}>{escape(e.phrase)}</{e.kind}>" for e in items)
    return f"<ErrorList>{inner}</ErrorList>"


def _warning_list(warnings: Iterable[tuple[str, str]]) -> str:
    items = list(warnings)
    for kind, _ in items:
        if kind not in _WARNING_ORDER:
            raise ValueError(f"warning kind must be one of {_WARNING_ORDER}, not {kind!r}")
    if not items:
        return ""
    items.sort(key=lambda kv: _WARNING_ORDER.index(kv[0]))
    inner = "".join(f"<{kind}>{escape(text)}</{kind}>" for kind, text in items)
    return f"<WarningList>{inner}</WarningList>"
