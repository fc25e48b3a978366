"""Search: one PubMed query per mechanism keyword, every hit retrieved, nothing truncated.

esearch returns at most the first 10,000 PubMed IDs of a search. A search with more hits is
split into publication-date windows, each halved until it fits under the cap, and the IDs of
all windows are merged; the merged set must equal esearch's Count, or the search fails.

Every id esearch lists is checked to be a PMID where the answer is read
(`livescreen.sources.eutils.parse_esearch`); when a search fails for good, its error names the
keyword, so a reviewer knows which of the searches a bad answer stopped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Protocol

from livescreen.errors import LivescreenError, RemoteError
from livescreen.sources.eutils import PUBMED_RETRIEVAL_CAP, ESearchResult

# Publication dates PubMed holds fall inside this range; a window is [first, last] in days.
EARLIEST = dt.date(1700, 1, 1)
LATEST = dt.date(2999, 12, 31)


class SearchSource(Protocol):
    """What a search needs: the live E-utilities client or the offline snapshot."""

    source: str
    label: str

    def esearch(
        self,
        term: str,
        *,
        retmax: int = ...,
        mindate: str | None = ...,
        maxdate: str | None = ...,
    ) -> ESearchResult: ...


class SearchIncomplete(LivescreenError):
    """The IDs retrieved do not add up to the Count that esearch reported."""


def full_query(keyword_query: str, mdma_terms: str, ptsd_terms: str) -> str:
    """The query as sent: the keyword's block ANDed with the shared MDMA and PTSD blocks."""
    return f"({keyword_query.strip()}) AND ({mdma_terms.strip()}) AND ({ptsd_terms.strip()})"


def run_search(
    source: SearchSource,
    slug: str,
    query: str,
    *,
    cap: int = PUBMED_RETRIEVAL_CAP,
    today: dt.date | None = None,
) -> dict:
    """Search once (or window by window) and return the search record written to disk."""
    search = _named(source, slug)
    first = search(query, retmax=cap)
    windows: list[dict] = []
    ids: list[str] = []
    for (start, end), result in _windowed(search, query, cap, EARLIEST, LATEST, first):
        if first.count > cap:
            windows.append({"mindate": _fmt(start), "maxdate": _fmt(end), "count": result.count})
        ids.extend(result.ids)
    unique = list(dict.fromkeys(ids))
    if len(unique) != first.count:
        raise SearchIncomplete(
            f"keyword {slug!r}: retrieved {len(unique)} PMIDs but esearch reported Count "
            f"{first.count}; PubMed may have changed during the run, so run the search again"
        )
    return {
        "slug": slug,
        "query": query,
        "translation": first.translation,
        "count": first.count,
        "warnings": first.warnings,
        "windows": windows,
        "run_date": (today or dt.date.today()).isoformat(),
        "source": source.source,
        "source_label": source.label,
        "pmids": unique,
    }


def _named(source: SearchSource, slug: str) -> Callable[..., ESearchResult]:
    """`source.esearch`, whose final failure (a bad answer after every retry, a rejected
    request) names the keyword as well as the request."""

    def search(query: str, **options) -> ESearchResult:
        try:
            return source.esearch(query, **options)
        except RemoteError as exc:
            raise RemoteError(f"keyword {slug!r}: {exc}") from None

    return search


def _windowed(
    search: Callable[..., ESearchResult],
    query: str,
    cap: int,
    first: dt.date,
    last: dt.date,
    result: ESearchResult | None = None,
) -> Iterator[tuple[tuple[dt.date, dt.date], ESearchResult]]:
    """Yield (window, result) for date windows each holding at most `cap` records.

    `result`, when given, is the answer already in hand for the whole window.
    """
    if result is None:
        result = search(query, retmax=cap, mindate=_fmt(first), maxdate=_fmt(last))
    if result.count <= cap:
        yield (first, last), result
        return
    if first == last:
        raise SearchIncomplete(
            f"{result.count} records share the publication date {_fmt(first)}, more than the "
            f"{cap} esearch can return for one query; narrow the query"
        )
    middle = first + (last - first) // 2
    yield from _windowed(search, query, cap, first, middle)
    yield from _windowed(search, query, cap, middle + dt.timedelta(days=1), last)


def _fmt(day: dt.date) -> str:
    return day.strftime("%Y/%m/%d")
