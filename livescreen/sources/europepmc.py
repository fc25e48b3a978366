"""The Europe PMC client: REST ``search``, every page by ``cursorMark``, preprints included.

`EuropePmcClient.search` asks ``GET search`` (Europe PMC Articles RESTful API) with
``format=json``, ``resultType=core`` and ``pageSize`` up to 1,000, starting at
``cursorMark=*`` and sending each answer's ``nextCursorMark`` back, until every record the
first page's ``hitCount`` announced has come (no request past the last page), the cursor
stops moving, or a page comes back empty. The records collected must be exactly
``hitCount``, each once, or the search fails (`IncompleteResults`): nothing partial is
returned. `EuropePmcClient.search_pubmed` translates a PubMed query first
(`livescreen.sources.europepmc_query.to_europepmc`) and returns the translation and its
notes for the search log.

What the API documents and what clients report (Europe PMC RESTful web service reference
6.x; the ``europepmc`` R package and other public clients): the answer is ``{"version",
"hitCount", "nextCursorMark", "request", "resultList": {"result": [...]}}``; the first page is
``cursorMark=*``; ``pageSize`` is 1 to 1,000 (default 25); the last page's
``nextCursorMark`` repeats the cursor sent (or is missing). No API key exists, and none is
sent: this client's `PoliteClient` holds no secret, and NCBI's key stays with
`livescreen.sources.eutils`. Europe PMC asks for at most 10 requests a second; this client
sends at most 5 (`DEFAULT_RATE`), summed over every process on this machine.

Preprints: the translated query has no source filter, so ``SRC:PPR`` records come with the
rest. A preprint's ``commentCorrectionList`` entry of type ``"Preprint of"`` names its
journal version (``source`` MED with a PMID, or PMC), and a journal article's ``"Preprint
in"`` names its preprint: `parse_result` keeps both links (``published_version``,
``preprint_versions``) so deduplication can link the two instead of merging them.

Answers are untrusted data, checked where they are read (`parse_page`): an HTML page, a
truncated or malformed body, a page without ``hitCount`` or ``resultList.result``, a field of
the wrong type or an id that is not one (``id``/``source``, PMID, PMCID, PPR id) is a
`BadResponse`, retried like a 429 or a 5xx; values from the answer reach messages only
through `livescreen.sources.eutils.shown_id`. An answer carrying ``errMsg`` (a query Europe PMC
cannot run) is a `QueryError`, not retried.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from livescreen.errors import BadResponse, IncompleteResults, QueryError, RemoteError
from livescreen.sources.europepmc_query import EuropePmcQuery, to_europepmc
from livescreen.sources.eutils import is_pmid, shown_id
from livescreen.sources.http import OverHttp, PoliteClient, excerpt_of, looks_like_html

DEFAULT_EUROPEPMC_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
SEARCH_ENDPOINT = "search"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
DEFAULT_RATE = 5  # requests per second, machine-wide; Europe PMC asks for at most 10
FIRST_CURSOR = "*"

SOURCE_PATTERN = re.compile(r"[A-Z]{3}")  # MED, PMC, PPR, AGR, CBA, CTX, ETH, HIR, PAT
PMCID_PATTERN = re.compile(r"PMC[0-9]{1,9}")
PPR_PATTERN = re.compile(r"PPR[0-9]{1,9}")
NCT_IN_TEXT = re.compile(r"\bNCT[0-9]{8}\b", re.IGNORECASE)
# commentCorrection types, as Europe PMC words them (its PubMed-derived ones end in " in").
PREPRINT_OF = "preprint of"  # on a preprint: its journal version
PREPRINT_IN = "preprint in"  # on a journal article: its preprint
NOTICE_TYPES = {
    "retraction in": "retraction_notices",
    "retracted and republished in": "retraction_notices",
    "erratum in": "errata",
    "corrected and republished in": "republished_in",
    "expression of concern in": "expression_of_concern",
}
# Extra keys a Europe PMC record carries beside livescreen.parse.pubmed_xml.RECORD_KEYS.
EXTRA_KEYS = (
    "europepmc_id",
    "europepmc_source",
    "preprint",
    "published_version",
    "published_pmid",
    "preprint_versions",
    "first_publication_date",
)


@dataclass
class EuropePmcPage:
    """One page of ``GET search``, checked."""

    hit_count: int
    next_cursor: str | None
    results: list[dict]
    keys: list[str] = field(default_factory=list)  # "SOURCE:id" of each result


class EuropePmcClient(OverHttp):
    """Europe PMC REST search over HTTP, polite across every process on this machine."""

    source = "europepmc"
    # Europe PMC revises records (a preprint gains its journal version, retractions linked).
    changes_upstream = True

    def __init__(
        self,
        base_url: str = DEFAULT_EUROPEPMC_URL,
        *,
        requests_per_second: int = DEFAULT_RATE,
        page_size: int = DEFAULT_PAGE_SIZE,
        **http_options,
    ):
        self.page_size = check_page_size(page_size)
        # No secrets: Europe PMC takes no key, and NCBI's never comes here.
        self.http = PoliteClient(base_url, rate=requests_per_second, **http_options)

    @classmethod
    def from_config(cls, config: Mapping) -> EuropePmcClient:
        """A client from config: an optional ``europepmc`` block (``base_url``,
        ``page_size``, ``requests_per_second``), and ``timeout``, ``max_retries``."""
        block = config.get("europepmc") or {}
        return cls(
            block.get("base_url") or config.get("europepmc_base_url") or DEFAULT_EUROPEPMC_URL,
            requests_per_second=block.get("requests_per_second") or DEFAULT_RATE,
            page_size=block.get("page_size") or DEFAULT_PAGE_SIZE,
            timeout=config.get("timeout", 30),
            max_retries=config.get("max_retries", 6),
        )

    @property
    def label(self) -> str:
        return f"Europe PMC via {self.base_url}"

    def search_pubmed(self, pubmed_query: str, *, page_size: int | None = None) -> dict:
        """Translate a PubMed query to Europe PMC syntax and run it (`search`); the result
        also carries ``translation`` (a `EuropePmcQuery`: the PubMed query, the Europe PMC
        query and the notes for the search log)."""
        translation = to_europepmc(pubmed_query)
        result = self.search(translation.query, page_size=page_size)
        result["translation"] = translation
        return result

    def search(self, query: str, *, page_size: int | None = None) -> dict:
        """Every record matching a Europe PMC query, all pages, checked against ``hitCount``.

        Returns ``{"total", "records" (record dicts, `parse_result`, in the order served),
        "pages" (requests that succeeded), "query", "source", "source_label"}``.
        """
        if not query or not query.strip():
            raise QueryError("Europe PMC search needs a query: an empty one matches everything")
        size = check_page_size(self.page_size if page_size is None else page_size)
        params = {
            "query": query,
            "format": "json",
            "resultType": "core",
            "pageSize": str(size),
            "synonym": "false",
        }
        records: list[dict] = []
        seen: dict[str, int] = {}  # "SOURCE:id" -> page it came on
        cursors = {FIRST_CURSOR}
        cursor = FIRST_CURSOR
        total = pages = 0
        while True:
            page = self._get_page(dict(params, cursorMark=cursor), pages + 1, query)
            pages += 1
            if pages == 1:
                total = page.hit_count
            elif page.hit_count != total:
                raise IncompleteResults(
                    f"{describe(query)}: page {pages} announced hitCount {page.hit_count}, the "
                    f"first page {total}; Europe PMC changed while paging. Run the search again."
                )
            for key, result in zip(page.keys, page.results, strict=True):
                if key in seen:
                    raise IncompleteResults(
                        f"{describe(query)}: {key} came on page {seen[key]} and again on page "
                        f"{pages}; Europe PMC changed while paging. Run the search again."
                    )
                seen[key] = pages
                records.append(parse_result(result))
            if len(records) >= total or not page.results:
                break  # all announced are here (no request past the last page), or no more
            if page.next_cursor is None or page.next_cursor in cursors:
                break  # the cursor stopped moving: Europe PMC's end of the results
            cursors.add(page.next_cursor)
            cursor = page.next_cursor
        if len(records) != total:
            raise IncompleteResults(
                f"{describe(query)}: collected {len(records)} records over {pages} page(s) but "
                f"the first page announced hitCount {total}; not returned as if complete. Run "
                "the search again."
            )
        return {
            "total": total,
            "records": records,
            "pages": pages,
            "query": query,
            "source": self.source,
            "source_label": self.label,
        }

    def _get_page(self, params: dict, number: int, query: str) -> EuropePmcPage:
        try:
            return self.http.request("GET", SEARCH_ENDPOINT, parse_page, params=params)
        except QueryError as exc:
            raise QueryError(f"{describe(query)}: {exc}") from None
        except RemoteError as exc:
            raise RemoteError(f"{describe(query)}, page {number}: {exc}") from None


def check_page_size(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise QueryError(f"Europe PMC page_size must be an integer from 1 to {MAX_PAGE_SIZE}")
    return size


def describe(query: str) -> str:
    return f"Europe PMC search {shown_id(query, 120)}"


# -- reading an answer ---------------------------------------------------------------------


def parse_page(body: bytes) -> EuropePmcPage:
    """Check one ``GET search`` answer; anything incomplete or ill-typed is a `BadResponse`."""
    if looks_like_html(body):
        raise BadResponse(f"search answer is an HTML page, not JSON: {excerpt_of(body)}")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadResponse(f"search answer is truncated or malformed JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadResponse(f"search answer is not a JSON object: {excerpt_of(body)}")
    message = data.get("errMsg")
    if message:
        raise QueryError(f"Europe PMC rejected the query: {shown_id(message, 200)}")
    hits = data.get("hitCount")
    if isinstance(hits, bool) or not isinstance(hits, int) or hits < 0:
        raise BadResponse(f"search answer has no hitCount (a count): {shown_id(hits)}")
    result_list = data.get("resultList")
    results = result_list.get("result") if isinstance(result_list, dict) else None
    if results is None and hits == 0 and isinstance(result_list, dict):
        results = []
    if not isinstance(results, list):
        raise BadResponse(f"search answer has no resultList.result list: {excerpt_of(body)}")
    cursor = data.get("nextCursorMark")
    if cursor is not None and not isinstance(cursor, str):
        raise BadResponse(f"search answer's nextCursorMark is not a string: {shown_id(cursor)}")
    keys = [result_key(result, position) for position, result in enumerate(results, 1)]
    return EuropePmcPage(hit_count=hits, next_cursor=cursor or None, results=results, keys=keys)


def result_key(result: object, position: int) -> str:
    """ "SOURCE:id" of one result once its identifiers are checked; else BadResponse."""
    if not isinstance(result, dict):
        raise BadResponse(f"result {position} of the page is not an object")
    source, ident = result.get("source"), result.get("id")
    if not (isinstance(source, str) and SOURCE_PATTERN.fullmatch(source)):
        raise BadResponse(f"result {position} of the page has source {shown_id(source)}")
    where = f"result {position} of the page ({source})"
    checks = {"MED": is_pmid, "PMC": _is_pmcid, "PPR": _is_ppr}
    check = checks.get(source, _is_plain_id)
    if not check(ident):
        raise BadResponse(f"{where} has id {shown_id(ident)}, not a {source} id")
    for name, ok in (("pmid", is_pmid), ("pmcid", _is_pmcid)):
        value = result.get(name)
        if value is not None and not ok(value):
            raise BadResponse(f"{where} {ident} has {name} {shown_id(value)}, not a {name}")
    doi = result.get("doi")
    if doi is not None and not (isinstance(doi, str) and doi.startswith("10.") and len(doi) < 300):
        raise BadResponse(f"{where} {ident} has doi {shown_id(doi)}, not a DOI")
    return f"{source}:{ident}"


def _is_pmcid(value: object) -> bool:
    return isinstance(value, str) and PMCID_PATTERN.fullmatch(value) is not None


def _is_ppr(value: object) -> bool:
    return isinstance(value, str) and PPR_PATTERN.fullmatch(value) is not None


def _is_plain_id(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", value) is not None


# -- a result as a record --------------------------------------------------------------------


def parse_result(result: dict) -> dict:
    """One ``core`` result as a record with the keys of a PubMed record
    (`livescreen.parse.pubmed_xml.RECORD_KEYS`) plus `EXTRA_KEYS`.

    ``pmid`` is None for a record PubMed does not hold (most preprints). ``journal`` is the
    MEDLINE abbreviation (else the ISO one, else the title); for a preprint, its server
    (``bookOrReportDetails.publisher``, e.g. "medRxiv"). ``pub_date`` is the journal issue's
    year and month, else the first publication date (a preprint's posting date).
    ``published_version`` lists ``"SOURCE:id"`` of the journal version(s) a preprint names,
    ``published_pmid`` the first PMID among them; ``preprint_versions`` the preprints a
    journal article names. A field of the wrong type is a `BadResponse` naming it.
    """
    source, ident = result["source"], result["id"]
    get = _Getter(result, f"{source}:{ident}")
    journal_info = get.obj("journalInfo")
    journal = _Getter(journal_info, f"{source}:{ident} journalInfo").obj("journal")
    info = _Getter(journal_info, f"{source}:{ident} journalInfo")
    jget = _Getter(journal, f"{source}:{ident} journalInfo.journal")
    book = get.obj("bookOrReportDetails")
    publisher = _Getter(book, f"{source}:{ident} bookOrReportDetails").text("publisher")
    pub_types = get.texts("pubTypeList", "pubType")
    preprint = source == "PPR" or any(t.lower() == "preprint" for t in pub_types)
    links = _links(get)
    first_date = get.text("firstPublicationDate") or None
    pub_date = _pub_date(info, first_date, get.text("pubYear"))
    title = flatten_markup(get.text("title"))
    abstract = flatten_markup(get.text("abstractText"))
    mesh, mesh_major = _mesh(get)
    language = get.text("language")
    # dict.fromkeys, not a set: a set's order changes with each process's string hashing,
    # and with it the record's field order and its file's bytes from one run to the next
    notices = {name: [] for name in dict.fromkeys(NOTICE_TYPES.values())}
    for kind, entry in links:
        if kind in NOTICE_TYPES:
            notices[NOTICE_TYPES[kind]].append(_notice(entry))
    published = [_link_key(e) for kind, e in links if kind == PREPRINT_OF]
    record = {
        "pmid": get.text("pmid") or (ident if source == "MED" else None),
        "doi": get.text("doi") or None,
        "pmcid": get.text("pmcid") or (ident if source == "PMC" else None),
        "title": title,
        "abstract": abstract,
        "authors": _authors(get),
        "journal": jget.text("medlineAbbreviation")
        or jget.text("isoabbreviation")
        or jget.text("title")
        or publisher,
        "journal_title": jget.text("title") or publisher,
        "volume": info.text("volume") or None,
        "issue": info.text("issue") or None,
        "pages": get.text("pageInfo") or None,
        "pub_date": pub_date,
        "year": int(pub_date[:4]) if pub_date[:4].isdigit() else None,
        "epub_date": get.text("electronicPublicationDate") or None,
        "entrez_date": None,  # PubMed's; Europe PMC's index date is not the same event
        "publication_types": pub_types,
        "mesh": mesh,
        "mesh_major": mesh_major,
        "keywords": get.texts("keywordList", "keyword"),
        "language": [language] if language else [],
        "nct_ids": list(
            dict.fromkeys(m.upper() for m in NCT_IN_TEXT.findall(f"{title}\n{abstract}"))
        ),
        "status": None,
        "publication_status": get.text("publicationStatus") or None,
        **notices,
        "retracted": bool(notices["retraction_notices"])
        or any(t.lower() == "retracted publication" for t in pub_types),
        "article_kind": "preprint" if preprint else "journal-article",
        "europepmc_id": ident,
        "europepmc_source": source,
        "preprint": preprint,
        "published_version": published,
        "published_pmid": next(
            (k.split(":", 1)[1] for k in published if k.startswith("MED:")), None
        ),
        "preprint_versions": [_link_key(e) for kind, e in links if kind == PREPRINT_IN],
        "first_publication_date": first_date,
    }
    return record


class _Getter:
    """Typed reads of one JSON object: a value present with the wrong type is a BadResponse."""

    def __init__(self, obj: object, where: str):
        self.obj_ = obj if isinstance(obj, dict) else {}
        self.where = where

    def _bad(self, name: str, value: object, want: str) -> BadResponse:
        return BadResponse(
            f"Europe PMC record {self.where}: {name} is {shown_id(value)}, not {want}"
        )

    def text(self, name: str) -> str:
        value = self.obj_.get(name)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self._bad(name, value, "text")
        return " ".join(str(value).split())

    def obj(self, name: str) -> dict:
        value = self.obj_.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._bad(name, value, "an object")
        return value

    def items(self, outer: str, inner: str) -> list[Any]:
        """``obj[outer][inner]`` as a list (a lone item is a list of one)."""
        value = self.obj(outer).get(inner)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def texts(self, outer: str, inner: str) -> list[str]:
        out = []
        for item in self.items(outer, inner):
            if not isinstance(item, str):
                raise self._bad(f"{outer}.{inner}", item, "a list of texts")
            if item.strip():
                out.append(" ".join(item.split()))
        return out


def _authors(get: _Getter) -> list[str]:
    names = []
    for author in get.items("authorList", "author"):
        if not isinstance(author, dict):
            raise get._bad("authorList.author", author, "a list of objects")
        a = _Getter(author, get.where)
        last, initials = a.text("lastName"), a.text("initials")
        name = f"{last} {initials}" if last and initials else a.text("fullName") or last
        name = name or a.text("collectiveName")
        if name:
            names.append(name)
    if not names and get.text("authorString"):
        names = [n.strip().rstrip(".") for n in get.text("authorString").split(",") if n.strip()]
    return names


def _mesh(get: _Getter) -> tuple[list[str], list[str]]:
    mesh, major = [], []
    for heading in get.items("meshHeadingList", "meshHeading"):
        if not isinstance(heading, dict):
            raise get._bad("meshHeadingList.meshHeading", heading, "a list of objects")
        h = _Getter(heading, get.where)
        name = h.text("descriptorName")
        if not name:
            continue
        mesh.append(name)
        qualifiers = h.items("meshQualifierList", "meshQualifier")
        if h.text("majorTopic_YN") == "Y" or any(
            isinstance(q, dict) and q.get("majorTopic_YN") == "Y" for q in qualifiers
        ):
            major.append(name)
    return mesh, major


def _links(get: _Getter) -> list[tuple[str, dict]]:
    """(type lower-cased, entry) of each commentCorrection."""
    links = []
    for entry in get.items("commentCorrectionList", "commentCorrection"):
        if not isinstance(entry, dict):
            raise get._bad("commentCorrectionList.commentCorrection", entry, "a list of objects")
        e = _Getter(entry, get.where)
        kind, source, ident = e.text("type").lower(), e.text("source"), e.text("id")
        if kind in (PREPRINT_OF, PREPRINT_IN) and ident:
            checks = {"MED": is_pmid, "PMC": _is_pmcid, "PPR": _is_ppr}
            if not checks.get(source, _is_plain_id)(ident):
                raise get._bad(f"commentCorrection {kind!r} id", ident, f"a {source} id")
        links.append((kind, {"source": source, "id": ident, "reference": e.text("reference")}))
    return links


def _link_key(entry: dict) -> str:
    return f"{entry['source']}:{entry['id']}"


def _notice(entry: dict) -> str:
    """As the PubMed parser writes notices: "RefSource (PMID n)", or "RefSource"."""
    reference = entry["reference"] or entry["source"]
    if entry["source"] == "MED" and is_pmid(entry["id"]):
        return f"{reference} (PMID {entry['id']})"
    return reference


def _pub_date(info: _Getter, first_date: str | None, pub_year: str) -> str:
    year, month = info.text("yearOfPublication"), info.text("monthOfPublication")
    if re.fullmatch(r"[0-9]{4}", year):
        if month.isdigit() and 1 <= int(month) <= 12:
            return f"{year}-{int(month):02d}"
        return year
    if first_date and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", first_date):
        return first_date
    return pub_year if re.fullmatch(r"[0-9]{4}", pub_year) else ""


_TAG = re.compile(r"<[^<>]{0,200}>")
_HEADING = re.compile(r"<h[1-6][^<>]*>(.*?)</h[1-6]>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"</p\s*>|<br\s*/?>", re.IGNORECASE)


def flatten_markup(text: str) -> str:
    """Europe PMC's HTML in titles and abstracts as plain text: a heading becomes "Heading: "
    at a line start, paragraphs lines, other tags dropped, entities decoded."""
    if "<" not in text and "&" not in text:
        return text
    text = _HEADING.sub(lambda m: f"\n{m.group(1).strip().rstrip(':')}: ", text)
    text = _TAG.sub("", _BREAK.sub("\n", text))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def translation_log(translation: EuropePmcQuery) -> dict[str, str]:
    """What the search log (PRISMA-S) records of a translation: both queries and the notes."""
    return {
        "pubmed_query": translation.pubmed,
        "europepmc_query": translation.query,
        "translation_notes": "; ".join(translation.notes),
    }
