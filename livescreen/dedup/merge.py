"""Merge: one record per cluster, with the best metadata and every source's identifiers.

The cluster's records are ranked: a record carrying a PMID first (PubMed's metadata is
curated), then the record with the most of title, authors, journal, volume, issue, pages,
year, abstract and DOI filled in, then the one whose title is not in capitals, then input
order. Each field is taken from the best-ranked record that has it, except:

* `abstract`: the longest;
* `authors`: the best-ranked record's list, unless another lists more authors;
* `year`: the best-ranked record's (a print year wins over an e-publication year only in so
  far as the best record says so);
* identifiers and provenance are unions, in rank order, each once: `pmids`, `dois`,
  `pmcids`, `nct_ids`, `accession_numbers`, `keywords`, `publication_types`, `sources`,
  `record_ids` (input order) — and `pmid`, `doi`, `pmcid` are the first of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from livescreen.normalise import extract_doi, normalise_pmcid

FIELDS = (
    "title",
    "authors",
    "journal",
    "journal_title",
    "volume",
    "issue",
    "pages",
    "year",
    "pub_date",
    "epub_date",
    "abstract",
    "language",
    "type_of_reference",
)
COMPLETENESS = ("title", "authors", "journal", "volume", "issue", "pages", "year", "abstract",
                "doi")  # fmt: skip
UNIONS = ("nct_ids", "accession_numbers", "keywords", "publication_types", "mesh")


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set | frozenset | dict):
        return bool(value)
    return True


def _as_list(value: Any) -> list:
    if not _filled(value):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [v for v in value if _filled(v)]
    return [value]


def _caps(text: Any) -> bool:
    text = str(text or "")
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8


def rank(records: Sequence[Mapping[str, Any]]) -> list[int]:
    """Positions of `records` from best to worst (see the module doc)."""

    def key(position: int) -> tuple:
        record = records[position]
        return (
            0 if _filled(record.get("pmid")) else 1,
            -sum(_filled(record.get(f)) for f in COMPLETENESS),
            1 if _caps(record.get("title")) else 0,
            position,
        )

    return sorted(range(len(records)), key=key)


def _union(values: Iterable[Any]) -> list:
    """Every item of every value, once (strings compared case-insensitively), in order."""
    seen: set = set()
    out: list = []
    for value in values:
        for item in _as_list(value):
            key = item.casefold() if isinstance(item, str) else item
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def merge_records(records: Sequence[Mapping[str, Any]], record_ids: Sequence[str]) -> dict:
    """The merged record of one cluster (its records in input order)."""
    order = rank(records) if len(records) > 1 else [0]
    ranked = [records[i] for i in order]
    merged: dict[str, Any] = {}
    for name in FIELDS:
        merged[name] = next((r[name] for r in ranked if _filled(r.get(name))), None)
    abstracts = [r.get("abstract") for r in ranked if _filled(r.get("abstract"))]
    merged["abstract"] = max(abstracts, key=len) if abstracts else ""
    authors = [r.get("authors") for r in ranked if _filled(r.get("authors"))]
    if authors:
        best = authors[0]
        longest = max(authors, key=lambda a: len(_as_list(a)))
        merged["authors"] = longest if len(_as_list(longest)) > len(_as_list(best)) else best
    pmids = _union(str(r.get("pmid")) for r in ranked if _filled(r.get("pmid")))
    pmids += [p for p in _union(r.get("pmids") for r in ranked) if p not in pmids]
    dois = _union(extract_doi(str(d)) for r in ranked for d in _as_list(r.get("doi")))
    dois += [d for d in _union(extract_doi(str(x)) for r in ranked
                                for x in _as_list(r.get("dois"))) if d not in dois]  # fmt: skip
    pmcids = _union(
        normalise_pmcid(str(p)) for r in ranked for p in _as_list(r.get("pmcid")) + _as_list(
            r.get("pmcids"))
    )  # fmt: skip
    merged.update(
        pmid=pmids[0] if pmids else None,
        pmids=pmids,
        doi=dois[0] if dois else None,
        dois=dois,
        pmcid=pmcids[0] if pmcids else None,
        pmcids=pmcids,
    )
    for name in UNIONS:
        merged[name] = _union(r.get(name) for r in ranked)
    merged["sources"] = _union(r.get("source") for r in ranked)
    merged["record_ids"] = list(record_ids)
    merged["primary_record_id"] = record_ids[order[0]]
    return merged
