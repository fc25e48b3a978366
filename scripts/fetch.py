"""Snakemake rule `fetch`: the union of all searches' PMIDs, each fetched once, into the store;
then the stored ones PubMed modified since they were fetched or checked, fetched again.
Stored records the parse step could not read are found first and fetched again too."""

from livescreen.dedup.essay import merge_search_hits
from livescreen.fetch import RecordStore, check_searched, fetch_missing, refetch_changed
from livescreen.files import read_json, write_json
from livescreen.logs import logged
from livescreen.sources import open_pubmed

settings = snakemake.params.source
with logged(snakemake.log[0]) as log:
    searches = [read_json(path) for path in snakemake.input]
    for path, search in zip(snakemake.input, searches, strict=True):
        check_searched(search, path)
    hits = list(merge_search_hits(searches))
    source = open_pubmed(settings)
    store = RecordStore(snakemake.params.store)
    stats = fetch_missing(source, store, hits, settings["batch_size"])
    stats |= refetch_changed(source, store, hits, settings["batch_size"])
    log.info("fetch: %s", stats)
    write_json(snakemake.output[0], dict(stats, pmids=hits))
