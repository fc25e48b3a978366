"""Snakemake rule `parse`: stored PubMed XML of the fetched PMIDs -> results/data/records.jsonl;
the same stored XML as last time gives last time's records, copied back
(livescreen.fetch.parse_stored)."""

from pathlib import Path

from livescreen.fetch import RecordStore, parse_stored
from livescreen.files import read_json
from livescreen.logs import logged

with logged(snakemake.log[0]) as log:
    pmids = read_json(snakemake.input[0])["pmids"]
    store = RecordStore(snakemake.params.store)
    memo = Path(snakemake.params.memo)
    parsed = parse_stored(store, pmids, snakemake.output[0], memo, threads=snakemake.threads)
    how = "parsed" if parsed else "read back (the stored XML is unchanged since the last parse)"
    log.info("%d records %s", len(pmids), how)
