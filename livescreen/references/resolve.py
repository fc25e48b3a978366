"""Resolve the essay's references to PubMed records, verifying every candidate.

1. ECitMatch for all journal references in one request.
2. Each ECitMatch hit, and each candidate of an AMBIGUOUS answer, is checked against the
   record itself: the first author's surname and the year (print or electronic) must agree.
   A year one off (an e-pub year cited as print, or the reverse) is accepted only when the
   journal and the title agree too, and with confidence one step lower; two or more off never.
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
from dataclasses import dataclass
from typing import Protocol

from livescreen.config import load_schema
from livescreen.normalise import (
    ascii_fold,
    first_author_key,
    journal_abbreviation_matches,
    normalise_title,
    record_years,
    split_author,
    surname_key,
    title_similarity,
)
from livescreen.parse.pubmed_xml import parse_articles
from livescreen.sources.eutils import CitationMatch, ESearchResult

RESOLUTION_COLUMNS = ["pmid", "doi", "method", "confidence", "note"]
# Words too common to narrow a title search.
STOPWORDS = frozenset(
    "a an and are as at by for from in into is of on or the to with without its their "
    "study trial review analysis patients".split()
)
TITLE_WORDS = 6
# The title similarity at which dedup takes a record as the essay's (essay_title_match.match),
# read from its default in the schema so that resolution and dedup hold one threshold.
TITLE_MATCH = load_schema()["properties"]["essay_title_match"]["properties"]["match"]["default"]
# A hit whose year is accepted one off is trusted one step less than an exact-year hit.
LOWER = {"high": "medium", "medium": "low"}


class ResolveSource(Protocol):
    def ecitmatch(self, citations: list[dict]) -> list[CitationMatch]: ...
    def esearch(self, term: str, *, retmax: int = ...) -> ESearchResult: ...
    def efetch(self, pmids: list[str]) -> bytes: ...


def resolve_references(
    references: list[dict], source: ResolveSource, *, title_match: float = TITLE_MATCH
) -> list[dict]:
    """Each reference with pmid, doi, method, confidence and note added.

    `title_match` is the title similarity (0-100) a year-one-off candidate needs; pass
    config `essay_title_match.match` so resolution and dedup agree on what is the same title.
    """
    journal = [r for r in references if r["kind"] == "journal-article"]
    matches = source.ecitmatch([citation(r) for r in journal]) if journal else []
    records = fetch_records(source, {p for m in matches for p in _candidates(m)})
    outcome = {
        r["essay_ref"]: settle_citation_match(r, m, records, title_match)
        for r, m in zip(journal, matches, strict=True)
    }

    unresolved = [r for r in journal if not outcome[r["essay_ref"]]["pmid"]]
    hits = {r["essay_ref"]: source.esearch(title_query(r), retmax=5).ids for r in unresolved}
    records.update(fetch_records(source, {p for ids in hits.values() for p in ids} - set(records)))
    for ref in unresolved:
        tried = outcome[ref["essay_ref"]]["note"]
        found = hits[ref["essay_ref"]]
        outcome[ref["essay_ref"]] = settle_title_search(ref, found, records, tried, title_match)

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


@dataclass(frozen=True)
class Verdict:
    """One candidate checked against the reference: `problem` says why it is not the cited
    work (None when it is), `agreement` what made it pass, and `exact` is False for a year
    accepted one off, which lowers the confidence of the hit."""

    problem: str | None
    agreement: str = "author and year agree"
    exact: bool = True

    def confidence(self, exact_year: str) -> str:
        return exact_year if self.exact else LOWER[exact_year]


def settle_citation_match(
    ref: dict, match: CitationMatch, records: dict[str, dict], title_match: float = TITLE_MATCH
) -> dict:
    if match.status == "found":
        verdict = verify(ref, records.get(match.pmid), title_match)
        if verdict.problem is None:
            note = f"verified: {verdict.agreement}"
            return resolved(records[match.pmid], "ecitmatch", verdict.confidence("high"), note)
        return unresolved(f"ECitMatch PMID {match.pmid} rejected: {verdict.problem}")
    if match.status == "ambiguous":
        verdicts = {p: verify(ref, records.get(p), title_match) for p in match.candidates}
        verified = [p for p, v in verdicts.items() if v.problem is None]
        listed = ", ".join(match.candidates) or "none listed"
        if len(verified) == 1:
            (pmid,) = verified
            note = (
                f"AMBIGUOUS (candidates {listed}); only {pmid} passes: {verdicts[pmid].agreement}"
            )
            return resolved(records[pmid], "ecitmatch", verdicts[pmid].confidence("medium"), note)
        return unresolved(f"ECitMatch AMBIGUOUS (candidates {listed}); {len(verified)} verified")
    return unresolved("ECitMatch NOT_FOUND" + (f" ({match.detail})" if match.detail else ""))


def settle_title_search(
    ref: dict,
    ids: list[str],
    records: dict[str, dict],
    tried: str,
    title_match: float = TITLE_MATCH,
) -> dict:
    if len(ids) == 1:
        verdict = verify(ref, records.get(ids[0]), title_match)
        if verdict.problem is None:
            note = f"{tried}; title search found one record: {verdict.agreement}"
            confidence = verdict.confidence("medium")
            return resolved(records[ids[0]], "title-search", confidence, note)
        return unresolved(f"{tried}; title search hit {ids[0]} rejected: {verdict.problem}")
    found = f"{len(ids)} records ({', '.join(ids)})" if ids else "nothing"
    return unresolved(f"{tried}; title search found {found}")


def verify(ref: dict, record: dict | None, title_match: float = TITLE_MATCH) -> Verdict:
    """Whether `record` is the work `ref` cites: the first author and the year must agree.

    A year one off is how a work's e-pub and print years differ (PubMed may hold only one
    of them), so it passes when the journal and the title agree as well; any other year
    difference is a different work, or a citation too garbled to take without a human.
    """
    if record is None:
        return Verdict("record could not be fetched")
    cited, indexed = surname_key((ref.get("authors") or [""])[0]), first_author_key(record)
    if cited != indexed:
        return Verdict(f"first author {indexed or 'missing'} in PubMed, {cited or 'missing'} cited")
    years = record_years(record)
    if ref.get("year") in years:
        return Verdict(None)
    shown = "/".join(str(y) for y in sorted(years)) or "missing"
    year = f"year {shown} in PubMed, {ref.get('year') or 'missing'} cited"
    if not one_year_off(ref.get("year"), years):
        return Verdict(year)
    others = [journal_problem(ref, record), title_problem(ref, record, title_match)]
    if any(others):
        return Verdict(f"{year}; one year off, but {' and '.join(filter(None, others))}")
    why = "accepted: e-pub/print year differs by one, author, journal and title agree"
    return Verdict(None, f"{year}; {why}", exact=False)


def one_year_off(cited: int | None, years: set[int]) -> bool:
    """True when the nearest of the record's years is exactly one from the cited year."""
    return bool(cited and years) and min(abs(year - cited) for year in years) == 1


def journal_problem(ref: dict, record: dict) -> str | None:
    """None when the essay's journal (often an NLM abbreviation) names the record's journal,
    by its abbreviation or its full title; else what disagreed."""
    written = ref.get("journal") or ""
    names = [n for n in (record.get("journal"), record.get("journal_title")) if n]
    if any(journal_abbreviation_matches(written, name) for name in names):
        return None
    return f"journal {' / '.join(names) or 'missing'} in PubMed, {written or 'missing'} cited"


def title_problem(ref: dict, record: dict, title_match: float) -> str | None:
    """None when the titles are the same work by dedup's measure and threshold."""
    score = title_similarity(
        normalise_title(ref.get("title") or ""), normalise_title(record.get("title") or "")
    )
    if score >= title_match:
        return None
    return f"title similarity {score:.1f} is below {title_match:g}"


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
