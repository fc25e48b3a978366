"""The one NCBI E-utilities client: rate limit, timeouts, retries, response validation.

Every request is an HTTP POST, so query terms, PMID lists and the API key travel in the
body and never in a URL that an exception message, a proxy log or Snakemake could record.
Bio.Entrez is not used for transport: its throttle is per process (Snakemake runs searches
as parallel processes) and it does not back off on HTTP 429; see README "Why not Bio.Entrez".

Retries (tenacity) cover what may succeed a moment later: 429, 5xx, timeouts, reset
connections, HTTP 200 bodies that are HTML pages, truncated XML or hold fewer articles than
asked, and esearch backend failures. After the last attempt the caller gets an EutilsError
that says what happened; nothing is returned half-done.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import requests
from lxml import etree
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from .errors import (
    BadResponse,
    EutilsError,
    LivescreenError,
    QueryError,
    RateLimited,
    ServiceUnavailable,
    TransientError,
)
from .ratelimit import SharedRateLimiter

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
API_KEY_ENV = "NCBI_API_KEY"
# NCBI's published limits: 3 requests/s without an API key, 10 with one.
RATE_WITHOUT_KEY = 3
RATE_WITH_KEY = 10
# esearch cannot page past the first 10,000 PubMed records (retstart + retmax <= 9,999 ids).
PUBMED_RETRIEVAL_CAP = 9999

log = logging.getLogger("livescreen.eutils")
T = TypeVar("T")

# No DTD download, no entity expansion, no network: responses are data, not instructions.
SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)
# NCBI esearch <ERROR> texts that describe a backend hiccup rather than a bad query.
TRANSIENT_SEARCH_ERRORS = re.compile(
    r"backend|temporar|unavailable|timed? ?out|try again|unable to obtain", re.IGNORECASE
)


@dataclass
class ESearchResult:
    """What esearch said about one query (one date window, when windows are used)."""

    count: int
    ids: list[str]
    translation: str | None = None
    warnings: list[str] = field(default_factory=list)
    webenv: str | None = None
    query_key: str | None = None


@dataclass
class CitationMatch:
    """ECitMatch's answer for one citation: a PMID, candidates of an AMBIGUOUS match, or none."""

    key: str
    status: str  # "found", "ambiguous" or "not_found"
    pmid: str | None = None
    candidates: list[str] = field(default_factory=list)
    detail: str = ""  # NCBI's text after the status, e.g. "INVALID_JOURNAL"


class EutilsClient:
    """E-utilities over HTTP, polite across every process that shares this machine."""

    source = "pubmed"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        email: str = "",
        tool: str = "livescreen",
        api_key: str | None = None,
        requests_per_second: int | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        session: requests.Session | None = None,
        limiter: SharedRateLimiter | None = None,
    ):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.email = email
        self.tool = tool
        self._api_key = api_key or None
        rate = requests_per_second or (RATE_WITH_KEY if self._api_key else RATE_WITHOUT_KEY)
        # One limiter per server: NCBI counts per address or key, a stand-in per port.
        self.limiter = limiter or SharedRateLimiter(rate, key=self.base_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.session = session or requests.Session()
        self.requests_sent = 0

    @classmethod
    def from_config(cls, config: dict, api_key: str | None = None) -> EutilsClient:
        """Build a client from validated config; the API key comes only from the environment."""
        return cls(
            config["eutils_base_url"],
            email=config.get("email", ""),
            tool=config.get("tool", "livescreen"),
            api_key=api_key if api_key is not None else os.environ.get(API_KEY_ENV),
            requests_per_second=config.get("requests_per_second"),
            timeout=config.get("timeout", 30),
            max_retries=config.get("max_retries", 6),
        )

    @property
    def label(self) -> str:
        """How outputs name this source: the base URL (never the key)."""
        return f"PubMed via {self.base_url}"

    # -- the two E-utilities livescreen needs -------------------------------------------

    def esearch(
        self,
        term: str,
        *,
        retmax: int = PUBMED_RETRIEVAL_CAP,
        mindate: str | None = None,
        maxdate: str | None = None,
    ) -> ESearchResult:
        """Run one PubMed search on the history server and return its IDs and messages."""
        params = {"db": "pubmed", "term": term, "retmax": str(retmax), "usehistory": "y"}
        if mindate or maxdate:
            params.update(datetype="pdat", mindate=mindate or "1000", maxdate=maxdate or "3000")
        return self._request("esearch.fcgi", params, parse_esearch)

    def efetch(self, pmids: Sequence[str]) -> bytes:
        """Fetch PubMed XML for these PMIDs; the body is checked to hold every one of them."""
        wanted = list(dict.fromkeys(pmids))
        params = {"db": "pubmed", "id": ",".join(wanted), "retmode": "xml"}
        return self._request("efetch.fcgi", params, lambda body: check_efetch(body, wanted))

    def ecitmatch(self, citations: Sequence[dict]) -> list[CitationMatch]:
        """Match citations to PMIDs in one request.

        Each citation: journal, year, volume, first_page, author ("Surname Initials"), key.
        """
        lines = [citation_line(c) for c in citations]
        params = {"db": "pubmed", "retmode": "xml", "bdata": "\r".join(lines)}
        keys = [str(c["key"]) for c in citations]
        return self._request("ecitmatch.cgi", params, lambda body: parse_ecitmatch(body, keys))

    # -- plumbing ----------------------------------------------------------------------

    def _request(self, endpoint: str, params: dict, parse: Callable[[bytes], T]) -> T:
        attempts = self.max_retries + 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            before_sleep=lambda state: log.warning(
                "%s attempt %d failed: %s; retrying",
                endpoint,
                state.attempt_number,
                self._redact(str(state.outcome.exception())),
            ),
        )
        try:
            return retrying(self._send, endpoint, params, parse)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise EutilsError(
                f"{endpoint} at {self.base_url} failed after {attempts} attempts; "
                f"last error: {self._redact(str(last))}"
            ) from None

    def _wait(self, state) -> float:
        backoff = wait_exponential_jitter(
            multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.backoff_initial
        )(state)
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None) or 0.0
        return max(backoff, min(retry_after, self.backoff_max))

    def _send(self, endpoint: str, params: dict, parse: Callable[[bytes], T]) -> T:
        data = dict(params, tool=self.tool, email=self.email)
        if self._api_key:
            data["api_key"] = self._api_key
        self.limiter.acquire()
        started = time.monotonic()
        self.requests_sent += 1
        try:
            response = self.session.post(self.base_url + endpoint, data=data, timeout=self.timeout)
        except requests.Timeout as exc:
            message = f"no answer within {self.timeout:g} s ({type(exc).__name__})"
            raise ServiceUnavailable(message) from None
        except requests.ConnectionError as exc:
            raise ServiceUnavailable(f"connection failed: {self._redact(str(exc))}") from None
        log.info(
            "%s HTTP %d, %d bytes in %.2f s",
            endpoint,
            response.status_code,
            len(response.content),
            time.monotonic() - started,
        )
        try:
            check_status(response)
            return parse(response.content)
        except LivescreenError as exc:
            # NCBI echoes the API key in some bodies (429); messages quote bodies.
            exc.args = (self._redact(str(exc)),)
            raise

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def check_status(response: requests.Response) -> None:
    """Raise the right error for a non-200 answer or an HTML page served with 200."""
    status = response.status_code
    excerpt = _excerpt(response.content)
    if status == 429:
        raise RateLimited(f"HTTP 429 rate limit exceeded: {excerpt}", _retry_after(response))
    if status >= 500:
        raise ServiceUnavailable(f"HTTP {status} from the server: {excerpt}")
    if status != 200:
        raise EutilsError(f"HTTP {status} (request rejected, not retried): {excerpt}")
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type.lower() or _looks_like_html(response.content):
        raise BadResponse(f"an HTML page came back instead of XML: {excerpt}")


def parse_esearch(body: bytes) -> ESearchResult:
    """Read an eSearchResult; raise QueryError for a query NCBI cannot run."""
    root = parse_xml(body, "esearch")
    error = root.findtext("ERROR")
    if error:
        if TRANSIENT_SEARCH_ERRORS.search(error):
            raise ServiceUnavailable(f"esearch backend error: {error}")
        raise QueryError(f"PubMed rejected the query: {error}")
    fields_not_found = [e.text or "" for e in root.iterfind("ErrorList/FieldNotFound")]
    if fields_not_found:
        raise QueryError(f"PubMed does not know the field(s): {', '.join(fields_not_found)}")
    count = root.findtext("Count")
    if count is None:
        raise BadResponse("esearch answer has no <Count>")
    warnings = [
        f"{element.tag}: {element.text}" for element in root.iterfind("ErrorList/*") if element.text
    ] + [
        f"{element.tag}: {element.text}"
        for element in root.iterfind("WarningList/*")
        if element.text
    ]
    return ESearchResult(
        count=int(count),
        ids=[i.text for i in root.iterfind("IdList/Id") if i.text],
        translation=root.findtext("QueryTranslation"),
        warnings=warnings,
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
    )


def citation_line(citation: dict) -> str:
    """One ECitMatch bdata line; '|' and line breaks inside a field would break the format."""
    fields = ("journal", "year", "volume", "first_page", "author", "key")
    values = [re.sub(r"[|\r\n]+", " ", str(citation.get(f) or "")).strip() for f in fields]
    return "|".join(values) + "|"


def parse_ecitmatch(body: bytes, keys: list[str]) -> list[CitationMatch]:
    """Read ECitMatch's text answer; every key asked for must be answered."""
    if _looks_like_html(body):
        raise BadResponse(f"ecitmatch answer is an HTML page: {_excerpt(body)}")
    answers: dict[str, CitationMatch] = {}
    for line in body.decode("utf-8", "replace").splitlines():
        parts = line.strip().split("|")
        if len(parts) < 7:
            continue
        key, result = parts[5].strip(), "|".join(parts[6:]).strip()
        answers[key] = _citation_result(key, result)
    missing = [key for key in keys if key not in answers]
    if missing:
        raise BadResponse(f"ecitmatch answer lacks citation(s) {', '.join(missing)}")
    return [answers[key] for key in keys]


def _citation_result(key: str, result: str) -> CitationMatch:
    if result.isdigit():
        return CitationMatch(key, "found", pmid=result)
    if result.upper().startswith("AMBIGUOUS"):
        rest = result[len("AMBIGUOUS") :]
        # candidates are PMIDs; "(2 citations)" is a count, not a PMID
        numbers = re.findall(r"\d+", rest)
        candidates = [n for n in numbers if not re.search(rf"\b{n}\s+citations?\b", rest)]
        return CitationMatch(key, "ambiguous", candidates=candidates, detail=result)
    return CitationMatch(key, "not_found", detail=result.partition(";")[2].strip())


def check_efetch(body: bytes, wanted: list[str]) -> bytes:
    """Return the body if it is well-formed PubMed XML holding every wanted PMID."""
    root = parse_xml(body, "efetch")
    if root.tag != "PubmedArticleSet":
        raise BadResponse(f"efetch answer is <{root.tag}>, not <PubmedArticleSet>")
    found = set(
        root.xpath(
            "PubmedArticle/MedlineCitation/PMID/text() | PubmedBookArticle/BookDocument/PMID/text()"
        )
    )
    missing = [pmid for pmid in wanted if pmid not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise BadResponse(
            f"efetch returned {len(found)} of {len(wanted)} records asked for; "
            f"missing PMIDs {shown}"
        )
    return body


def parse_xml(body: bytes, what: str) -> etree._Element:
    if _looks_like_html(body):
        raise BadResponse(f"{what} answer is an HTML page, not XML: {_excerpt(body)}")
    try:
        return etree.fromstring(body, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadResponse(f"{what} answer is truncated or malformed XML ({exc})") from None


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]


def _excerpt(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return " ".join(text.split()) + ("..." if len(body) > limit else "")


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
