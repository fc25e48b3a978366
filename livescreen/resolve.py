"""Resolve the essay's references to PubMed records, verifying every candidate.

1. ECitMatch for all journal references in one request.
2. Each ECitMatch hit, and each candidate of an AMBIGUOUS answer, is checked against the
   record itself: the first author's surname and the year (print or electronic) must agree.
   An AMBIGUOUS answer is settled only when exactly one candidate passes.
3. A journal reference still unresolved is searched by its title words in [ti], its first
   author and its year (±1, for print vs electronic dates); only a single hit that passes
   the same check is accepted.
4. Books, dissertations and web pages are not PubMed records: `not_in_pubmed`, with why.

All requests go through the source's client (rate limit, retries, base URL); offline, the
snapshot answers the same calls from the bundled records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from .eutils import CitationMatch, ESearchResult
from .normalise import ascii_fold, first_author_key, record_years, split_author, surname_key
from .pubmed_xml import parse_articles

RESOLUTION_COLUMNS = ["pmid", "doi", "method", "confidence", "note"]
# Words too common to narrow a title search.
STOPWORDS = frozenset(
    "a an and are as at by for from in into is of on or the to with without its their "
    "study trial review analysis patients".split()
)
TITLE_WORDS = 6


class ResolveSource(Protocol):
    def ecitmatch(self, citations: list[dict]) -> list[CitationMatch]: ...
    def esearch(self, term: str, *, retmax: int = ...) -> ESearchResult: ...
    def efetch(self, pmids: list[str]) -> bytes: ...


def resolve_references(references: list[dict], source: ResolveSource) -> list[dict]:
    """Each reference with pmid, doi, method, confidence and note added."""
    journal = [r for r in references if r["kind"] == "journal-article"]
    matches = source.ecitmatch([citation(r) for r in journal]) if journal else []
    records = fetch_records(source, {p for m in matches for p in _candidates(m)})
    outcome = {
        r["essay_ref"]: settle_citation_match(r, m, records)
        for r, m in zip(journal, matches, strict=True)
    }

    unresolved = [r for r in journal if not outcome[r["essay_ref"]]["pmid"]]
    hits = {r["essay_ref"]: source.esearch(title_query(r), retmax=5).ids for r in unresolved}
    records.update(fetch_records(source, {p for ids in hits.values() for p in ids} - set(records)))
    for ref in unresolved:
        tried = outcome[ref["essay_ref"]]["note"]
        outcome[ref["essay_ref"]] = settle_title_search(ref, hits[ref["essay_ref"]], records, tried)

    return [{**ref, **outcome.get(ref["essay_ref"], not_in_pubmed(ref))} for ref in references]


def citation(ref: dict) -> dict:
    """The ECitMatch fields of a parsed reference; the essay number is the key."""
    return {
        "journal": ref.get("journal") or "",
        "year": ref.get("year") or "",
        "volume": ref.get("volume") or "",
        "first_page": ref.get("first_page") or "",
        "author": (ref.get("authors") or [""])[0],
        "key": f"ref{ref['essay_ref']}",
    }


def settle_citation_match(ref: dict, match: CitationMatch, records: dict[str, dict]) -> dict:
    if match.status == "found":
        problem = disagreement(ref, records.get(match.pmid))
        if problem is None:
            return resolved(
                records[match.pmid], "ecitmatch", "high", "verified: author and year agree"
            )
        return unresolved(f"ECitMatch PMID {match.pmid} rejected: {problem}")
    if match.status == "ambiguous":
        verified = [p for p in match.candidates if disagreement(ref, records.get(p)) is None]
        listed = ", ".join(match.candidates) or "none listed"
        if len(verified) == 1:
            note = f"AMBIGUOUS (candidates {listed}); only {verified[0]} agrees on author and year"
            return resolved(records[verified[0]], "ecitmatch", "medium", note)
        return unresolved(f"ECitMatch AMBIGUOUS (candidates {listed}); {len(verified)} verified")
    return unresolved("ECitMatch NOT_FOUND" + (f" ({match.detail})" if match.detail else ""))


def settle_title_search(ref: dict, ids: list[str], records: dict[str, dict], tried: str) -> dict:
    if len(ids) == 1:
        problem = disagreement(ref, records.get(ids[0]))
        if problem is None:
            note = f"{tried}; title search found one record, author and year agree"
            return resolved(records[ids[0]], "title-search", "medium", note)
        return unresolved(f"{tried}; title search hit {ids[0]} rejected: {problem}")
    found = f"{len(ids)} records ({', '.join(ids)})" if ids else "nothing"
    return unresolved(f"{tried}; title search found {found}")


def disagreement(ref: dict, record: dict | None) -> str | None:
    """Why `record` is not the work `ref` cites, or None when first author and year agree."""
    if record is None:
        return "record could not be fetched"
    cited, indexed = surname_key((ref.get("authors") or [""])[0]), first_author_key(record)
    if cited != indexed:
        return f"first author {indexed or 'missing'} in PubMed, {cited or 'missing'} cited"
    years = record_years(record)
    if ref.get("year") not in years:
        shown = "/".join(str(y) for y in sorted(years)) or "missing"
        return f"year {shown} in PubMed, {ref.get('year') or 'missing'} cited"
    return None


def title_query(ref: dict) -> str:
    """`word[ti]` for the title's most distinctive words, with first author and year ±1."""
    words = [
        w
        for w in re.findall(r"[A-Za-z0-9]+", ascii_fold(ref.get("title") or ""))
        if w.lower() not in STOPWORDS
    ]
    chosen = sorted(dict.fromkeys(w for w in words if len(w) > 3), key=len, reverse=True)
    terms = [f"{word}[ti]" for word in chosen[:TITLE_WORDS]]
    author = ascii_fold(split_author((ref.get("authors") or [""])[0])[0])
    if author:
        terms.append(f"{author}[au]")
    if ref.get("year"):
        terms.append(f"{ref['year'] - 1}:{ref['year'] + 1}[dp]")
    return " AND ".join(terms)


def not_in_pubmed(ref: dict) -> dict:
    why = {
        "book": "a book is not a PubMed record",
        "dissertation": "a dissertation is not indexed in PubMed",
        "web-page": "a web page is not indexed in PubMed",
    }.get(ref["kind"], f"a {ref['kind']} is not indexed in PubMed")
    return {
        "pmid": "",
        "doi": "",
        "method": "none",
        "confidence": "",
        "note": f"not_in_pubmed: {why}",
    }


def resolved(record: dict, method: str, confidence: str, note: str) -> dict:
    return {
        "pmid": record["pmid"],
        "doi": record.get("doi") or "",
        "method": method,
        "confidence": confidence,
        "note": note,
    }


def unresolved(note: str) -> dict:
    return {"pmid": "", "doi": "", "method": "none", "confidence": "", "note": note}


def fetch_records(source: ResolveSource, pmids: Iterable[str]) -> dict[str, dict]:
    wanted = sorted(pmids)
    if not wanted:
        return {}
    return {record["pmid"]: record for record in parse_articles(source.efetch(wanted))}


def _candidates(match: CitationMatch) -> list[str]:
    return [match.pmid] if match.pmid else match.candidates
