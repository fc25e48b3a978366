"""Snakemake rule `prisma`: searches, registry search and screening tables -> the PRISMA 2020
counts (`results/prisma/counts.csv`, `counts_by_keyword.csv`) and flow diagram (`flow.svg`,
`flow.png`). livescreen/prisma.py defines every number.

The screening tables are read through the manifest (they are not Snakemake outputs, so they
cannot be inputs), as the reviewers left them: `snakemake --forcerun prisma` after screening
redraws the diagram with their decisions.
"""

from livescreen.logs import logged
from livescreen.prisma import (
    KEYWORD_COLUMNS,
    flow_diagram,
    keyword_counts,
    prisma_counts,
    read_tables,
    write_counts,
)
from livescreen.tables import read_json, write_csv

with logged(snakemake.log[0]) as log:
    searches = [read_json(path) for path in snakemake.input.searches]
    registry = read_json(snakemake.input.registry)
    manifest = read_json(snakemake.input.manifest)
    counts = prisma_counts(searches, registry, read_tables(manifest), manifest["run"])
    write_counts(snakemake.output.counts, counts)
    write_csv(snakemake.output.by_keyword, keyword_counts(searches, registry), KEYWORD_COLUMNS)
    flow_diagram(counts, snakemake.output.svg, snakemake.output.png)
    n = {row["data"]: row["n"] for row in counts}
    log.info(
        "run %s: identified %s + %s, duplicates %s, essay matches %s, screened %s",
        manifest["run"],
        n["database_results"],
        n["register_results"],
        n["duplicates"],
        n["excluded_other"],
        n["records_screened"],
    )
