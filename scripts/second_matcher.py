"""Snakemake rule `second_matcher` (config `deduplicate.second_matcher: bib-dedupe`): the
second matcher's duplicate pairs over every source's records, for the screening step to
check against livescreen's own rules (livescreen/dedup/second_matcher.py)."""

from livescreen.dedup.second_matcher import write_second_opinion
from livescreen.logs import logged

named = snakemake.input
with logged(snakemake.log[0]) as log:
    found = write_second_opinion(
        named.records,
        [*list(named.imports)[:1], *named.others],  # imports: [records, summary]
        snakemake.output[0],
        snakemake.params.matcher,
        cpu=snakemake.threads,
    )
    log.info(
        "%s %s: %d duplicate pairs among %d records",
        found["matcher"],
        found["version"],
        len(found["pairs"]),
        found["records"],
    )
