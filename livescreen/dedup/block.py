"""Block: the candidate pairs worth comparing, found through shared keys, never all pairs.

Each record gets a few blocking keys; two records are compared only when they share one.
The keys are chosen so that a duplicate pair shares at least one even when a field is
missing or written differently in each database:

* every identifier: `doi:…`, `pmid:…`, `pmcid:…`, and NCT ids (`nct:…`), so a
  registration meets the publications that cite it;
* the title's first four words (`tb:`), its last four (`te:`, a lost or bracketed first word),
  and the title without spaces and stop words (`tc:`);
* first author and year (`ay:`), first author and first page (`ap:`);
* volume, first page and year (`vp:`), whatever the journal is called.

A key shared by more than `max_block` records (a common surname in a common year, the title
`Editorial`) says little; such a block is not expanded into pairs (the other keys still find
its duplicates). The pairs come out sorted, so the whole run is deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from livescreen.dedup.fields import Prepared

MAX_BLOCK = 120


def blocking_keys(p: Prepared) -> Iterator[str]:
    for doi in p.dois:
        yield f"doi:{doi}"
    for pmid in p.pmids:
        yield f"pmid:{pmid}"
    for pmcid in p.pmcids:
        yield f"pmcid:{pmcid}"
    for nct in p.nct_ids:  # a registration's own id, or the trial a publication reports
        yield f"nct:{nct}"
    words = p.title_words
    if words:
        yield "tb:" + " ".join(words[:4])
        if len(words) > 4:
            yield "te:" + " ".join(words[-4:])
        yield "tc:" + p.title_compact
    if p.authors:
        first = p.authors[0][1]
        for year in p.years:
            yield f"ay:{first}|{year}"
        if p.first_page:
            yield f"ap:{first}|{p.first_page}"
    if p.volume and p.first_page:
        for year in p.years:
            yield f"vp:{p.volume}|{p.first_page}|{year}"


def candidate_pairs(
    prepared: Iterable[Prepared], *, max_block: int = MAX_BLOCK
) -> tuple[list[tuple[int, int]], dict[str, int]]:
    """(sorted candidate pairs of indexes, sizes of the blocks too large to expand)."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for p in prepared:
        for key in set(blocking_keys(p)):
            blocks[key].append(p.index)
    pairs: set[tuple[int, int]] = set()
    skipped: dict[str, int] = {}
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        if len(members) > max_block and not key.startswith(("doi:", "pmid:", "pmcid:", "nct:")):
            skipped[key] = len(members)
            continue
        members = sorted(members)
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                pairs.add((left, right))
    return sorted(pairs), skipped
