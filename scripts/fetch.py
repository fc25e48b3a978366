"""Snakemake rule `fetch`: the union of all searches' PMIDs, each fetched once, into the store;
then the stored ones PubMed modified since they were fetched or checked, fetched again."""

from livescreen.dedup import merge_search_hits
from livescreen.fetch import RecordStore, fetch_missing, refetch_changed
from livescreen.logs import logged
from livescreen.sources import open_source
from livescreen.tables import read_json, write_json

config = snakemake.config
with logged(snakemake.log[0]) as log:
    hits = list(merge_search_hits(read_json(path) for path in snakemake.input))
    source = open_source(config)
    store = RecordStore(snakemake.params.store)
    stats = fetch_missing(source, store, hits, config["batch_size"])
    stats |= refetch_changed(source, store, hits, config["batch_size"])
    log.info("fetch: %s", stats)
    write_json(snakemake.output[0], dict(stats, pmids=hits))
