"""Snakemake rule `screening_table`: records + searches -> results/screening/to_screen.csv."""

from livescreen.dedup import merge_search_hits
from livescreen.fetch import RecordStore
from livescreen.logs import logged
from livescreen.tables import SCREENING_COLUMNS, read_json, read_jsonl, screening_rows, write_csv

with logged(snakemake.log[0]) as log:
    records = read_jsonl(snakemake.input.records)
    mechanisms = merge_search_hits(read_json(path) for path in snakemake.input.searches)
    provenance = RecordStore(snakemake.params.store).provenance(mechanisms)
    rows = screening_rows(records, mechanisms, provenance)
    write_csv(snakemake.output.to_screen, rows, SCREENING_COLUMNS)
    log.info("to_screen.csv: %d records", len(rows))
