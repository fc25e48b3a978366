"""Snakemake rule `classify`: every parsed record with its design, comparator and highlight,
on the rule's threads, reusing the classifications of unchanged records
(livescreen/classify/batch.py)."""

from livescreen.classify.batch import classify_file
from livescreen.logs import logged

params = snakemake.params
with logged(snakemake.log[0]) as log:
    counts = classify_file(
        snakemake.input[0],
        snakemake.output[0],
        dict(params.settings),
        threads=snakemake.threads,
        cache=params.cache,
    )
    log.info(
        "classified %(records)d records (%(classified)d classified now, %(from_cache)d "
        "unchanged from the cache); %(highlighted)d highlighted",
        counts,
    )
