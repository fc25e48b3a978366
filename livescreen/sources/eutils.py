"""The one NCBI E-utilities client: rate limit, timeouts, retries, response validation.

Every request is an HTTP POST, so query terms, PMID lists and the API key travel in the
body and never in a URL that an exception message, a proxy log or Snakemake could record.
Bio.Entrez is not used for transport: its throttle is per process (Snakemake runs searches
as parallel processes) and it does not back off on HTTP 429; see README "Why not Bio.Entrez".

Rate limit, timeouts and retries are `livescreen.sources.http.PoliteClient`'s; this module says
what counts as a good answer: truncated XML, efetch answers missing a PMID asked for,
change checks naming a PMID not asked about, ECitMatch answers missing a citation and
esearch backend failures are retried (`TransientError`); a query NCBI cannot run fails at
once (`QueryError`).

Answers are untrusted data, checked at the boundary before anything downstream sees them:
every id a server names must look like one (a PMID is 1 to 9 ASCII digits), and an efetch
answer is fit to store only as a whole (`efetch_articles`): no DTD internal subset, no
entity declaration or reference, each article asked for, once, every one asked for there,
and each accepted by the real parser (`livescreen.parse.pubmed_xml`) in the form the store keeps.
Anything else is a `BadResponse`, retried like any bad answer, whose message names the
request, the PMIDs and the reason, quoting what the server sent only through `shown_id`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

from livescreen.errors import BadResponse, QueryError, ServiceUnavailable
from livescreen.parse.pubmed_xml import PubmedXmlError, parse_articles
from livescreen.sources.http import OverHttp, PoliteClient, excerpt_of, looks_like_html

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
# What a PMID is (ASCII digits only: str.isdigit() and \d also accept "²" and "٣"). Checked
# with fullmatch, so no trailing newline or space slips through.
PMID_PATTERN = re.compile(r"[0-9]{1,9}")
ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle")
# A DOCTYPE naming only an external DTD, as NCBI sends it (never loaded); anything after the
# name but an external id (an internal subset "[...]") declares something and is refused.
_LITERAL = rb"(?:\"[^\"]*\"|'[^']*')"
_EXTERNAL_ID = rb"(?:PUBLIC\s+" + _LITERAL + rb"\s+" + _LITERAL + rb"|SYSTEM\s+" + _LITERAL + rb")"
_DOCTYPE_START = re.compile(rb"<!DOCTYPE\b")
# An entity reference other than XML's five and character references ("&name;"), found in the
# bytes, so one in an attribute value (which the parser would silently drop) is seen too.
ENTITY_REF = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)[^;\s<>&\"']*;?")
_PLAIN_DOCTYPE = re.compile(rb"<!DOCTYPE\s+[^\s>\[]+(?:\s+" + _EXTERNAL_ID + rb")?\s*>")


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
        what = f"esearch for {shown_id(term, 60)}"
        return self._post("esearch.fcgi", params, lambda body: parse_esearch(body, what))

    def efetch(self, pmids: Sequence[str]) -> bytes:
        """Fetch PubMed XML for these PMIDs; the body is checked to be fit to store as a whole
        (`efetch_articles`), so it holds every one of them and nothing else."""
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


def parse_esearch(body: bytes, what: str = "esearch") -> ESearchResult:
    """Read an eSearchResult; raise QueryError for a query NCBI cannot run, and BadResponse
    for an id that is not a PMID (it would travel to every later step as if it were one)."""
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
    if not re.fullmatch(r"[0-9]+", count):
        raise BadResponse(f"{what}: <Count> is {shown_id(count)}, not a number")
    ids = [i.text or "" for i in root.iterfind("IdList/Id")]
    return ESearchResult(
        count=int(count),
        ids=check_pmids(ids, f"{what}: the answer lists"),
        translation=root.findtext("QueryTranslation"),
        warnings=warnings,
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
    )


def check_modified(body: bytes, wanted: list[str], what: str) -> list[str]:
    """The PMIDs a change check found. Each must be one asked about (anything else means the
    answer is not for this request) and all must be listed, or a changed record is missed."""
    result = parse_esearch(body, what)
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


def shown_id(value: object, limit: int = 40) -> str:
    """What a server sent where an id belongs, as a message may quote it: repr (so quotes,
    control characters and formula signs show as what they are) and cut to `limit`
    characters, so a hostile answer cannot flood a log or forge its lines."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "..."


def is_pmid(value: object) -> bool:
    return isinstance(value, str) and PMID_PATTERN.fullmatch(value) is not None


def check_pmids(ids: list[str], what: str) -> list[str]:
    """`ids` if every one is a PMID; else BadResponse "<what> N id(s) that are not PMIDs"."""
    bad = [value for value in ids if not is_pmid(value)]
    if bad:
        quoted = ", ".join(shown_id(value) for value in bad[:3]) + (" ..." if len(bad) > 3 else "")
        raise BadResponse(f"{what} {len(bad)} id(s) that are not PMIDs (1 to 9 digits): {quoted}")
    return ids


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
    """One answer line's result: a PMID, AMBIGUOUS (candidates, or a count of them) or
    NOT_FOUND[;reason]. Anything else is not an answer NCBI gives, so not taken for a miss."""
    what = f"ecitmatch answer for citation {shown_id(key)}"
    if is_pmid(result):
        return CitationMatch(key, "found", pmid=result)
    if result.upper().startswith("AMBIGUOUS"):
        # candidates are PMIDs; "(2 citations)" is a count of them, not a PMID
        rest = re.sub(r"\([0-9]+ citations?\)", " ", result[len("AMBIGUOUS") :])
        candidates = [c for c in re.split(r"[\s,]+", rest) if c]
        check_pmids(candidates, f"{what}: AMBIGUOUS lists")
        return CitationMatch(key, "ambiguous", candidates=candidates, detail=result)
    if result.upper().startswith("NOT_FOUND"):
        return CitationMatch(key, "not_found", detail=result.partition(";")[2].strip())
    raise BadResponse(
        f"{what}: {shown_id(result)} is neither a PMID (1 to 9 digits), AMBIGUOUS nor NOT_FOUND"
    )


def check_efetch(body: bytes, wanted: list[str]) -> bytes:
    """Return the body if the whole of it is fit to store (`efetch_articles`)."""
    efetch_articles(body, wanted)
    return body


def efetch_articles(body: bytes, wanted: Sequence[str]) -> list[tuple[str, bytes]]:
    """(pmid, article XML as the store keeps it) for each article of an efetch answer, in
    order, once the whole answer was found fit to store; else BadResponse with the reason.

    A poisoned answer must not reach the store, where it would fail every later run (or
    overwrite a good record): so the answer may declare nothing (no DTD internal subset, no
    entity declaration or reference), every article must carry a PMID asked for, once, every
    PMID asked for must be there, and the real parser must accept each article as stored.
    """
    asked = list(dict.fromkeys(wanted))
    root = parse_xml(body, "efetch")
    if root.tag != "PubmedArticleSet":
        raise BadResponse(f"efetch answer is <{shown_id(root.tag)}>, not <PubmedArticleSet>")
    _refuse_declarations(body, root)
    articles = [(article_pmid(article, n), article) for n, article in _articles(root)]
    _check_article_pmids([pmid for pmid, _ in articles], asked)
    stored = [(pmid, etree.tostring(article, encoding="UTF-8")) for pmid, article in articles]
    for pmid, xml in stored:
        _check_parses(pmid, xml)
    return stored


def _articles(root: etree._Element) -> list[tuple[int, etree._Element]]:
    return [(n, a) for n, a in enumerate(root, start=1) if a.tag in ARTICLE_TAGS]


def article_pmid(article: etree._Element, position: int) -> str:
    """The PMID an article carries; BadResponse when it has none or one that is not a PMID."""
    pmid = article.findtext("MedlineCitation/PMID")
    if pmid is None:
        pmid = article.findtext("BookDocument/PMID")
    if pmid is None:
        raise BadResponse(f"efetch answer rejected: article {position} has no PMID")
    if not is_pmid(pmid.strip()):
        raise BadResponse(
            f"efetch answer rejected: article {position} has PMID {shown_id(pmid)}, "
            "not a PMID (1 to 9 digits)"
        )
    return pmid.strip()


def _refuse_declarations(body: bytes, root: etree._Element) -> None:
    """No DTD internal subset and no entity reference: a declared entity can point at a
    local file or a URL (XXE) or expand without end, and an unexpanded reference stored
    would make the parse step fail on every run."""
    reasons = []
    start = _DOCTYPE_START.search(body)
    if start is not None and not _PLAIN_DOCTYPE.match(body, start.start()):
        dtd = root.getroottree().docinfo.internalDTD
        names = [entity.name for entity in dtd.iterentities()] if dtd is not None else []
        declared = f" declaring entities {', '.join(map(shown_id, names[:5]))}" if names else ""
        reasons.append(f"it carries a DTD internal subset{declared}")
    entities: dict[str, list[str]] = {}
    for entity in root.iter(etree.Entity):
        entities.setdefault(entity.text, []).append(_pmid_around(entity))
    for text, where in list(entities.items())[:5]:
        pmids = _shown(list(dict.fromkeys(where)))
        reasons.append(f"entity reference {shown_id(text)} in PMID(s) {pmids}")
    elsewhere = {m.decode("utf-8", "replace") for m in ENTITY_REF.findall(body)} - set(entities)
    if elsewhere:
        shown = ", ".join(map(shown_id, sorted(elsewhere)[:5]))
        reasons.append(f"entity reference(s) {shown} outside element text")
    if reasons:
        raise BadResponse(f"efetch answer rejected: {'; '.join(reasons)}")


def _pmid_around(node: etree._Element) -> str:
    """The PMID of the article holding `node`, for messages ("?" if it names none)."""
    for ancestor in node.iterancestors(*ARTICLE_TAGS):
        pmid = ancestor.findtext("MedlineCitation/PMID") or ancestor.findtext("BookDocument/PMID")
        return pmid.strip() if pmid and is_pmid(pmid.strip()) else "?"
    return "?"


def _check_article_pmids(found: list[str], asked: list[str]) -> None:
    """Each article one asked for, each once, every one asked for there."""
    wanted = set(asked)
    foreign = [pmid for pmid in dict.fromkeys(found) if pmid not in wanted]
    if foreign:
        raise BadResponse(f"efetch answer rejected: PMID(s) not asked for: {_shown(foreign)}")
    copies = Counter(found)
    twice = [pmid for pmid, count in copies.items() if count > 1]
    if twice:
        raise BadResponse(f"efetch answer rejected: PMID(s) served more than once: {_shown(twice)}")
    missing = [pmid for pmid in asked if pmid not in copies]
    if missing:
        raise BadResponse(
            f"efetch returned {len(copies)} of {len(asked)} records asked for; "
            f"missing PMIDs {_shown(missing)}"
        )


def _check_parses(pmid: str, xml: bytes) -> None:
    """The parse step reads stored articles inside a bare <PubmedArticleSet>: this one must
    give exactly its own record there."""
    try:
        records = parse_articles(b"<PubmedArticleSet>" + xml + b"</PubmedArticleSet>")
    except PubmedXmlError as exc:
        raise BadResponse(
            f"efetch answer rejected: the parser refuses PMID {pmid}: "
            f"{excerpt_of(str(exc).encode())}"
        ) from None
    if [record["pmid"] for record in records] != [pmid]:
        raise BadResponse(f"efetch answer rejected: PMID {pmid} does not parse as one record")


def parse_xml(body: bytes, what: str) -> etree._Element:
    if looks_like_html(body):
        raise BadResponse(f"{what} answer is an HTML page, not XML: {excerpt_of(body)}")
    try:
        return etree.fromstring(body, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadResponse(
            f"{what} answer is truncated or malformed XML ({excerpt_of(str(exc).encode())})"
        ) from None
