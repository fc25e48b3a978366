"""Works across sources: PubMed's records and every other source's, one row per work.

    merged = cross_source(pubmed_records, mechanisms, other_records)
    merged.works       # one Work per cluster of `livescreen.dedup.deduplicate`
    merged.possible    # close calls, never merged: rows of possible_duplicates.csv
    merged.merges      # why copies were merged: rows of merged_duplicates.csv

**Sources.** PubMed records (parsed and classified, keyed by `pmid`; `mechanisms` gives the
keyword searches that found each) and the records of any other source: database exports
(`livescreen.sources.imports`), and later Europe PMC or citation chasing. An other source's
record needs `record_id` (unique in the run), `source` (its name, e.g. "PsycINFO
(EBSCOhost)") and `import_ids` (the ids it may be screened under, best first: PMID,
`doi:<doi>`, `import:<hash>`), besides livescreen's record fields.

**One work per cluster.** Without other sources' records every PubMed record is its own work
and nothing is compared (PubMed gives every record one PMID). Otherwise all records are
clustered (`deduplicate`: identifiers first, then blocked fuzzy matching; zero false merges
first). A work's metadata is its PubMed record where it has one (curated, and classified
from PubMed's text), the gaps (DOI, PMCID, abstract) filled from the other copies; else the
merged record (`dedup.merge`: the best metadata of the copies). Its classification is that
of the copy whose abstract the row shows (PubMed's record, unless it had none), so design
and highlight agree with the text a reviewer reads.

**Stable ids.** A work with a PubMed record is screened under its PMID. A work only other
sources found takes the first free id of: a PMID its copies carry, `doi:<doi>`, the smallest
`import:<hash>` (source, normalised title, year, first author, volume, pages: the same in a
new export of the same search). `member_ids` lists every id the work's copies may have been
screened under before (the ids of every copy, and `doi:` of every DOI), so a decision
recorded under any of them follows the work (`livescreen.review.merges`); an id two works
would share is left out of both (it is never used to move a decision to the wrong row).
Given the last runs' works (`previous`, kept in `decisions/works.json`), a work keeps the id
it was screened under even when a better one appears (a DOI in a new export), an id a row
was screened under goes to no other work (another article exported with that DOI), and a
row's id joins the member_ids of the one work its copies now belong to (a split), so its
decision follows.

**Never merged silently.** Borderline pairs (`possible`) and related works (preprint and
article, erratum and article, `related`) stay separate rows; the first are listed for a
human, the second linked in each row's `related`. Possible pairs between two PubMed
records (different PMIDs) are left out: PubMed already tells them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livescreen.columns import CLASSIFICATION_COLUMNS
from livescreen.dedup import Result, deduplicate
from livescreen.dedup.merge import FIELDS as BEST_FIELDS

PUBMED = "PubMed"
# metadata a PubMed record may lack and another copy may give
FILL_FROM_COPIES = ("doi", "pmcid", "abstract", "volume", "issue", "pages", "journal_title")
# when a source was asked, not what the record says: left out of matching, so the clusters
# (and the screening step's copy of them, livescreen.memo) are the same on another day
RUN_FIELDS = ("searched",)
# metadata of a work only other sources found, from the merged record
MERGED_FIELDS = (
    *BEST_FIELDS,  # each the best copy's (livescreen.dedup.merge)
    *("doi", "pmcid", "nct_ids", "accession_numbers"),
    *("keywords", "publication_types", "mesh"),
)


@dataclass
class Work:
    """One row of the screening tables: a work and every copy of it the sources found."""

    record_id: str
    record: dict[str, Any]
    pmid: str | None = None  # the PMID of its PubMed record (found by the keyword searches)
    member_ids: list[str] = field(default_factory=list)  # record_id first
    found_by: list[str] = field(default_factory=list)  # "PubMed: slug, slug", source names
    sources: list[str] = field(default_factory=list)  # source names, PubMed first
    copies: list[str] = field(default_factory=list)  # "file:line" of every other copy
    related: list[str] = field(default_factory=list)
    internal_ids: tuple[str, ...] = ()  # the cluster's ids in `deduplicate`
    doi_from_copies: bool = False  # a PubMed record's DOI that only another copy gave


@dataclass
class Merged:
    works: list[Work]
    possible: list[dict[str, str]]
    records: int  # copies read: PubMed records + other sources' records
    by_source: dict[str, int] = field(default_factory=dict)  # copies per source
    merges: list[dict[str, str]] = field(default_factory=list)  # each merging pair, why

    @property
    def duplicates(self) -> int:
        """Copies merged into another copy's work (removed as duplicates, for PRISMA)."""
        return self.records - len(self.works)


def _pubmed_work(record: Mapping[str, Any], mechanisms: Sequence[str]) -> Work:
    pmid = str(record["pmid"])
    return Work(
        record_id=pmid,
        record=dict(record),
        pmid=pmid,
        member_ids=[pmid],
        found_by=[f"{PUBMED}: {', '.join(mechanisms)}" if mechanisms else PUBMED],
        sources=[PUBMED],
        internal_ids=(f"pubmed:{pmid}",),
    )


def dedup_inputs(
    pubmed: Sequence[Mapping[str, Any]], others: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The records `cross_source` deduplicates, each with its `record_id` (`pubmed:<pmid>`
    for PubMed's) and `source`; none when no other source has records (nothing to compare:
    PubMed gives every record one PMID). A second matcher sees exactly these."""
    if not others:
        return []
    inputs = [{**r, "record_id": f"pubmed:{r['pmid']}", "source": PUBMED} for r in pubmed]
    return inputs + [dict(r) for r in others]


def cross_source(
    pubmed: Sequence[Mapping[str, Any]],
    mechanisms: Mapping[str, Sequence[str]],
    others: Sequence[Mapping[str, Any]] = (),
    previous: Mapping[str, Sequence[str]] | None = None,
    second_opinion: Sequence[tuple[str, str]] = (),
    cluster: Callable[..., Result] = deduplicate,
) -> Merged:
    """The works of this run (see the module doc): PubMed's works in input order, then the
    works only other sources found, by id. `previous` is the last run's works (record_id ->
    member_ids): a work keeps the id it was screened under, and a work whose copies were
    another row's before (a split) lists that row's id, so its decision follows.
    `second_opinion`: the duplicate pairs of a second matcher over `dedup_inputs`
    (`livescreen.dedup.second_matcher`). `cluster`: `deduplicate` or a stand-in giving its
    result (the screening step reads back the result for unchanged inputs, livescreen.memo)."""
    previous = previous or {}
    by_source = {PUBMED: len(pubmed)} if pubmed else {}
    for record in others:
        by_source[record["source"]] = by_source.get(record["source"], 0) + 1
    if not others:
        works = [_pubmed_work(r, mechanisms.get(str(r["pmid"]), [])) for r in pubmed]
        return Merged(works, [], len(pubmed), by_source)

    inputs = dedup_inputs(pubmed, others)
    by_id = {r["record_id"]: r for r in inputs}
    original = {f"pubmed:{r['pmid']}": r for r in pubmed}
    matched = [{k: v for k, v in r.items() if k not in RUN_FIELDS} for r in inputs]
    result = cluster(matched, second_opinion=second_opinion)

    works: list[Work] = []
    taken: set[str] = set()
    pending: list[tuple[list[str], Any]] = []
    for cluster in result.clusters:
        members = [by_id[i] for i in cluster.record_ids]
        pubmed_member = next((m for m in members if m["source"] == PUBMED), None)
        if pubmed_member is not None:
            pmid = str(pubmed_member["pmid"])
            work = _pubmed_work(original[pubmed_member["record_id"]], mechanisms.get(pmid, []))
            for name in FILL_FROM_COPIES:
                if not work.record.get(name) and cluster.record.get(name):
                    work.record[name] = cluster.record[name]
                    work.doi_from_copies |= name == "doi"
            if not pubmed_member.get("abstract") and work.record.get("abstract"):
                # the row shows a copy's abstract: its classification read that abstract
                work.record.update(_classification(members, work.record["abstract"]))
            taken.add(work.record_id)
            works.append(_with_copies(work, members, cluster))
        else:
            pending.append((_candidates(members, cluster.record), cluster))
    # ids are handed out in an order that depends on the works, never on the exports' order
    pending.sort(key=lambda item: (item[0][-1], _content_key(item[1].record)))
    kept = _kept_ids(pending, previous, taken, by_id)
    taken |= set(kept.values())
    for index, (candidates, cluster) in enumerate(pending):
        members = [by_id[i] for i in cluster.record_ids]
        own = _aliases(members, cluster)
        # an id a last-run row was screened under goes only to that row's work
        free = [c for c in candidates if c not in taken and _owns(c, own, previous)]
        record_id = kept.get(index) or (free[0] if free else None)
        if record_id is None:  # every id taken (a refused merge sharing a DOI): numbered
            n = 2
            while f"{candidates[-1]}-{n}" in taken:
                n += 1
            record_id = f"{candidates[-1]}-{n}"
        taken.add(record_id)
        best = by_id[cluster.record["primary_record_id"]]
        record = {**best, **{k: cluster.record.get(k) for k in MERGED_FIELDS}}
        # the classification of the copy whose abstract the row shows (the longest)
        record.update(_classification(members, record.get("abstract")))
        record["pmid"] = record_id if record_id.isdigit() else None
        work = Work(record_id=record_id, record=record, member_ids=[record_id])
        works.append(_with_copies(work, members, cluster))
    _unshared_aliases(works)
    for work in works:  # nor may a last-run row's decision follow another work
        own = set(work.member_ids)
        work.member_ids = [
            m for m in work.member_ids if m == work.record_id or _owns(m, own, previous)
        ]
    _follow_splits(works, previous)
    merges = _merges(result, works)
    return Merged(works, _pairs(result, works), len(inputs), by_source, merges)


def _classification(members: Sequence[Mapping[str, Any]], abstract: Any) -> dict[str, Any]:
    """The classification columns of the first copy whose abstract is `abstract` (the text
    the row shows, so design and highlight agree with what a reviewer reads); none when no
    classified copy has it."""
    for member in members:
        if abstract and member.get("abstract") == abstract and "design" in member:
            return {k: member[k] for k in CLASSIFICATION_COLUMNS if k in member}
    return {}


def _content_key(record: Mapping[str, Any]) -> str:
    fields = ("title", "authors", "journal", "volume", "pages", "year", "dois", "pmids")
    return repr([record.get(name) for name in fields])


def _aliases(members: Sequence[Mapping[str, Any]], cluster) -> set[str]:
    ids = {i for m in members for i in m.get("import_ids", [])}
    ids |= {str(m["pmid"]) for m in members if m.get("pmid")}
    return ids | {f"doi:{d}" for d in cluster.record.get("dois") or []}


def _owns(row_id: str, own: set[str], previous: Mapping[str, Sequence[str]]) -> bool:
    """Whether a work with ids `own` is the work last run's row `row_id` showed: the row's
    other ids are among the work's (a row with no other id: its own id is). Ids no row was
    screened under are anyone's."""
    if row_id not in previous:
        return True
    others = set(previous[row_id]) - {row_id}
    return bool(others & own) if others else row_id in own


def _kept_ids(pending, previous, taken, by_id) -> dict[int, str]:
    """pending work index -> the id it was screened under last run: a previous row's id
    that is one of the work's candidates, when the row's other ids are the work's own and no
    other work's (so a work arriving with the same DOI, or a twin, never takes it)."""
    claims: dict[str, list[int]] = {}
    for index, (candidates, cluster) in enumerate(pending):
        own = _aliases([by_id[i] for i in cluster.record_ids], cluster)
        for row_id in candidates:
            if row_id in previous and row_id not in taken and _owns(row_id, own, previous):
                claims.setdefault(row_id, []).append(index)
    kept: dict[int, str] = {}
    for row_id, indexes in claims.items():
        if len(indexes) == 1 and indexes[0] not in kept:
            kept[indexes[0]] = row_id
    return kept


def _follow_splits(works: list[Work], previous: Mapping[str, Sequence[str]]) -> None:
    """A last-run row no work is now screened under, whose ids are now one work's (its other
    copies left: an export removed): that row's id joins the work's member_ids, so its
    decision follows (livescreen.review.merges). Rows whose ids are now several works'
    follow none."""
    current = {w.record_id for w in works}
    owners: dict[str, set[int]] = {}
    for index, work in enumerate(works):
        for alias in work.member_ids:
            owners.setdefault(alias, set()).add(index)
    for row_id, ids in previous.items():
        if row_id in current:
            continue
        claimants = set().union(*(owners.get(i, set()) for i in ids if i != row_id))
        if len(claimants) == 1:
            work = works[claimants.pop()]
            if row_id not in work.member_ids:
                work.member_ids.append(row_id)


def _candidates(members: Sequence[Mapping[str, Any]], merged: Mapping[str, Any]) -> list[str]:
    """The ids a work only other sources found may take, best first; the last is the
    smallest `import:` hash of its copies (always there)."""
    ids = [str(p) for p in merged.get("pmids") or []]
    ids += [f"doi:{d}" for d in merged.get("dois") or []]
    hashes = sorted(i for m in members for i in m.get("import_ids", []) if i.startswith("import:"))
    return [*dict.fromkeys(ids), hashes[0] if hashes else f"import:{members[0]['record_id']}"]


def _with_copies(work: Work, members: Sequence[Mapping[str, Any]], cluster) -> Work:
    aliases = list(work.member_ids)
    for member in members:
        if member["source"] == PUBMED:
            aliases.append(str(member["pmid"]))
            continue
        aliases += list(member.get("import_ids", []))
        if member["source"] not in work.sources:
            work.sources.append(member["source"])
        # a copy says how it was found (Europe PMC's keywords, the citation chased), else
        # its source's name (a database export)
        for found in member.get("found_by") or [member["source"]]:
            if found not in work.found_by:
                work.found_by.append(found)
        if member.get("file"):
            work.copies.append(f"{member['file']}:{member.get('line', '')}")
    aliases += [f"doi:{d}" for d in cluster.record.get("dois") or []]
    work.member_ids = list(dict.fromkeys(aliases))
    work.internal_ids = tuple(cluster.record_ids)
    return work


def _unshared_aliases(works: list[Work]) -> None:
    """An id two works claim is no one's alias (each keeps its own record_id)."""
    claims: dict[str, int] = {}
    for work in works:
        for alias in set(work.member_ids):
            claims[alias] = claims.get(alias, 0) + 1
    for work in works:
        work.member_ids = [
            a for a in work.member_ids if a == work.record_id or claims.get(a, 0) == 1
        ]


def _merges(result, works: list[Work]) -> list[dict[str, str]]:
    """One row per pair that joined copies into a work: the copies, the rule and its reason
    (a reviewer can see why two exports' records became one row)."""
    work_of = {i: w for w in works for i in w.internal_ids}
    return [
        {"record_id": work_of[cluster.id].record_id, "copy": link.a, "other_copy": link.b,
         "rule": link.rule, "reason": link.reason}  # fmt: skip
        for cluster in result.duplicates
        for link in cluster.links
    ]


def _pairs(result, works: list[Work]) -> list[dict[str, str]]:
    """Possible duplicates (rows for a human) and related works (each row's `related`)."""
    work_of = {i: w for w in works for i in w.internal_ids}
    rows = []
    for pair in result.related:
        a, b = work_of[pair.a], work_of[pair.b]
        a.related.append(f"{b.record_id} ({pair.relation}: {pair.reason})")
        b.related.append(f"{a.record_id} ({pair.relation}: {pair.reason})")
    for pair in result.possible:
        a, b = work_of[pair.a], work_of[pair.b]
        if a is b or (a.pmid and b.pmid):
            continue
        rows.append(
            {
                "record_id": a.record_id,
                "other_record_id": b.record_id,
                "title": a.record.get("title") or "",
                "other_title": b.record.get("title") or "",
                "found_by": "; ".join(a.found_by),
                "other_found_by": "; ".join(b.found_by),
                "rule": pair.rule,
                "reason": pair.reason,
            }
        )
    return rows
