"""Snakemake rule `imports`: every database export named in config.yaml `imports:` read, all
or nothing, into `results/data/imported.jsonl`, with a per-source summary for PRISMA-S
(livescreen/sources/imports.py)."""

from livescreen.logs import logged
from livescreen.sources.imports import write_imports

params, output = snakemake.params, snakemake.output
with logged(snakemake.log[0]) as log:
    summaries = write_imports(
        [dict(entry) for entry in params.imports],
        [list(files) for files in params.files],
        output.records,
        output.summary,
    )
    for summary in summaries:
        log.info(
            "%s: %d records from %d file(s), searched %s",
            summary["name"],
            summary["records"],
            len(summary["files"]),
            summary["searched"] or "(date not given)",
        )
