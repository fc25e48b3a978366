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
* `citation_seeds`, `run_chase`: the essay's resolved references, the highlighted records
  and the PMIDs linked to highlighted registrations, chased one level (configurable) through
  iCite or ELink.
* `fetch_chased`: the PMIDs the chase found, fetched into the record store through the
  PubMed source (only those not stored, in efetch batches; stored ones PubMed modified
  since, again) and parsed. Those not stored are first checked to be in PubMed
  (`in_pubmed`): iCite and ELink may list records PubMed no longer serves (deleted or
  withdrawn), which the efetch check would rightly refuse; they are dropped and named.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from livescreen.dedup.essay import merge_search_hits
from livescreen.errors import LivescreenError, RemoteError
from livescreen.fetch import (
    RecordStore,
    discard_unusable,
    ensure_complete,
    fetch_missing,
    refetch_changed,
    unreadable_store,
)
from livescreen.files import write_json, write_jsonl
from livescreen.sources.eutils import CHANGE_CHECK_CHUNK, is_pmid, shown_id
from livescreen.sources.imports import import_ids

log = logging.getLogger("livescreen.other_sources")

EUROPEPMC = "Europe PMC"
CITATIONS = "citation chasing"
NO_PREPRINTS = "NOT SRC:PPR"
# PMIDs per existence check: one esearch, as many as a change check asks about (the same
# `N[uid] OR ...` term in a POST body; every PMID found fits one answer).
EXISTENCE_CHECK_CHUNK = CHANGE_CHECK_CHUNK


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
    references: Iterable[Mapping],
    classified: Iterable[Mapping],
    which: Sequence[str],
    registrations: Iterable[Mapping] = (),
) -> dict[str, list[str]]:
    """{seed PMID: why it is a seed}: the essay's references resolved to a PMID (``essay``),
    then (``highlighted``) the highlighted records and the PMIDs linked to highlighted
    registrations (``linked to highlighted registration NCT…``), in that order, each PMID
    once with every reason it is one."""
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
        for registration in registrations:
            if not registration.get("highlight"):
                continue
            why = f"linked to highlighted registration {registration.get('nct_id') or '?'}"
            for pmid in registration.get("linked_pmids") or []:
                # checked where they arrived (the registry step); a stray value is no seed
                if is_pmid(str(pmid)) and why not in seeds.get(str(pmid), []):
                    seeds.setdefault(str(pmid), []).append(why)
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


def in_pubmed(source, pmids: Sequence[str]) -> tuple[list[str], int]:
    """(the `pmids` PubMed holds, in order; requests sent): one esearch per
    `EXISTENCE_CHECK_CHUNK` PMIDs for ``N[uid] OR ...`` (no date limit), as the fetch step's
    change check asks (`EutilsClient.modified_among`); none for no PMIDs. The answer must
    list only PMIDs asked about, and as many as it counts, or the job fails naming the
    chunk: an answer for another request could otherwise drop records PubMed holds.

    The offline snapshot cannot search ``[uid]`` (its query evaluator knows no such field):
    it answers from its bundled records, one request per chunk as an esearch would be."""
    wanted = list(dict.fromkeys(pmids))
    chunks = [
        wanted[i : i + EXISTENCE_CHECK_CHUNK] for i in range(0, len(wanted), EXISTENCE_CHECK_CHUNK)
    ]
    held: set[str] = set()
    for chunk in chunks:
        held.update(_held_among(source, chunk))
    return [pmid for pmid in wanted if pmid in held], len(chunks)


def _held_among(source, chunk: list[str]) -> list[str]:
    from livescreen.sources.snapshot import Snapshot

    if isinstance(source, Snapshot):
        source.requests_sent += 1
        return [pmid for pmid in chunk if pmid in source.articles]
    what = f"existence check of {len(chunk)} chased PMID(s) ({chunk[0]} ... {chunk[-1]})"
    term = " OR ".join(f"{pmid}[uid]" for pmid in chunk)
    try:
        result = source.esearch(term, retmax=len(chunk))
    except LivescreenError as exc:
        raise RemoteError(f"{what}: {exc}") from None
    asked = set(chunk)
    foreign = [pmid for pmid in dict.fromkeys(result.ids) if pmid not in asked]
    if foreign:
        shown = ", ".join(shown_id(pmid) for pmid in foreign[:10])
        raise RemoteError(f"{what}: esearch returned PMID(s) not asked about: {shown}")
    if result.count != len(result.ids):
        raise RemoteError(
            f"{what}: esearch counted {result.count} records but listed {len(result.ids)}"
        )
    return result.ids


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
    known current, again), parsed into ``records_path``; returns the fetch's counts.

    Those not stored are first checked to be in PubMed (`in_pubmed`: one esearch per 5,000,
    none when every one is stored): iCite and ELink may list a record PubMed deleted or
    withdrew, whose efetch answer would lack it and be refused whole. Such PMIDs are left
    out (``not_in_pubmed`` in the counts, and a warning in the log); the efetch check
    itself is unchanged, so a record PubMed lists but does not serve still fails the job."""
    from livescreen.parse.pubmed_xml import PubmedXmlError, iter_articles

    found_by = {entry["pmid"]: entry["found_by"] for entry in chased["found"]}
    chased_pmids = list(found_by)
    # records the parse step could not read are discarded first (as `fetch_missing` does),
    # so they are asked about and fetched again like any record not stored
    unusable = discard_unusable(store, chased_pmids)
    stored = store.stored(chased_pmids)
    new = [pmid for pmid in chased_pmids if pmid not in stored]
    held, checks = in_pubmed(source, new)
    absent = set(new) - set(held)
    not_in_pubmed = [pmid for pmid in new if pmid in absent]
    if not_in_pubmed:
        shown = ", ".join(not_in_pubmed[:20])
        more = f" and {len(not_in_pubmed) - 20} more" if len(not_in_pubmed) > 20 else ""
        log.warning(
            "citation chasing: %d chased PMID(s) are not in PubMed (deleted or withdrawn) "
            "and are left out: %s%s",
            len(not_in_pubmed),
            shown,
            more,
        )
    pmids = [pmid for pmid in chased_pmids if pmid not in absent]
    stats = {
        "chased": len(chased_pmids),
        "existence_check_requests": checks,
        "not_in_pubmed": not_in_pubmed,
    }
    stats |= fetch_missing(source, store, pmids, batch_size)
    stats["unusable_refetched"] = list(unusable)
    stats |= refetch_changed(source, store, pmids, batch_size)
    in_pubmed_searches = merge_search_hits(pubmed_searches)
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
        entry["in_pubmed_searches"] = pmid in in_pubmed_searches
        out.append(entry)
    write_jsonl(records_path, out)
    stats["in_pubmed_searches"] = sum(1 for r in out if r["in_pubmed_searches"])
    return stats
