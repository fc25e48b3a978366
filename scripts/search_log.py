"""Snakemake rule `search_log`: every keyword's search record -> results/search_log.csv."""

from livescreen.files import read_json, write_csv
from livescreen.logs import logged
from livescreen.review.tables import SEARCH_LOG_COLUMNS, search_log_rows

with logged(snakemake.log[0]) as log:
    searches = [read_json(path) for path in snakemake.input]
    write_csv(snakemake.output[0], search_log_rows(searches), SEARCH_LOG_COLUMNS)
    log.info("search log of %d keyword(s) written", len(searches))
