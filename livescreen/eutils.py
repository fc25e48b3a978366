"""The one NCBI E-utilities client: rate limit, timeouts, retries, response validation.

Every request is an HTTP POST, so query terms, PMID lists and the API key travel in the
body and never in a URL that an exception message, a proxy log or Snakemake could record.
Bio.Entrez is not used for transport: its throttle is per process (Snakemake runs searches
as parallel processes) and it does not back off on HTTP 429; see README "Why not Bio.Entrez".

Rate limit, timeouts and retries are `livescreen.http.PoliteClient`'s; this module says
what counts as a good answer: truncated XML, efetch answers missing a PMID asked for,
change checks naming a PMID not asked about, ECitMatch answers missing a citation and
esearch backend failures are retried (`TransientError`); a query NCBI cannot run fails at
once (`QueryError`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from .errors import BadResponse, QueryError, ServiceUnavailable
from .http import OverHttp, PoliteClient, excerpt_of, looks_like_html

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
API_KEY_ENV = "NCBI_API_KEY"
# NCBI's published limits: 3 requests/s without an API key, 10 with one.
RATE_WITHOUT_KEY = 3
RATE_WITH_KEY = 10
# esearch cannot page past the first 10,000 PubMed records (retstart + retmax <= 9,999 ids).
PUBMED_RETRIEVAL_CAP = 9999
# PMIDs per change check: every one the check finds must fit one answer (far under the
# retrieval cap), and 5,000 `N[uid]` clauses (~70 KB) travel in a POST body, never a URL
# (NCBI: "for very long queries ... consider using an HTTP POST call"; EPost takes at most
# 10,000 PubMed UIDs per request).
CHANGE_CHECK_CHUNK = 5000

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


class EutilsClient(OverHttp):
    """E-utilities over HTTP, polite across every process that shares this machine."""

    source = "pubmed"
    # PubMed revises records after they are fetched (titles corrected, retractions linked).
    changes_upstream = True

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        email: str = "",
        tool: str = "livescreen",
        api_key: str | None = None,
        requests_per_second: int | None = None,
        **http_options,
    ):
        self.email = email
        self.tool = tool
        self._api_key = api_key or None
        rate = requests_per_second or (RATE_WITH_KEY if self._api_key else RATE_WITHOUT_KEY)
        self.http = PoliteClient(base_url, rate=rate, secrets=[self._api_key or ""], **http_options)

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

    # -- the E-utilities livescreen needs ------------------------------------------------

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
        return self._post("esearch.fcgi", params, parse_esearch)

    def efetch(self, pmids: Sequence[str]) -> bytes:
        """Fetch PubMed XML for these PMIDs; the body is checked to hold every one of them."""
        wanted = list(dict.fromkeys(pmids))
        params = {"db": "pubmed", "id": ",".join(wanted), "retmode": "xml"}
        return self._post("efetch.fcgi", params, lambda body: check_efetch(body, wanted))

    def modified_among(
        self, pmids: Sequence[str], mindate: str, maxdate: str = "3000"
    ) -> list[str]:
        """Which of `pmids` PubMed modified from `mindate` to `maxdate` ("YYYY/MM/DD"): one
        POST esearch for the PMID list, limited by modification date (`datetype=mdat`).

        PubMed sets a record's modification date whenever it revises the record (a corrected
        title, a retraction, erratum or expression of concern linked to it, new indexing), so
        a stored copy is stale exactly when that date falls after the copy was fetched.
        """
        wanted = list(dict.fromkeys(pmids))
        if not 0 < len(wanted) <= CHANGE_CHECK_CHUNK:
            raise ValueError(f"a change check asks about 1 to {CHANGE_CHECK_CHUNK} PMIDs")
        params = {
            "db": "pubmed",
            "term": " OR ".join(f"{pmid}[uid]" for pmid in wanted),
            "retmax": str(len(wanted)),
            "datetype": "mdat",
            "mindate": mindate,
            "maxdate": maxdate,
        }
        what = (
            f"change check of {len(wanted)} PMID(s) ({wanted[0]} ... {wanted[-1]}) "
            f"modified {mindate}-{maxdate}"
        )
        return self._post("esearch.fcgi", params, lambda body: check_modified(body, wanted, what))

    def ecitmatch(self, citations: Sequence[dict]) -> list[CitationMatch]:
        """Match citations to PMIDs in one request.

        Each citation: journal, year, volume, first_page, author ("Surname Initials"), key.
        """
        lines = [citation_line(c) for c in citations]
        params = {"db": "pubmed", "retmode": "xml", "bdata": "\r".join(lines)}
        keys = [str(c["key"]) for c in citations]
        return self._post("ecitmatch.cgi", params, lambda body: parse_ecitmatch(body, keys))

    def _post(self, endpoint: str, params: dict, parse: Callable[[bytes], T]) -> T:
        # POST keeps terms, PMID lists and the key out of URLs (and so out of messages).
        data = dict(params, tool=self.tool, email=self.email)
        if self._api_key:
            data["api_key"] = self._api_key
        return self.http.request("POST", endpoint, parse, data=data)


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


def check_modified(body: bytes, wanted: list[str], what: str) -> list[str]:
    """The PMIDs a change check found. Each must be one asked about (anything else means the
    answer is not for this request) and all must be listed, or a changed record is missed."""
    result = parse_esearch(body)
    asked = set(wanted)
    foreign = [pmid for pmid in result.ids if pmid not in asked]
    if foreign:
        raise BadResponse(f"{what}: esearch returned PMID(s) not asked about: {_shown(foreign)}")
    if result.count != len(result.ids):
        raise BadResponse(
            f"{what}: esearch counted {result.count} records but listed {len(result.ids)}"
        )
    return list(dict.fromkeys(result.ids))


def _shown(pmids: list[str]) -> str:
    return ", ".join(pmids[:10]) + (" ..." if len(pmids) > 10 else "")


def citation_line(citation: dict) -> str:
    """One ECitMatch bdata line; '|' and line breaks inside a field would break the format."""
    fields = ("journal", "year", "volume", "first_page", "author", "key")
    values = [re.sub(r"[|\r\n]+", " ", str(citation.get(f) or "")).strip() for f in fields]
    return "|".join(values) + "|"


def parse_ecitmatch(body: bytes, keys: list[str]) -> list[CitationMatch]:
    """Read ECitMatch's text answer; every key asked for must be answered."""
    if looks_like_html(body):
        raise BadResponse(f"ecitmatch answer is an HTML page: {excerpt_of(body)}")
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
        raise BadResponse(
            f"efetch returned {len(found)} of {len(wanted)} records asked for; "
            f"missing PMIDs {_shown(missing)}"
        )
    return body


def parse_xml(body: bytes, what: str) -> etree._Element:
    if looks_like_html(body):
        raise BadResponse(f"{what} answer is an HTML page, not XML: {excerpt_of(body)}")
    try:
        return etree.fromstring(body, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadResponse(f"{what} answer is truncated or malformed XML ({exc})") from None
