"""Cross-source deduplication: the same work found in several databases becomes one record.

    from livescreen.dedup import deduplicate
    result = deduplicate(records)          # records: livescreen or imported records
    result.clusters                        # every record in exactly one Cluster
    result.possible                        # close calls for a human: never merged
    result.related                         # preprint/article, erratum/article, ...: linked

The steps are modules, in order (as bib-dedupe's are):

* `fields` — prepare: each record's matching keys (titles, authors, journal, numbers, ids);
* `kinds` — what kind of work a record is (article, preprint, conference, erratum, …);
* `block` — the candidate pairs that share a blocking key (no all-pairs comparison);
* `match` — the decision for one pair from its field similarities (duplicate, possible,
  related, distinct), with the rule and reason;
* `cluster` — duplicate pairs joined strongest first; a join that would put two records known
  to differ into one cluster is refused and becomes a possible pair;
* `merge` — the best metadata of each cluster and the union of its identifiers.

`second_matcher` adds, when configured, bib-dedupe's duplicate calls that livescreen's rules
do not forbid (`deduplicate(..., second_opinion=pairs)`).

`benchmark` measures it on bib-dedupe's labelled sets (`livescreen dedup-benchmark`).

**Input.** Any sequence of mappings with livescreen's record fields — `title`, `authors` (a
list of names in any usual form, or one BibTeX `A and B` string), `year`, `journal`,
`journal_title`, `volume`, `issue`, `pages`, `doi`, `pmid`, `pmcid`, `nct_ids`,
`publication_types`, `abstract`, `source`, `type_of_reference` / `entry_type` — missing
fields are read as empty. Each record needs a unique id in `record_id` (or name another
field with `id_field`); `livescreen.sources.imports` gives every imported record one
(`source/file#n`). A PubMed record can use `pubmed:<pmid>`.

**Zero false merges first.** A pair is merged only on a shared identifier with agreeing
titles, or when title, authors and a second field agree without any conflict (other
numbers in the title, another volume or page, years two apart, different PMIDs or DOIs);
everything borderline is returned in `possible`, never merged. The output depends only on
the records and their order: the same input gives the same clusters, pairs and reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livescreen.dedup.block import MAX_BLOCK, candidate_pairs
from livescreen.dedup.cluster import build_clusters
from livescreen.dedup.fields import Prepared, prepare
from livescreen.dedup.match import Decision, compare
from livescreen.dedup.merge import merge_records
from livescreen.dedup.second_matcher import BIB_DEDUPE
from livescreen.dedup.second_matcher import decide as second_decision
from livescreen.errors import LivescreenError

__all__ = [
    "Cluster",
    "Link",
    "Pair",
    "Result",
    "deduplicate",
    "compare_records",
]


@dataclass(frozen=True, slots=True)
class Link:
    """A decided pair inside a cluster: why `a` and `b` were merged."""

    a: str
    b: str
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Pair:
    """Two records in different clusters: a ``possible`` duplicate for a human to decide, or
    ``related`` works (`relation`: "preprint of", "conference version of", "erratum for",
    "retraction notice for", "expression of concern about", "comment on", "registration of")."""

    a: str
    b: str
    decision: str
    rule: str
    reason: str
    relation: str = ""


@dataclass(frozen=True, slots=True)
class Cluster:
    """One work: its records' ids (input order), the merged record, and the links that
    joined them. `id` is the first record's id."""

    id: str
    record_ids: tuple[str, ...]
    record: dict[str, Any]
    links: tuple[Link, ...] = ()

    @property
    def is_duplicate(self) -> bool:
        return len(self.record_ids) > 1


@dataclass(frozen=True, slots=True)
class Result:
    """Every record in exactly one cluster; possible and related pairs between clusters."""

    clusters: tuple[Cluster, ...]
    possible: tuple[Pair, ...]
    related: tuple[Pair, ...]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def duplicates(self) -> tuple[Cluster, ...]:
        """The clusters of more than one record."""
        return tuple(c for c in self.clusters if c.is_duplicate)

    def cluster_of(self, record_id: str) -> Cluster:
        for cluster in self.clusters:
            if record_id in cluster.record_ids:
                return cluster
        raise KeyError(record_id)


def _record_ids(records: Sequence[Mapping[str, Any]], id_field: str) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    for position, record in enumerate(records, start=1):
        value = record.get(id_field)
        if value is None or str(value) == "":
            raise LivescreenError(f"record {position} has no {id_field!r}: every record needs one")
        value = str(value)
        if value in seen:
            raise LivescreenError(f"record {position}: {id_field} {value!r} is used twice")
        seen.add(value)
        ids.append(value)
    return ids


def compare_records(a: Mapping[str, Any], b: Mapping[str, Any]) -> Decision:
    """The decision for one pair of records (for tests and for explaining a result)."""
    return compare(prepare(a, 0, "a"), prepare(b, 1, "b"))


def deduplicate(
    records: Sequence[Mapping[str, Any]],
    *,
    id_field: str = "record_id",
    max_block: int = MAX_BLOCK,
    second_opinion: Iterable[tuple[str, str]] = (),
    second_matcher: str = BIB_DEDUPE,
) -> Result:
    """Cluster the records that are the same work (see the module doc). `second_opinion`:
    pairs of record ids another matcher (`second_matcher`) calls duplicates, merged unless
    livescreen's rules forbid it (`livescreen.dedup.second_matcher`)."""
    records = list(records)
    ids = _record_ids(records, id_field)
    prepared: list[Prepared] = [prepare(r, i, ids[i]) for i, r in enumerate(records)]
    pairs, skipped = candidate_pairs(prepared, max_block=max_block)
    decisions: dict[tuple[int, int], Decision] = {}
    for i, j in pairs:  # distinct pairs are not kept (a cluster join recomputes what it needs)
        found = compare(prepared[i], prepared[j])
        if found.decision != "distinct":
            decisions[(i, j)] = found
    position = {record_id: n for n, record_id in enumerate(ids)}
    for pair in second_opinion:
        unknown = [record_id for record_id in pair if record_id not in position]
        if unknown:
            raise LivescreenError(f"{second_matcher} named a record not given: {unknown[0]!r}")
        i, j = sorted(position[record_id] for record_id in pair)
        own = decisions.get((i, j)) or compare(prepared[i], prepared[j])
        found = second_decision(prepared[i], prepared[j], own, second_matcher)
        if found.decision != "distinct":
            decisions[(i, j)] = found
    groups, refused = build_clusters(prepared, decisions, compare)
    cluster_of = {index: n for n, members in enumerate(groups) for index in members}

    links: dict[int, list[Link]] = {}
    possible: dict[tuple[int, int], Pair] = {}
    related: dict[tuple[int, int], Pair] = {}
    for (i, j), d in sorted(decisions.items()):
        ci, cj = cluster_of[i], cluster_of[j]
        if ci == cj:
            if d.decision == "duplicate":
                links.setdefault(ci, []).append(Link(ids[i], ids[j], d.rule, d.reason))
            continue
        target = {"possible": possible, "related": related}.get(d.decision)
        key = (min(ci, cj), max(ci, cj))
        if target is not None and key not in target and not (target is possible and key in related):
            target[key] = Pair(ids[i], ids[j], d.decision, d.rule, d.reason, d.relation)
    for i, j, d in refused:
        ci, cj = cluster_of[i], cluster_of[j]
        key = (min(ci, cj), max(ci, cj))
        if ci != cj and key not in related:
            possible[key] = Pair(ids[i], ids[j], d.decision, d.rule, d.reason)
    for key in related:
        possible.pop(key, None)

    clusters = tuple(
        Cluster(
            id=ids[members[0]],
            record_ids=tuple(ids[m] for m in members),
            record=merge_records([records[m] for m in members], [ids[m] for m in members]),
            links=tuple(links.get(n, ())),
        )
        for n, members in enumerate(groups)
    )
    stats = {
        "records": len(records),
        "candidate_pairs": len(pairs),
        "kept_decisions": len(decisions),
        "skipped_blocks": len(skipped),
        "refused_joins": len(refused),
        "second_opinion_pairs": sum(1 for d in decisions.values() if d.rule == "second-matcher"),
    }
    return Result(
        clusters=clusters,
        possible=tuple(possible[k] for k in sorted(possible)),
        related=tuple(related[k] for k in sorted(related)),
        stats=stats,
    )
