"""Snakemake rule `search_log`: every keyword's search record (with its Europe PMC search and
translation), and each database export's summary (config `imports:`)
-> results/search_log.csv."""

from livescreen.files import read_json, write_csv
from livescreen.logs import logged
from livescreen.review.tables import SEARCH_LOG_COLUMNS, search_log_rows

with logged(snakemake.log[0]) as log:
    searches = [read_json(path) for path in snakemake.input.searches]
    imports = [s for path in snakemake.input.imports for s in read_json(path)["imports"]]
    europepmc = [read_json(path) for path in snakemake.input.europepmc]  # none when disabled
    rows = search_log_rows(searches, imports, europepmc)
    write_csv(snakemake.output[0], rows, SEARCH_LOG_COLUMNS)
    log.info(
        "search log of %d keyword(s) (%d with Europe PMC), %d export(s) written",
        len(searches),
        len(europepmc),
        len(imports),
    )
