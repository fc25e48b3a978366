"""Deduplicate: merge the keyword searches, and set aside what the essay already cites.

PubMed gives every record one PMID, so hits from different keyword searches are merged by
PMID; each record keeps the slugs of every search that found it (its `mechanisms`). Records
the essay cites are matched by PMID, DOI or title, with the evidence kept for each match.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from livescreen.normalise import (
    first_author_key,
    normalise_doi,
    normalise_title,
    record_years,
    surname_key,
    title_similarity_rows,
)
from livescreen.parse.registrations import link_publications


def merge_search_hits(searches: Iterable[dict]) -> dict[str, list[str]]:
    """pmid -> slugs of the searches that found it, in search order, each PMID once."""
    mechanisms: dict[str, list[str]] = {}
    for search in searches:
        for pmid in search["pmids"]:
            slugs = mechanisms.setdefault(pmid, [])
            if search["slug"] not in slugs:
                slugs.append(search["slug"])
    return mechanisms


def trial_links(
    registrations: Iterable[dict], records: Iterable[dict]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(NCT ids by PMID, PMIDs by NCT id): a publication and the registration of the trial
    it reports, linked from either side (the record's DataBankList or abstract, or the
    registration's references, background literature aside)."""
    nct_by_pmid: dict[str, list[str]] = {}
    pmids_by_nct: dict[str, list[str]] = {}
    for link in link_publications(registrations, records):
        nct_by_pmid.setdefault(link["pmid"], []).append(link["nct_id"])
        pmids_by_nct.setdefault(link["nct_id"], []).append(link["pmid"])
    return nct_by_pmid, pmids_by_nct


# -- records the essay already cites ---------------------------------------------------------


def match_essay_references(
    records: Iterable[dict], references: list[dict], *, match: float, possible: float
) -> tuple[list[dict], list[dict]]:
    """(matches, possible matches) of searched records against the essay's references.

    A record matches a reference by PMID, then by DOI, then by title: normalised-title
    similarity (rapidfuzz, see `title_similarity`) at or above `match`, with the year
    within ±1 and the same first-author surname. A title scoring from `possible` up to
    `match`, or at `match` or above while year or author disagree, is a close call for a
    human: it goes to the possible list and the record stays in screening.
    """
    by_pmid = {ref["pmid"]: ref for ref in references if ref.get("pmid")}
    by_doi = {normalise_doi(ref["doi"]): ref for ref in references if ref.get("doi")}
    titled = [(ref, normalise_title(ref.get("title") or "")) for ref in references]
    ref_titles = [ref_title for _, ref_title in titled]
    matches, close_calls = [], []
    records = iter(records)
    # in batches, so that the titles of a batch are scored against every reference at once
    while batch := list(islice(records, TITLE_BATCH)):
        identified = [_identified(r, by_pmid, by_doi) for r in batch]
        titles = [
            normalise_title(r.get("title") or "")
            for r, known in zip(batch, identified, strict=True)
            if known is None
        ]
        similar = iter(title_similarity_rows(titles, ref_titles, possible))
        for record, known in zip(batch, identified, strict=True):
            if known is not None:
                matches.append(_essay_match(record, known[1], known[0], 100))
            else:
                found, close = _title_match(record, titled, next(similar), match)
                matches.extend(found)
                close_calls.extend(close)
    return matches, close_calls


TITLE_BATCH = 1000  # records whose titles are scored together


def _identified(record: dict, by_pmid: dict, by_doi: dict) -> tuple[str, dict] | None:
    """("pmid" or "doi", the reference) when the record is the reference by PMID, then by
    DOI; None when only its title can tell."""
    if record["pmid"] in by_pmid:
        return "pmid", by_pmid[record["pmid"]]
    doi = record.get("doi")
    if doi and (ref := by_doi.get(normalise_doi(doi))) is not None:
        return "doi", ref
    return None


def _title_match(record, titled, similar, match) -> tuple[list[dict], list[dict]]:
    """The match or close call of a record by title; ``similar``: its title's similarity
    to each reference's, by index, where at or above the possible-match cutoff."""
    scored = [
        (similar[i], ref) for i, (ref, ref_title) in enumerate(titled) if ref_title and i in similar
    ]
    scored.sort(key=lambda s: -s[0])  # stable: equal scores keep the references' order
    for score, ref in scored:
        problem = _year_or_author_problem(record, ref)
        row = _essay_match(record, ref, "title", round(score, 1))
        if score >= match and problem is None:
            return [row], []
        reason = problem or f"title similarity {score:.1f} is below {match:g}"
        return [], [{**row, "reason": reason}]
    return [], []


def _year_or_author_problem(record: dict, ref: dict) -> str | None:
    years = record_years(record)
    if ref.get("year") is None or not any(abs(y - ref["year"]) <= 1 for y in years):
        return f"year {'/'.join(map(str, sorted(years))) or 'missing'} vs cited {ref.get('year')}"
    cited = surname_key((ref.get("authors") or [""])[0])
    if cited != first_author_key(record):
        return f"first author {first_author_key(record) or 'missing'} vs cited {cited or 'missing'}"
    return None


def _essay_match(record: dict, ref: dict, method: str, score: float) -> dict:
    return {
        "pmid": record["pmid"],
        "essay_ref": ref["essay_ref"],
        "method": method,
        "score": score,
        "essay_title": ref.get("title") or "",
        "record_title": record.get("title") or "",
    }
