"""The one ClinicalTrials.gov client: API v2 study search, every page, politely.

`CtgovClient.search_studies` asks ``GET studies`` (ClinicalTrials.gov API v2) for the studies
whose conditions match ``query.cond`` and whose interventions match ``query.intr``, follows
``nextPageToken`` until the last page, and checks that it collected exactly the
``totalCount`` the first page announced, each study once — or fails saying what went wrong.
Nothing partial is returned.

What the API documents (OpenAPI spec "ClinicalTrials.gov REST API" 2.0.5, ``/studies``):

* A page is ``{"studies": [...], "nextPageToken": "...", "totalCount": N}``; ``totalCount``
  only on the first page and only with ``countTotal=true``; the last page has no
  ``nextPageToken``, and "a page may have empty `studies` array" (the service mints a token
  whenever a page is full, so a result that fills its last page exactly ends with an empty
  page).
* "Request for each subsequent page **must** have the same parameters as for the first page,
  except `countTotal`, `pageSize`, and `pageToken`"; ``pageSize`` defaults to 10 and is coerced
  down to 1,000.
* A rejected request is HTTP 400 with a ``text/plain`` message (for example ``Error parsing
  query in ...``); it is not retried and its message is quoted.

Rate limit, timeouts and retries are `livescreen.sources.http.PoliteClient`'s (the PubMed client's
plumbing): at most ``requests_per_second`` (default 1) summed over every process on this
machine, retries with backoff on 429, 5xx, timeouts, reset connections, HTML pages and
truncated or malformed JSON (`BadResponse`). ClinicalTrials.gov publishes no rate limit; about
50 requests per minute per address is what third-party clients report, so 1 request/s with
backoff on 429 stays polite.

Ids in an answer are checked where it is read: each study's ``nctId`` must be an NCT id
(``NCT`` and 8 digits) and each PMID its references list one (1 to 9 digits). A page with
anything else is a `BadResponse` naming the study and showing the value only through
`livescreen.sources.eutils.shown_id`, so a value meant for a spreadsheet or a log never travels on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from livescreen.errors import BadResponse, QueryError, RemoteError
from livescreen.sources.eutils import is_pmid, shown_id
from livescreen.sources.http import OverHttp, PoliteClient, excerpt_of, looks_like_html

DEFAULT_CTGOV_URL = "https://clinicaltrials.gov/api/v2/"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000  # the API coerces larger pageSize values down to 1,000
DEFAULT_RATE = 1  # requests per second, summed over every process on this machine
STUDIES_ENDPOINT = "studies"
NCT_ID_PATTERN = re.compile(r"NCT[0-9]{8}")  # checked with fullmatch


@dataclass
class StudiesPage:
    """One page of ``GET studies``, checked."""

    studies: list[dict]
    next_page_token: str | None
    total_count: int | None
    nct_ids: list[str] = field(default_factory=list)


class CtgovClient(OverHttp):
    """ClinicalTrials.gov API v2 over HTTP, polite across every process on this machine."""

    source = "ctgov"

    def __init__(
        self,
        base_url: str = DEFAULT_CTGOV_URL,
        *,
        requests_per_second: int = DEFAULT_RATE,
        condition: str = "",
        intervention: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        **http_options,
    ):
        self.condition = condition
        self.intervention = intervention
        self.page_size = page_size
        self.http = PoliteClient(base_url, rate=requests_per_second, **http_options)

    @classmethod
    def from_config(cls, config: Mapping) -> CtgovClient:
        """A client from validated config: the ``registry`` block, ``timeout``, ``max_retries``."""
        registry = config.get("registry") or {}
        return cls(
            config.get("ctgov_base_url") or DEFAULT_CTGOV_URL,
            condition=registry.get("condition", ""),
            intervention=registry.get("intervention", ""),
            page_size=registry.get("page_size", DEFAULT_PAGE_SIZE),
            timeout=config.get("timeout", 30),
            max_retries=config.get("max_retries", 6),
        )

    @property
    def label(self) -> str:
        """How outputs name this source."""
        return f"ClinicalTrials.gov API v2 via {self.base_url}"

    def search_studies(
        self,
        condition: str | None = None,
        intervention: str | None = None,
        *,
        page_size: int | None = None,
    ) -> dict:
        """Every study matching both queries, all pages, checked against ``totalCount``.

        Arguments left out take the configured ones. Returns ``{"total", "studies" (API v2
        study objects in the order served), "pages" (requests that succeeded), "query"
        (the search parameters as sent), "source", "source_label"}``.
        """
        query = search_query(
            self.condition if condition is None else condition,
            self.intervention if intervention is None else intervention,
        )
        size = check_page_size(self.page_size if page_size is None else page_size)
        params = {**query, "pageSize": str(size), "countTotal": "true", "format": "json"}
        studies: list[dict] = []
        seen: dict[str, int] = {}  # nctId -> page it came on
        tokens: set[str] = set()
        total = 0
        token: str | None = None
        pages = 0
        while True:
            page_params = dict(params, pageToken=token) if token else params
            page = self._get_page(page_params, pages + 1, query)
            pages += 1
            if pages == 1:
                total = page.total_count or 0  # the first page is checked to carry totalCount
            for nct_id, study in zip(page.nct_ids, page.studies, strict=True):
                if nct_id in seen:
                    raise RemoteError(
                        f"{describe(query)}: {nct_id} came on page {seen[nct_id]} and again on "
                        f"page {pages}; the registry changed while paging. Run the search again."
                    )
                seen[nct_id] = pages
                studies.append(study)
            if len(studies) > total:
                break  # more than announced: stop paging, report the mismatch below
            token = page.next_page_token
            if token is None:
                break
            if token in tokens:
                raise RemoteError(
                    f"{describe(query)}: page {pages} repeated an earlier nextPageToken; "
                    "paging would never end"
                )
            tokens.add(token)
        if len(studies) != total:
            raise RemoteError(
                f"{describe(query)}: collected {len(studies)} studies over {pages} page(s) but "
                f"the first page announced totalCount {total}; the registry may have changed "
                "while paging. Run the search again."
            )
        return {
            "total": total,
            "studies": studies,
            "pages": pages,
            "query": query,
            "source": self.source,
            "source_label": self.label,
        }

    def _get_page(self, params: dict, number: int, query: dict) -> StudiesPage:
        first = number == 1
        try:
            return self.http.request(
                "GET",
                STUDIES_ENDPOINT,
                lambda body: parse_studies_page(body, first=first),
                params=params,
            )
        except RemoteError as exc:
            # PoliteClient names the endpoint and attempts; add which search and page.
            raise RemoteError(f"{describe(query)}, page {number}: {exc}") from None


def search_query(condition: str, intervention: str) -> dict[str, str]:
    """The ``query.*`` parameters; a search with neither would return every registered study."""
    condition, intervention = (condition or "").strip(), (intervention or "").strip()
    if not condition and not intervention:
        raise QueryError(
            "registry search needs registry.condition or registry.intervention: without either "
            "ClinicalTrials.gov returns every registered study"
        )
    query = {}
    if condition:
        query["query.cond"] = condition
    if intervention:
        query["query.intr"] = intervention
    return query


def check_page_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise QueryError(f"registry.page_size must be an integer from 1 to {MAX_PAGE_SIZE}")
    return size


def describe(query: Mapping[str, str]) -> str:
    terms = ", ".join(f"{key}={value!r}" for key, value in query.items())
    return f"ClinicalTrials.gov search ({terms})"


def parse_studies_page(body: bytes, *, first: bool = False) -> StudiesPage:
    """Check one ``GET studies`` answer; anything incomplete is a `BadResponse` (retried)."""
    if looks_like_html(body):
        raise BadResponse(f"studies answer is an HTML page, not JSON: {excerpt_of(body)}")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadResponse(f"studies answer is truncated or malformed JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise BadResponse(f"studies answer has no 'studies' list: {excerpt_of(body)}")
    total = data.get("totalCount")
    if first and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise BadResponse(
            f"first studies page has no totalCount (countTotal=true was sent): {excerpt_of(body)}"
        )
    token = data.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise BadResponse(f"studies answer has a nextPageToken that is not a string: {token!r}")
    studies = data["studies"]
    nct_ids = [checked_nct_id(study, position) for position, study in enumerate(studies, 1)]
    return StudiesPage(
        studies=studies,
        next_page_token=token or None,
        total_count=total if first else None,
        nct_ids=nct_ids,
    )


def checked_nct_id(study: object, position: int) -> str:
    """A study's NCT id once it and its references' PMIDs are checked; else BadResponse."""
    nct_id = study_nct_id(study)
    if nct_id is None:
        raise BadResponse(f"study {position} of the page has no protocolSection nctId")
    if not NCT_ID_PATTERN.fullmatch(nct_id):
        raise BadResponse(
            f"study {position} of the page has nctId {shown_id(nct_id)}, "
            "not an NCT id (NCT and 8 digits)"
        )
    bad = [pmid for pmid in reference_pmids(study) if not is_pmid(pmid)]
    if bad:
        raise BadResponse(
            f"study {nct_id} (study {position} of the page) lists reference PMID(s) "
            f"{', '.join(map(shown_id, bad[:3]))}, not PMIDs (1 to 9 digits)"
        )
    return nct_id


def reference_pmids(study: dict) -> list[object]:
    """The ``pmid`` of each entry of ``referencesModule.references`` that has one."""
    section = study.get("protocolSection")
    module = section.get("referencesModule") if isinstance(section, dict) else None
    references = module.get("references") if isinstance(module, dict) else None
    if not isinstance(references, list):
        return []
    return [
        r["pmid"] for r in references if isinstance(r, dict) and r.get("pmid") not in (None, "")
    ]


def study_nct_id(study: object) -> str | None:
    """``protocolSection.identificationModule.nctId`` of an API v2 study, if it has one."""
    if not isinstance(study, dict):
        return None
    section = study.get("protocolSection")
    module = section.get("identificationModule") if isinstance(section, dict) else None
    nct_id = module.get("nctId") if isinstance(module, dict) else None
    return nct_id if isinstance(nct_id, str) and nct_id else None
