"""Snakemake rule `prisma`: searches, registry search and `results/screening/screening.json`
-> the PRISMA 2020 counts and flow diagrams of the review so far (`results/prisma/counts.csv`,
`flow.svg`, `flow.png`) and of this update (`update_counts.csv`, `update_flow.svg`,
`update_flow.png`), `counts_by_keyword.csv`, and a copy of them all in the run's folder
(`results/runs/<time>/prisma/`). livescreen/export/prisma.py defines every number.

screening.json carries the decision store's current decisions, and changes whenever they
do, so Snakemake reruns this rule by itself after screening.
"""

from livescreen.export.prisma import log_line, read_screening
from livescreen.export.prisma_diagram import write_prisma
from livescreen.files import read_json
from livescreen.logs import logged

with logged(snakemake.log[0]) as log:
    searches = [read_json(path) for path in snakemake.input.searches]
    registry = read_json(snakemake.input.registry)
    screening = read_screening(snakemake.input.screening)
    outputs = dict(snakemake.output.items())  # by name, as rules/prisma.smk names them
    review, update, folder = write_prisma(searches, registry, screening, outputs)
    for view, rows in (("update", update), ("review so far", review)):
        log.info(log_line(view, screening.run, rows))
    log.info("archived in %s", folder)
