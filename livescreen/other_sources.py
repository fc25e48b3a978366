"""Europe PMC and citation chasing as workflow steps: search, merge, chase, fetch.

The clients are `livescreen.sources.europepmc` and `livescreen.sources.citations`; this
module turns their answers into the files the rules write (rules/europepmc.smk,
rules/citations.smk), and into records shaped like the database exports'
(`livescreen.sources.imports`), so the screening step takes every other source the same way:
each record carries ``record_id`` (unique in the run), ``source`` (its name: `EUROPEPMC` or
`CITATIONS`), ``import_ids`` (PMID, ``doi:<doi>``, ``import:<hash>``) and ``found_by`` (what
the work's ``found_by`` says of this copy: ``Europe PMC: slug, slug`` or ``citation:forward
of PMID 123``), besides livescreen's record fields. ``in_pubmed_searches`` marks a record
whose PMID PubMed's keyword searches found too: it is still listed (the screening step's
deduplication merges it with PubMed's record by PMID) so its ``found_by`` reaches the work.

* `run_europepmc_search`: one keyword's PubMed query, translated and searched (every page),
  with the translation and its notes for the search log (PRISMA-S).
* `merge_europepmc`: the keyword searches' records, one per Europe PMC id (``SOURCE:id``),
  with the keywords that found it.
* `citation_seeds`, `run_chase`: the essay's resolved references and the highlighted
  records, chased one level (configurable) through iCite or ELink.
* `fetch_chased`: the PMIDs the chase found, fetched into the record store through the
  PubMed source (only those not stored, in efetch batches; stored ones PubMed modified
  since, again) and parsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from livescreen.dedup.essay import merge_search_hits
from livescreen.fetch import (
    RecordStore,
    ensure_complete,
    fetch_missing,
    refetch_changed,
    unreadable_store,
)
from livescreen.files import write_json, write_jsonl
from livescreen.sources.imports import import_ids

EUROPEPMC = "Europe PMC"
CITATIONS = "citation chasing"
NO_PREPRINTS = "NOT SRC:PPR"


def open_europepmc(settings: Mapping, workdir: str | Path = "."):
    """The configured Europe PMC source: the live REST API, or the bundled snapshot
    answering for it when ``source: snapshot``."""
    if settings["source"] == "snapshot":
        from livescreen.sources.snapshot import EuropePmcSnapshot, Snapshot

        return EuropePmcSnapshot(Snapshot(Path(workdir) / settings["snapshot"]))
    from livescreen.sources.europepmc import EuropePmcClient

    return EuropePmcClient.from_config(settings)


def run_europepmc_search(
    source,
    slug: str,
    pubmed_query: str,
    *,
    preprints: bool = True,
    today: dt.date | None = None,
) -> dict:
    """One keyword's Europe PMC search: its PubMed query translated (`to_europepmc`) and run,
    every page; ``preprints: false`` adds ``NOT SRC:PPR`` (the snapshot holds none)."""
    from livescreen.sources.europepmc_query import to_europepmc

    notes: list[str] = []
    if preprints or not hasattr(source, "search"):
        result = source.search_pubmed(pubmed_query)
    else:
        translation = to_europepmc(pubmed_query)
        result = source.search(f"({translation.query}) {NO_PREPRINTS}")
        result["translation"] = translation
        notes.append(f"preprints excluded ({NO_PREPRINTS})")
    translation = result["translation"]
    return {
        "slug": slug,
        "database": EUROPEPMC,
        "pubmed_query": translation.pubmed,
        "query": result["query"],  # as sent
        "translation_notes": [*translation.notes, *notes],
        "preprints": preprints,
        "total": result["total"],
        "retrieved": len(result["records"]),
        "pages": result["pages"],
        "requests": source.requests_sent,
        "run_date": (today or dt.date.today()).isoformat(),
        "source": result["source"],
        "source_label": result["source_label"],
        "records": result["records"],
    }


def _as_other_source(record: dict, source: str, record_id: str, found_by: list[str]) -> dict:
    record = {**record, "record_id": record_id, "source": source, "found_by": found_by}
    record["import_ids"] = import_ids(record)
    return record


def merge_europepmc(searches: Sequence[Mapping], pubmed_searches: Iterable[Mapping]) -> list[dict]:
    """One record per Europe PMC id (``SOURCE:id``), in the order first found, with
    ``europepmc_keywords`` (the keywords whose search found it) and ``in_pubmed_searches``."""
    in_pubmed = merge_search_hits(pubmed_searches)
    merged: dict[str, dict] = {}
    for search in searches:
        for record in search["records"]:
            key = f"{record['europepmc_source']}:{record['europepmc_id']}"
            entry = merged.get(key)
            if entry is None:
                entry = merged[key] = {
                    **record,
                    "accession_numbers": [key],
                    "database": EUROPEPMC,
                    "searched": search["run_date"],
                    "europepmc_keywords": [],
                }
            if search["slug"] not in entry["europepmc_keywords"]:
                entry["europepmc_keywords"].append(search["slug"])
    out = []
    for key, entry in merged.items():
        found_by = [f"{EUROPEPMC}: {', '.join(entry['europepmc_keywords'])}"]
        record = _as_other_source(entry, EUROPEPMC, f"europepmc:{key}", found_by)
        record["in_pubmed_searches"] = bool(record.get("pmid")) and record["pmid"] in in_pubmed
        out.append(record)
    return out


def write_europepmc(
    searches: Sequence[Mapping],
    pubmed_searches: Iterable[Mapping],
    records_path: str | Path,
    summary_path: str | Path,
) -> dict:
    """The merge step: `merge_europepmc` into ``records_path`` (JSONL) and a summary (per
    keyword: hits, pages, requests; preprints; records PubMed's searches found too)."""
    records = merge_europepmc(searches, pubmed_searches)
    summary = {
        "database": EUROPEPMC,
        "records": len(records),
        "preprints": sum(1 for r in records if r.get("preprint")),
        "in_pubmed_searches": sum(1 for r in records if r["in_pubmed_searches"]),
        "requests": sum(s["requests"] for s in searches),
        "searches": [
            {k: s[k] for k in ("slug", "query", "total", "pages", "requests", "run_date")}
            for s in searches
        ],
        "source_label": searches[0]["source_label"] if searches else "",
    }
    write_jsonl(records_path, records)
    write_json(summary_path, summary)
    return summary


# -- citation chasing ---------------------------------------------------------------------------


def citation_seeds(
    references: Iterable[Mapping], classified: Iterable[Mapping], which: Sequence[str]
) -> dict[str, list[str]]:
    """{seed PMID: why it is a seed}: the essay's references resolved to a PMID (``essay``)
    and the highlighted records (``highlighted``), in that order, each PMID once."""
    seeds: dict[str, list[str]] = {}
    if "essay" in which:
        for ref in references:
            if ref.get("pmid"):
                seeds.setdefault(str(ref["pmid"]), []).append(
                    f"essay reference {ref.get('essay_ref', '?')}"
                )
    if "highlighted" in which:
        for record in classified:
            if record.get("highlight") and record.get("pmid"):
                seeds.setdefault(str(record["pmid"]), []).append("highlighted")
    return seeds


def run_chase(
    source,
    seeds: Mapping[str, list[str]],
    *,
    depth: int = 1,
    directions: Sequence[str] = ("forward", "backward"),
    today: dt.date | None = None,
) -> dict:
    """The chase as `results/citations/chased.json` holds it: the seeds (and why), every PMID
    found with its ``found_by`` strings and level, counts per direction, requests sent."""
    from livescreen.sources.citations import chase_citations

    result = chase_citations(list(seeds), source, depth=depth, directions=directions)
    return {
        "database": CITATIONS,
        "seeds": [{"pmid": pmid, "why": why} for pmid, why in seeds.items()],
        "found": [
            {"pmid": pmid, "found_by": entry.found_by, "level": entry.level}
            for pmid, entry in result.found.items()
        ],
        "counts": result.counts(),
        "unknown": result.unknown,
        "depth": result.depth,
        "directions": list(result.directions),
        "requests": result.requests,
        "run_date": (today or dt.date.today()).isoformat(),
        "source_label": result.source_label,
    }


def fetch_chased(
    source,
    store: RecordStore,
    chased: Mapping,
    pubmed_searches: Iterable[Mapping],
    batch_size: int,
    records_path: str | Path,
) -> dict:
    """The PMIDs the chase found, fetched through the PubMed source into the store (those
    not stored yet, in efetch batches; stored ones PubMed modified since they were last
    known current, again), parsed into ``records_path``; returns the fetch's counts."""
    from livescreen.parse.pubmed_xml import PubmedXmlError, iter_articles

    found_by = {entry["pmid"]: entry["found_by"] for entry in chased["found"]}
    pmids = list(found_by)
    stats = fetch_missing(source, store, pmids, batch_size)
    stats |= refetch_changed(source, store, pmids, batch_size)
    in_pubmed = merge_search_hits(pubmed_searches)
    records: list[dict[str, Any]] = []
    if pmids:
        try:
            with store.open_xml(pmids) as xml:
                records = list(ensure_complete(pmids, iter_articles(xml)))
        except PubmedXmlError as exc:
            raise unreadable_store(store, pmids, exc) from None
    out = []
    for record in records:
        pmid = str(record["pmid"])
        entry = _as_other_source(record, CITATIONS, f"citation:{pmid}", found_by[pmid])
        entry["in_pubmed_searches"] = pmid in in_pubmed
        out.append(entry)
    write_jsonl(records_path, out)
    stats["in_pubmed_searches"] = sum(1 for r in out if r["in_pubmed_searches"])
    return stats
