"""Deduplicate: merge the keyword searches into one entry per PMID.

PubMed gives every record one PMID, so hits from different keyword searches are merged by
PMID; each record keeps the slugs of every search that found it (its `mechanisms`).
"""

from __future__ import annotations

from collections.abc import Iterable


def merge_search_hits(searches: Iterable[dict]) -> dict[str, list[str]]:
    """pmid -> slugs of the searches that found it, in search order, each PMID once."""
    mechanisms: dict[str, list[str]] = {}
    for search in searches:
        for pmid in search["pmids"]:
            slugs = mechanisms.setdefault(pmid, [])
            if search["slug"] not in slugs:
                slugs.append(search["slug"])
    return mechanisms


def identified_count(searches: Iterable[dict]) -> int:
    """Records identified before deduplication: the sum of every search's hits."""
    return sum(len(search["pmids"]) for search in searches)
